package org.streamlearn.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Verticle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.checkpoint.Identity;
import org.streamlearn.codec.RecordDecoder;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.Figures;
import org.streamlearn.model.GroupFigures;
import org.streamlearn.model.IngestFigures;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.ModelView;
import org.streamlearn.model.Published;
import org.streamlearn.model.RecordIntake;
import org.streamlearn.model.Status;
import org.streamlearn.model.TrainingFigures;

/**
 * One configured model as a set of Vert.x verticles: deploy it on any Vert.x instance
 * ({@code vertx.deployVerticle(new ModelVerticle(cfg, "digits"))}) and it trains from its Kafka
 * topics and publishes every version on the event bus ({@link ModelEvents}) and to its weights topic.
 *
 * <p>Starting prepares on a worker thread (topics, the starting state from the newest checkpoint
 * or weights version, the dead-letter producer, in a group the replicas' parameters), then deploys
 * in order a {@link CheckpointVerticle}, a {@link PublishVerticle}, a {@link TrainerVerticle} on a
 * one-thread pool of its own, and an {@link IngestVerticle} that owns the consumer. Records never
 * cross the event bus: ingest decodes into the {@link RowRing} the trainer reads. Undeploying
 * drains (every queued row is trained, the last version published), checkpoints, commits and
 * stops, in that order, within shutdown.timeout.ms.
 */
public final class ModelVerticle extends AbstractVerticle implements ModelView {
  private static final Logger log = LoggerFactory.getLogger(ModelVerticle.class);
  /** Without a successful broker round trip for this long the model is not ready. */
  static final long BROKER_SILENCE_MS = 10_000;

  private final ModelConfig mc;
  private final KafkaClients kafka;
  private final long shutdownTimeoutMs;
  private final RecordDecoder decoder;
  private final OnlineLearner learner;
  private final RowRing ring;
  private final OffsetLedger ledger = new OffsetLedger();
  private final DeadLetters deadLetters;
  private final Checkpoints checkpoints;
  private final ReplicaSync sync;
  private final PostedRecords intake;
  private volatile ModelObserver observer = ModelObserver.NONE;
  private volatile String waiting = "starting";
  private volatile boolean running;
  private volatile PublishVerticle publish;
  private volatile CheckpointVerticle checkpointer;
  private volatile TrainerVerticle trainer;
  private volatile IngestVerticle ingest;
  private TrainingAudit audit;
  private volatile boolean prepared;
  private final List<String> children = new ArrayList<>();

  /** The model {@code name} of a loaded configuration ({@code kafka.bootstrap.servers} must be set). */
  public ModelVerticle(AppConfig cfg, String name) {
    this(model(cfg, name), clients(cfg), cfg.shutdownTimeoutMs());
  }

  public ModelVerticle(ModelConfig mc, KafkaClients kafka, long shutdownTimeoutMs) {
    this.mc = mc;
    this.kafka = kafka;
    this.shutdownTimeoutMs = shutdownTimeoutMs;
    this.decoder = mc.decoder();
    this.learner = new OnlineLearner(mc.learnerConfig(), mc.trainThreads(), mc.tuneThreads());
    if (decoder.features() != learner.inputSize() || decoder.labelWidth() != learner.targetSize())
      throw new IllegalArgumentException("model " + mc.name() + ": decoder writes " + decoder.features() + "+"
          + decoder.labelWidth() + " floats, learner takes " + learner.inputSize() + "+" + learner.targetSize());
    this.ring = new RowRing(mc.queueMaxRecords(), learner.inputSize(), learner.targetSize());
    this.deadLetters = new DeadLetters(mc.name(), Topics.deadLetters(mc.name()), kafka);
    var cc = mc.checkpoint();
    this.checkpoints = cc == null ? null : new Checkpoints(cc.dir(), mc.name(), cc.keep());
    var sc = mc.scale();
    this.sync = sc.sync() ? new ReplicaSync(mc.name(), sc.replicaId(), spec(), learner.model().paramCount(),
        sc.syncStaleMs(), kafka) : null;
    if (sync != null && checkpoints == null)
      throw new IllegalArgumentException("model " + mc.name() + ": sync.* needs checkpoints (the group commits what they cover)");
    this.intake = new PostedRecords(mc, decoder, () -> {
      var p = publish;
      return running && p != null ? p.producer() : null;
    });
    Lease.lengthMillis(kafka); // a bad session.timeout.ms stops the start here
  }

  private static ModelConfig model(AppConfig cfg, String name) {
    ModelConfig mc = cfg.models().get(name);
    if (mc == null) throw new IllegalArgumentException("no model '" + name + "' in the configuration (have "
        + cfg.models().keySet() + ")");
    return mc;
  }

  private static KafkaClients clients(AppConfig cfg) {
    String b = cfg.kafka().bootstrapServers();
    if (b == null || b.isBlank())
      throw new IllegalArgumentException("kafka.bootstrap.servers: required to deploy a ModelVerticle in your own "
          + "Vert.x application (the embedded broker is the service's default only)");
    return new KafkaClients(b, cfg.kafka().properties(), cfg.kafka().topicPartitions(), cfg.kafka().topicReplication());
  }

  @Override public void start(Promise<Void> started) {
    ModelEvents.registerCodecs(vertx);
    vertx.<StartingState>executeBlocking(this::prepare, false)
        .compose(this::deployAll)
        .onSuccess(v -> {
          running = true;
          started.complete();
        })
        .onFailure(e -> undeployChildren().onComplete(x -> {
          closeShared();
          started.fail(e);
        }));
  }

  /** Blocking: topics, audit, starting state, dead-letter producer, in a group the others' parameters. */
  private StartingState prepare() {
    Topics.ensure(kafka, mc.name(), mc.topics(), learner.model().paramCount() * 4 + (64 << 10), sync != null);
    prepared = true; // the broker answered: what follows holds clients to close on a failed start
    if (mc.scale().auditPath() != null && audit == null) {
      audit = new TrainingAudit(mc.scale().auditPath(), mc.scale().replicaId());
      log.info("model {}: training audit log in {}", mc.name(), mc.scale().auditPath());
    }
    StartingState start = StartingState.load(mc, learner, checkpoints, kafka, sync != null, audit);
    deadLetters.start();
    if (sync != null) {
      sync.start();
      // Train only once the others' latest parameters are in: a replica that started training alone
      // drifts from the group before its first fold (bounded: the group may be just this replica).
      try {
        if (!sync.awaitCaughtUp(30_000))
          log.warn("model {}: the reader of {} has not caught up within 30 s; training starts anyway", mc.name(),
              sync.topic());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      log.info("model {}: replica {} of group {}, exchanging parameters on {} every {} steps / {} ms", mc.name(),
          sync.replica(), mc.group(), sync.topic(), mc.scale().syncEverySteps(), mc.scale().syncEveryMs());
    }
    return start;
  }

  private Future<Void> deployAll(StartingState start) {
    Published primed = null;
    if (learner.step() > 0) { // resumed: served at once (GET weights, predict), not sent to the topic again
      Snapshot snap = learner.snapshot();
      if (VersionLine.allFinite(snap.params())) {
        StringBuilder o = new StringBuilder("{");
        start.offsets().forEach((tp, off) -> o.append(o.length() > 1 ? "," : "").append('"').append(tp).append("\":").append(off));
        primed = new Published(snap, PublishVerticle.safetensors(mc.name(), PublishVerticle.tensors(learner), snap,
            o.append('}').toString(), start.incarnation()), start.incarnation());
      }
    }
    Promise<Void> drained = Promise.promise();
    publish = new PublishVerticle(mc.name(), learner, kafka, primed, shutdownTimeoutMs, drained.future());
    publish.observer = observer;
    checkpointer = checkpoints == null ? null : new CheckpointVerticle(mc.name(), checkpoints, ledger, audit, start,
        drained.future());
    if (checkpointer != null) checkpointer.observer = observer;
    Lease lease = sync == null ? null : new Lease(Lease.lengthMillis(kafka));
    trainer = new TrainerVerticle(mc, learner, ring, ledger, sync, lease, audit, checkpointer, publish,
        deadLetters::floor, start, () -> observer, this::status, () -> {
          var in = ingest;
          if (in != null) in.commitSoon();
        }, drained, () -> {
          var in = ingest;
          return in != null && in.started();
        }, shutdownTimeoutMs);
    ingest = new IngestVerticle(mc, kafka, decoder, ring, ledger, trainer, deadLetters, sync, lease, audit, start,
        () -> observer, shutdownTimeoutMs);
    String m = mc.name();
    Future<Void> f = checkpointer == null ? Future.succeededFuture() : deploy(checkpointer, worker("sl-" + m + "-checkpoint"));
    return f.compose(v -> deploy(publish, worker("sl-" + m + "-publish")))
        .compose(v -> deploy(trainer, worker("sl-" + m + "-trainer")))
        .compose(v -> deploy(ingest, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
  }

  private static DeploymentOptions worker(String pool) {
    return new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName(pool).setWorkerPoolSize(1);
  }

  private Future<Void> deploy(Verticle v, DeploymentOptions o) {
    return vertx.deployVerticle(v, o).map(id -> {
      synchronized (children) {
        children.add(id);
      }
      return null;
    });
  }

  /**
   * Drains, checkpoints, commits and stops, in that order: ingest stops fetching and waits while the
   * trainer trains what is queued, publishes and checkpoints; then it commits and closes the
   * consumer; then the producers close. (Vert.x may undeploy the children before this runs: their
   * own stops wait for the same steps, so the order holds either way.)
   */
  @Override public void stop(Promise<Void> stopped) {
    running = false;
    undeployChildren().onComplete(v -> {
      markCleanStop();
      closeShared();
      stopped.complete();
    });
  }

  private Future<Void> undeployChildren() {
    List<String> ids;
    synchronized (children) {
      ids = new ArrayList<>(children);
      children.clear();
    }
    Future<Void> f = Future.succeededFuture();
    for (int i = ids.size() - 1; i >= 0; i--) { // ingest first, then the trainer, the publisher, the writer
      String id = ids.get(i);
      f = f.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    return f;
  }

  private void closeShared() {
    if (!prepared) return; // the broker did not answer: nothing was opened, the start may be tried again
    if (sync != null) sync.close();
    deadLetters.close(java.time.Duration.ofSeconds(1));
    if (audit != null) audit.close();
  }

  /**
   * After a graceful stop: when the last checkpoint holds the trainer's final state and nothing newer
   * was published, the next start that restores it keeps this incarnation (its ETags stay valid).
   */
  private void markCleanStop() {
    var t = trainer;
    var c = checkpointer;
    if (c == null || t == null || !t.finished() || t.failure != null || sync != null) return;
    long step = learner.step();
    if (c.lastStep != step || t.figures.version() > step) return;
    try {
      Identity.endClean(checkpoints.dir(), t.incarnation(), step);
    } catch (java.io.IOException | RuntimeException e) {
      log.warn("model {}: cannot mark the stop clean in {} (the next start begins a new weights incarnation): {}",
          mc.name(), checkpoints.dir(), e.toString());
    }
  }

  /** Before the model runs: why not yet (the service waits for the broker), shown by status() and GET /ready. */
  public void waiting(String why) {
    waiting = why;
  }

  public ModelConfig modelConfig() {
    return mc;
  }

  /** Whether this model exchanges parameters with other replicas (scale-out). */
  public boolean replicated() {
    return sync != null;
  }

  // ---- ModelView ----------------------------------------------------------------------------

  @Override public String name() {
    return mc.name();
  }

  @Override public String spec() {
    return learner.config().spec().toString();
  }

  @Override public Map<String, Object> describe() {
    return ModelDescription.of(mc, learner, figures(), sync, checkpoints);
  }

  @Override public RecordIntake intake() {
    return intake;
  }

  @Override public Map<String, Object> checkpoint() {
    var c = checkpointer;
    return c == null ? null : c.last;
  }

  @Override public Published latest() {
    var p = publish;
    return p == null ? null : p.latest;
  }

  @Override public boolean classification() {
    return learner.classification();
  }

  @Override public void observe(ModelObserver o) {
    observer = o;
    var p = publish;
    if (p != null) p.observer = o;
    var c = checkpointer;
    if (c != null) c.observer = o;
  }

  @Override public Figures figures() {
    var t = trainer;
    var in = ingest;
    var c = checkpointer;
    var p = publish;
    TrainingFigures tf = t == null ? TrainingFigures.NONE : t.figures;
    IngestFigures inf = in == null ? IngestFigures.none(ring.capacity, sync == null) : in.figures;
    GroupFigures g = sync == null ? GroupFigures.ALONE : new GroupFigures(true, sync.lastReplicasInAverage,
        sync.liveReplicas(), sync.lastDivergence, sync.lastRelativeDivergence, sync.othersRate());
    return new Figures(tf, inf, g, c == null ? -1 : c.lastStep, c == null ? 0 : c.health.failures,
        p == null ? 0 : p.failures());
  }

  @Override public Status status() {
    var in = ingest;
    var t = trainer;
    IngestFigures inf = in == null ? IngestFigures.none(ring.capacity, sync == null) : in.figures;
    TrainingFigures tf = t == null ? TrainingFigures.NONE : t.figures;
    boolean live = running && in != null && in.running();
    long silence = System.currentTimeMillis() - inf.lastBrokerContactMillis();
    boolean connected = in == null || in.brokerConnected();
    boolean syncing = sync != null && !sync.caughtUp();
    boolean ready = live && inf.partitionsOwned() > 0 && silence < BROKER_SILENCE_MS && connected && !syncing;
    String p = in == null ? waiting : in.problem;
    if (!running && in == null) p = waiting;
    if (p == null && live && syncing) p = "reading the replicas' parameters on " + sync.topic();
    boolean brokerOrNone = p == null || p.startsWith("broker"); // "starting" stays until the first assignment
    if (live && !connected && brokerOrNone)
      p = "broker at " + kafka.bootstrapServers() + ": no connection (no answer for " + silence / 1000 + " s)";
    else if (p == null && !ready) p = !live ? "stopped" : inf.partitionsOwned() == 0 ? "no partitions assigned"
        : "broker at " + kafka.bootstrapServers() + " silent for " + silence / 1000 + " s";
    // Degraded, still ready: it trains and serves, and a restart would not make the disk writable.
    var c = checkpointer;
    String cp = c == null ? null : c.health.problem();
    if (cp != null) p = p == null ? cp : p + "; " + cp;
    return new Status(ready, inf.paused(), tf.examplesPerSecond(), inf.lag(), p, tf.trainingPaused(),
        t == null ? learner.step() : tf.steps(), tf.learningRate());
  }
}
