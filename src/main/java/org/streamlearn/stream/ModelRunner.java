package org.streamlearn.stream;

import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.checkpoint.Identity;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.codec.RecordDecoder;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.Metrics;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.model.Command;
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
 * One configured model running against Kafka: a consumer thread (poll, decode into the
 * {@link RowRing}, dead-letter, pause/resume, commit) and a {@link Trainer} thread (learn, publish).
 *
 * <p>Offsets are committed only up to records that a completed step trained on or that were
 * dead-lettered (and the dead letter acknowledged), so after a crash nothing is skipped, and after
 * a graceful {@link #close()} nothing is trained twice. The consumer pauses its partitions when the
 * ring is above its high-water mark and resumes below the low-water mark: the ring never holds more
 * than {@code queue.max.records} rows. In a group, rows of partitions lost to a session expiry are
 * dropped from the ring, not trained (see {@code Rebalance.onPartitionsLost} and {@link Trainer#leaseNanos}).
 */
public final class ModelRunner implements ModelView, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelRunner.class);
  static final int MAX_PARTITIONS = 4096;
  static final long COMMIT_INTERVAL_MS = 1000, LAG_INTERVAL_MS = 1000;
  /** Without a successful broker round trip for this long the model is not ready. */
  static final long BROKER_SILENCE_MS = 10_000;
  public static final String[] DLQ_HEADERS = DeadLetters.HEADERS;

  private final ModelConfig mc;
  private final KafkaClients kafka;
  private final long shutdownTimeoutMs;
  private final RecordDecoder decoder;
  private final OnlineLearner learner;
  private final RowRing ring;
  private final Trainer trainer;
  private final int maxPollRecords, highWater, lowWater;
  private final String weightsTopic, dlqTopic;
  private final DeadLetters deadLetters;
  private final byte[] key;

  // Consumer-thread state.
  private final Map<TopicPartition, Integer> index = new HashMap<>();
  private final TopicPartition[] partitions = new TopicPartition[MAX_PARTITIONS];
  private final String[] partitionNames = new String[MAX_PARTITIONS];
  private final long[] committed = new long[MAX_PARTITIONS];
  private boolean commitFailing;
  private final Set<TopicPartition> assigned = new LinkedHashSet<>();
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private long nextCommitMs, nextLagMs;

  // Shared.
  private final AtomicLongArray covered = new AtomicLongArray(MAX_PARTITIONS);
  private final AtomicLongArray deadLettered = new AtomicLongArray(DecodeResult.Reason.values().length);
  private final AtomicLong recordsIn = new AtomicLong(), pauses = new AtomicLong(), publishFailures = new AtomicLong(),
      partitionsRevoked = new AtomicLong();
  private final Map<String, Long> lagByPartition = new ConcurrentHashMap<>();
  private final List<Consumer<Published>> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<org.streamlearn.learn.Divergence>> divergenceListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<org.streamlearn.learn.Drift>> driftListeners = new CopyOnWriteArrayList<>();
  private volatile Published latest;
  private volatile boolean running, paused;
  private volatile int assignedCount, maxDepth;
  private volatile long lag = -1, lastBrokerContactMs, closeDeadlineNanos;
  private volatile String problem = "starting";
  /** The consumer's open broker connections (its "connection-count" metric), read from any thread. */
  private volatile org.apache.kafka.common.Metric connections;
  private volatile ModelObserver observer = ModelObserver.NONE;
  private Thread consumerThread, trainerThread;
  private final Checkpoints checkpoints;
  /** Where each partition continues after a restored checkpoint; consumer thread, removed once sought. */
  private final Map<String, Long> seekTo = new HashMap<>();
  /** Consumer thread: next offset after the last record put into the ring, per partition index; -1 none. */
  private final long[] enqueuedNext = new long[MAX_PARTITIONS];
  /** Per partition index, stamped into each ring slot; bumped when the partition is lost (the trainer skips older rows). */
  private final AtomicIntegerArray generations = new AtomicIntegerArray(MAX_PARTITIONS);
  /** Scale-out: how long the trainer may go on without news of the group, see {@link Trainer#leaseNanos}. */
  private final long leaseLengthNanos;
  /** Consumer thread, scale-out: the lease lapsed and the group has not yet confirmed or taken the partitions. */
  private boolean leaseDoubt, probeRefusedLogged;
  /** Scale-out: null when this model runs alone. */
  private final ReplicaSync sync;
  /** The input partition whose owner publishes the group's weights versions. */
  private final TopicPartition lead;
  private TrainingAudit audit;
  private final PostedRecords intake;
  /** Step of the checkpoint restored at start, -1 none; and the version line's id (see Identity). */
  private long restoredStep = -1;
  private volatile String incarnation = "0";
  /** The event bus side (versions, divergences, drifts out; control in), null without Vert.x. */
  private final RunnerBus bus;

  /** A runner that keeps its versions, divergences and drifts to its own listeners (no event bus). */
  public ModelRunner(ModelConfig mc, KafkaClients kafka, long shutdownTimeoutMs) {
    this(mc, kafka, shutdownTimeoutMs, null);
  }

  /**
   * A runner that also publishes each version, divergence and drift on the event bus of this
   * Vert.x instance ({@link ModelEvents}) and takes commands on its control address; null: no bus.
   */
  public ModelRunner(ModelConfig mc, KafkaClients kafka, long shutdownTimeoutMs, Vertx vertx) {
    this.mc = mc;
    this.kafka = kafka;
    this.shutdownTimeoutMs = shutdownTimeoutMs;
    this.decoder = mc.decoder();
    this.learner = new OnlineLearner(mc.learnerConfig(), mc.trainThreads());
    if (decoder.features() != learner.inputSize() || decoder.labelWidth() != learner.targetSize())
      throw new IllegalArgumentException("model " + mc.name() + ": decoder writes " + decoder.features() + "+"
          + decoder.labelWidth() + " floats, learner takes " + learner.inputSize() + "+" + learner.targetSize());
    int cap = mc.queueMaxRecords();
    this.ring = new RowRing(cap, learner.inputSize(), learner.targetSize());
    // After a poll the ring must still fit: pause while fewer than maxPollRecords slots are free.
    this.maxPollRecords = Math.max(1, Math.min(500, cap / 4));
    this.highWater = cap - maxPollRecords;
    this.lowWater = highWater / 2;
    this.weightsTopic = Topics.weights(mc.name());
    this.dlqTopic = Topics.deadLetters(mc.name());
    this.deadLetters = new DeadLetters(mc.name(), dlqTopic, kafka);
    this.key = mc.name().getBytes(StandardCharsets.UTF_8);
    this.intake = new PostedRecords(mc, decoder, () -> running ? producer : null);
    for (int i = 0; i < MAX_PARTITIONS; i++) covered.set(i, -1);
    java.util.Arrays.fill(committed, -1);
    java.util.Arrays.fill(enqueuedNext, -1);
    this.lead = new TopicPartition(mc.topics().getFirst(), 0);
    this.trainer = new Trainer(mc.name(), learner, ring, mc.batchLingerMs(), mc.publishEverySteps(),
        mc.publishEveryMs(), partitionNames, covered, generations, this::deliver);
    trainer.deadLetterFloor = deadLetters::floor;
    trainer.onDivergence = this::divergence;
    trainer.onDrift = this::drift;
    trainer.status = this::status;
    var cc = mc.checkpoint();
    this.checkpoints = cc == null ? null : new Checkpoints(cc.dir(), mc.name(), cc.keep());
    if (checkpoints != null) {
      trainer.checkpoints = checkpoints;
      trainer.health = new CheckpointHealth(mc.name(), checkpoints.dir());
      trainer.checkpointEverySteps = cc.everySteps();
      trainer.checkpointEveryNanos = cc.everyMs() * 1_000_000L;
    }
    this.leaseLengthNanos = leaseLength(kafka) * 1_000_000L;
    var sc = mc.scale();
    this.sync = sc.sync() ? new ReplicaSync(mc.name(), sc.replicaId(), spec(), learner.model().paramCount(),
        sc.syncStaleMs(), kafka) : null;
    if (sync != null) {
      if (checkpoints == null)
        throw new IllegalArgumentException("model " + mc.name() + ": sync.* needs checkpoints (the group commits what they cover)");
      trainer.sync = sync;
      trainer.syncEverySteps = sc.syncEverySteps();
      trainer.syncEveryNanos = sc.syncEveryMs() * 1_000_000L;
      trainer.publisher = false; // until this member owns the lead partition
    }
    // Last: a constructor that threw above leaves no consumer on the control address behind.
    this.bus = vertx == null ? null : new RunnerBus(vertx, mc.name(), this::control);
  }

  /**
   * Half of what separates the consumer's last heartbeat from its session's expiry in the worst
   * case, session.timeout.ms − heartbeat.interval.ms (Kafka's defaults 45 s and 3 s, else as set in
   * kafka.properties.*): a JVM that stood still for less cannot have lost its partitions.
   */
  static long leaseLength(KafkaClients kafka) {
    long session = millis(kafka, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 45_000);
    long heartbeat = millis(kafka, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
    return Math.max(100, (session - heartbeat) / 2);
  }

  private static long millis(KafkaClients kafka, String key, long dflt) {
    String v = kafka.properties().get(key);
    if (v == null) return dflt;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("kafka.properties." + key + " = '" + v + "': must be a whole number of ms");
    }
  }

  /** Timers and per-partition meters; set before {@link #start()}. */
  @Override public void observe(ModelObserver o) {
    observer = o;
    trainer.observer = o;
  }

  /** Creates the topics if absent, connects, and starts the consumer and trainer threads. */
  public synchronized ModelRunner start() {
    if (running) return this;
    Topics.ensure(kafka, mc.name(), mc.topics(), learner.model().paramCount() * 4 + (64 << 10), sync != null);
    if (mc.scale().auditPath() != null) {
      audit = new TrainingAudit(mc.scale().auditPath(), mc.scale().replicaId());
      trainer.audit = audit;
      log.info("model {}: training audit log in {}", mc.name(), mc.scale().auditPath());
    }
    if (!restore() && !(checkpoints != null && mc.checkpoint().fresh())) resume();
    // A new version line unless a graceful stop left exactly the restored state (see Identity); in a
    // group the versions come from the shared line, so a replica always starts a new one.
    String instance = mc.scale().instanceId();
    trainer.incarnation = incarnation = Identity.newIncarnation();
    if (checkpoints != null) {
      try { // an unwritable checkpoint folder degrades the model, it does not stop it
        trainer.incarnation = incarnation = Identity.beginIncarnation(checkpoints.dir(), sync == null ? restoredStep : -1);
        if (instance == null) instance = Identity.instanceId(checkpoints.dir(), mc.name());
      } catch (java.io.UncheckedIOException e) {
        log.warn("model {}: {}; joining group {} as a dynamic member (a restart after a crash waits for the old "
            + "member's session to expire; set models.{}.instance.id to avoid it)", mc.name(), e.getMessage(), mc.group(),
            mc.name());
      }
    }
    producer = new KafkaProducer<>(kafka.config(Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "streamlearn-" + mc.name() + "-out",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.maxMessageBytes(learner.model().paramCount() * 4))),
        new ByteArraySerializer(), new ByteArraySerializer());
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
    // Cooperative rebalancing: a member joining or leaving moves only the partitions that change
    // owner, so the others keep training and need no hand-over checkpoint (the eager default
    // revoked every partition of every member). Overridable through kafka.properties.
    // Static membership: a restart with the same group.instance.id (even after kill -9) takes the
    // partitions back at once, instead of waiting out the dead member's session. Overridable too.
    Map<String, Object> defaults = new HashMap<>(Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName()));
    if (instance != null) defaults.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    consumer = new KafkaConsumer<>(kafka.config(defaults, Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, mc.group(),
        ConsumerConfig.CLIENT_ID_CONFIG, "streamlearn-" + mc.name() + "-in",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords)),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    log.info("model {}: member {} of group {} (group.instance.id), weights incarnation {}", mc.name(),
        consumer.groupMetadata().groupInstanceId().orElse("(dynamic)"), mc.group(), incarnation);
    consumer.metrics().forEach((n, m) -> {
      if (n.name().equals("connection-count") && n.group().equals("consumer-metrics")) connections = m;
    });
    lastBrokerContactMs = System.currentTimeMillis(); // the topics were just listed
    running = true;
    trainer.leaseNanos = System.nanoTime() + leaseLengthNanos;
    trainer.prime();
    trainerThread = Thread.ofPlatform().name("sl-" + mc.name() + "-trainer").daemon(true).start(trainer);
    consumerThread = Thread.ofPlatform().name("sl-" + mc.name() + "-consumer").daemon(true).start(this::consume);
    return this;
  }

  /**
   * Restores the newest valid checkpoint, if any: the learner's whole state, and the offsets each
   * partition continues from (sought on assignment). Damaged files are skipped with a warning; a
   * checkpoint of another spec stops the start (unless checkpoint.fresh). With checkpoint.fresh the
   * existing files are set aside as {@code *.ckpt.replaced}, so newer ones of the new model win.
   *
   * @return whether a checkpoint was restored
   */
  private boolean restore() {
    if (checkpoints == null) return false;
    try {
      if (mc.checkpoint().fresh()) {
        for (var f : checkpoints.files()) {
          java.nio.file.Files.move(f, f.resolveSibling(f.getFileName() + ".replaced"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          log.info("model {}: checkpoint.fresh: set aside {}", mc.name(), f);
        }
        return false;
      }
      var scan = checkpoints.latest();
      for (String p : scan.problems())
        log.warn("model {}: skipping damaged checkpoint {} in {}", mc.name(), p, checkpoints.dir());
      if (scan.latest().isEmpty()) {
        if (!scan.problems().isEmpty())
          log.warn("model {}: no valid checkpoint in {}; falling back to the weights topic", mc.name(), checkpoints.dir());
        return false;
      }
      var c = scan.latest().get();
      if (!spec().equals(c.state().spec()))
        throw new IllegalStateException("model " + mc.name() + ": checkpoint " + c.file() + " holds spec '"
            + c.state().spec() + "', configured is '" + spec() + "'; set models." + mc.name()
            + ".checkpoint.fresh=true to start a new model (the old checkpoints are set aside), or restore the old layers");
      try {
        learner.importState(c.state());
      } catch (IllegalArgumentException e) { // e.g. a checkpoint from before input.normalize became the default
        throw new IllegalStateException("model " + mc.name() + ": checkpoint " + c.file() + " does not fit the "
            + "configuration: " + e.getMessage() + "; configure models." + mc.name() + ".input.normalize (and "
            + "label.normalize, drift.detector, plasticity) as when it was written (none before they existed), or set "
            + "models." + mc.name() + ".checkpoint.fresh=true to start a new model", e);
      }
      restoredStep = c.state().step();
      seekTo.putAll(c.offsets());
      trainer.restoredOffsets = Map.copyOf(c.offsets());
      trainer.lastAttemptStep = c.state().step();
      trainer.checkpointLastStep = c.state().step();
      trainer.controlPaused = trainer.lastCheckpointPaused = c.trainingPaused();
      if (audit != null) audit.restored(c.state().step());
      trainer.lastCheckpoint = Trainer.describe(c.file(), c.state().step(), c.state().examples(), c.created(),
          c.offsets(), java.nio.file.Files.size(c.file()), c.trainingPaused());
      log.info("model {}: restored checkpoint {} (step {}, {} examples, offsets {})", mc.name(), c.file(),
          c.state().step(), c.state().examples(), c.offsets());
      if (c.trainingPaused())
        log.warn("model {}: training was paused through the control API before the restart and stays paused "
            + "(nothing is trained or committed) until POST /models/{}/control {\"action\": \"resume\"}", mc.name(), mc.name());
      return true;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("model " + mc.name() + ": cannot read checkpoints in " + checkpoints.dir(), e);
    }
  }

  /**
   * Continues from the newest version on the weights topic, if its spec matches: parameters and
   * step count (so versions keep increasing across restarts). The optimizer's moments start again
   * from zero; a checkpoint would keep them.
   */
  private void resume() {
    TopicPartition tp = new TopicPartition(weightsTopic, 0);
    try (var c = new KafkaConsumer<>(kafka.config(Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, "streamlearn-" + mc.name() + "-resume")),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      long end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
      if (end == 0) return;
      c.seek(tp, end - 1);
      byte[] last = null;
      for (long until = System.currentTimeMillis() + 10_000; last == null && System.currentTimeMillis() < until; ) {
        for (var r : c.poll(Duration.ofMillis(200))) last = r.value();
      }
      if (last == null) {
        log.warn("model {}: could not read the newest version on {}; starting fresh", mc.name(), weightsTopic);
        return;
      }
      var contents = SafeTensors.read(last);
      String spec = contents.metadata().get(SafeTensors.META_SPEC);
      long version = Long.parseLong(contents.metadata().get(SafeTensors.META_VERSION));
      if (!spec().equals(spec)) {
        log.warn("model {}: {} holds spec '{}', configured is '{}'; starting fresh at version 0 (use a new model "
            + "name, or delete the topic, so versions keep increasing)", mc.name(), weightsTopic, spec, spec());
        return;
      }
      float[] p = learner.liveParams();
      for (var t : learner.model().torchTensors()) {
        if (!t.folded()) {
          System.arraycopy(contents.tensor(t.name()).data(), 0, p, t.offset(), t.numel());
          continue;
        }
        if (contents.tensors().stream().noneMatch(x -> x.name().equals(t.name()))) continue;
        float[] d = contents.tensor(t.name()).data(); // e.g. nn.LSTM's bias_hh_l0: adds into bias_ih_l0
        for (int i = 0; i < t.numel(); i++) p[t.offset() + i] += d[i];
      }
      learner.restoreScaling(WeightsFiles.scaling(contents));
      learner.optimizer().setT(version);
      log.info("model {}: resumed from weights version {} on {}", mc.name(), version, weightsTopic);
    } catch (RuntimeException | java.io.IOException e) {
      log.warn("model {}: cannot resume from {} ({}); starting fresh", mc.name(), weightsTopic, e.toString());
    }
  }

  // ---- consumer thread ----------------------------------------------------------------------

  private void consume() {
    try {
      consumer.subscribe(mc.topics(), new Rebalance());
      while (running) {
        int depth = ring.size();
        if (!paused && depth > highWater) {
          consumer.pause(assigned);
          paused = true;
          pauses.incrementAndGet();
        } else if (paused && depth <= lowWater) {
          consumer.resume(assigned);
          paused = false;
        }
        // In a group, a durable checkpoint is committed within ~20 ms (the hand-over tail stays short).
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(paused ? 10 : sync != null ? 20 : 100));
        if (sync != null) {
          renewLease();
          if (leaseDoubt) probe();
        }
        if (!records.isEmpty()) {
          long polled = System.nanoTime();
          for (ConsumerRecord<byte[], byte[]> r : records) if (!enqueue(r, polled)) break;
          recordsIn.addAndGet(records.count());
          int d = ring.size();
          if (d > maxDepth) maxDepth = d;
          LockSupport.unpark(trainer.thread);
        }
        deadLetters.retry();
        long now = System.currentTimeMillis();
        if (trainer.commitSoon) {
          trainer.commitSoon = false;
          nextCommitMs = 0;
        }
        if (now >= nextCommitMs) {
          commit(assigned);
          nextCommitMs = now + COMMIT_INTERVAL_MS;
        }
        if (now >= nextLagMs && !assigned.isEmpty()) {
          refreshLag();
          nextLagMs = System.currentTimeMillis() + LAG_INTERVAL_MS;
        }
        if (trainer.done && running) {
          problem = "trainer stopped: " + trainer.failure;
          break;
        }
      }
    } catch (WakeupException e) {
      if (running) problem = "consumer woken up unexpectedly";
    } catch (Throwable e) {
      problem = "consumer failed: " + e;
      log.error("consumer of model {} failed: {}", mc.name(), e.toString(), e);
    } finally {
      shutdown();
    }
  }

  /** Decodes one record into the next ring slot; false when closing while the ring is full. */
  private boolean enqueue(ConsumerRecord<byte[], byte[]> r, long polledNanos) {
    long seq = ring.tail();
    while (seq - ring.head() >= ring.capacity) { // cannot happen with the water marks; never drop
      if (!running) return false;
      LockSupport.parkNanos(1_000_000L);
    }
    int s = ring.slot(seq);
    int p = indexOf(new TopicPartition(r.topic(), r.partition()));
    DecodeResult res = decoder.decode(r.value(), ring.x, s * ring.I, ring.y, s * ring.T);
    ring.partition[s] = p;
    ring.gen[s] = generations.get(p);
    ring.offset[s] = r.offset();
    enqueuedNext[p] = r.offset() + 1;
    ring.timestamp[s] = r.timestamp();
    ring.polledNanos[s] = polledNanos;
    ring.good[s] = res.ok();
    if (!res.ok()) {
      deadLettered.incrementAndGet(res.reason().ordinal());
      deadLetters.send(p, r, res);
    }
    ring.publish(seq + 1);
    return true;
  }

  private int indexOf(TopicPartition tp) {
    Integer i = index.get(tp);
    if (i != null) return i;
    int n = index.size();
    if (n == MAX_PARTITIONS) throw new IllegalStateException("more than " + MAX_PARTITIONS + " partitions");
    partitions[n] = tp;
    partitionNames[n] = tp.toString();
    index.put(tp, n);
    observer.partitionAssigned(tp.toString());
    return n;
  }

  /**
   * Commits what the trainer has covered for the given partitions, but never past a record whose
   * dead letter the broker has not acknowledged yet.
   */
  private void commit(Collection<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : tps) {
      Integer i = index.get(tp);
      if (i == null) continue;
      long c = Math.min(covered.get(i), deadLetters.floor(i));
      if (c > committed[i]) offsets.put(tp, new OffsetAndMetadata(c));
    }
    if (offsets.isEmpty()) return;
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(5));
      offsets.forEach((tp, o) -> committed[index.get(tp)] = o.offset());
      lastBrokerContactMs = System.currentTimeMillis();
      if (commitFailing) log.info("model {}: commits succeed again ({})", mc.name(), offsets);
      commitFailing = false;
      if (audit != null) offsets.forEach((tp, o) -> audit.committed(tp.toString(), o.offset()));
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      // Once per failing spell: during a broker outage this fails every few seconds.
      if (!commitFailing) log.warn("commit of model {} offsets {} failed, will retry: {}", mc.name(), offsets, e.toString());
      commitFailing = true;
    }
  }

  /**
   * Scale-out, consumer thread: extends the trainer's lease, unless it has lapsed (the JVM stood
   * still, or this thread was blocked, for longer than the lease): then only the group's answer
   * renews it, a successful {@link #probe()} or a rebalance callback.
   */
  private void renewLease() {
    long now = System.nanoTime();
    if (!leaseDoubt && now - trainer.leaseNanos > 0) {
      leaseDoubt = true;
      log.info("model {}: no news of group {} for over {} ms (the JVM or its consumer stood still): training waits "
          + "until the group confirms this replica's partitions {}", mc.name(), mc.group(), leaseLengthNanos / 1_000_000,
          assigned);
    }
    if (!leaseDoubt) trainer.leaseNanos = now + leaseLengthNanos;
  }

  /** The group has answered (a probe, or a rebalance callback): the trainer may go on. */
  private void confirmLease() {
    if (leaseDoubt) log.info("model {}: group {} answered; training goes on with partitions {}", mc.name(), mc.group(),
        assigned);
    leaseDoubt = false;
    probeRefusedLogged = false;
    trainer.leaseNanos = System.nanoTime() + leaseLengthNanos;
    LockSupport.unpark(trainer.thread);
  }

  /**
   * Asks the group whether this member still owns its partitions: commits one of them again at
   * what is already committed or durably covered (or, when the group never committed any, at the
   * partition's first offset, where the group would start it). The coordinator refuses a commit
   * from a member whose session it expired; the next poll then reports the partitions lost.
   */
  private void probe() {
    if (assigned.isEmpty()) {
      confirmLease();
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    try {
      for (TopicPartition tp : assigned) {
        int i = index.get(tp);
        long o = Math.max(committed[i], covered.get(i));
        if (o >= 0) {
          offsets.put(tp, new OffsetAndMetadata(o));
          break;
        }
      }
      if (offsets.isEmpty()) {
        TopicPartition tp = assigned.iterator().next();
        offsets.put(tp, new OffsetAndMetadata(consumer.beginningOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp)));
      }
      consumer.commitSync(offsets, Duration.ofSeconds(5));
      lastBrokerContactMs = System.currentTimeMillis();
      offsets.forEach((tp, o) -> {
        int i = index.get(tp);
        committed[i] = Math.max(committed[i], o.offset());
        if (audit != null) audit.committed(tp.toString(), o.offset());
      });
      confirmLease();
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) { // refused (the session expired, or a rebalance runs): the next poll tells
      if (!probeRefusedLogged)
        log.info("model {}: group {} did not confirm partitions {} (asking again until it answers): {}", mc.name(),
            mc.group(), assigned, e.toString());
      probeRefusedLogged = true;
    }
  }

  private void refreshLag() {
    try {
      Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(2));
      long sum = 0;
      for (var e : ends.entrySet()) {
        long l = Math.max(0, e.getValue() - consumer.position(e.getKey(), Duration.ofSeconds(2)));
        lagByPartition.put(e.getKey().toString(), l);
        sum += l;
      }
      lag = sum;
      lastBrokerContactMs = System.currentTimeMillis();
      if (problem != null && (problem.startsWith("broker") || problem.equals("starting"))) problem = null;
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      problem = "broker unreachable at " + kafka.bootstrapServers() + ": " + e.getMessage();
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    /** The group still counts this member (else the partitions would be lost): hand over, commit. */
    @Override public void onPartitionsRevoked(Collection<TopicPartition> parts) {
      partitionsRevoked.addAndGet(parts.size());
      if (sync != null) confirmLease();
      if (sync != null && !parts.isEmpty()) {
        handOver();
        dropQueued(parts);
      }
      commit(parts);
      lose(parts);
    }

    /**
     * After a hand-over, rows of the revoked partitions still queued (training is paused by control,
     * or the hand-over ran out of shutdown.timeout.ms) are not this replica's to train any more: the
     * next owner starts at the committed offset. Their generation is bumped so the trainer skips
     * them, and this replica's position of each becomes its first row dropped (what it trained
     * before stays its own, should the partition come back).
     */
    private void dropQueued(Collection<TopicPartition> parts) {
      long head = ring.head(), tail = ring.tail();
      if (head == tail) return;
      StringBuilder names = new StringBuilder();
      for (TopicPartition tp : parts) {
        Integer i = index.get(tp);
        if (i == null) continue;
        generations.incrementAndGet(i); // first, so the trainer takes none of the rows found below
        long first = -1;
        for (long seq = head; seq < tail; seq++) {
          int s = ring.slot(seq);
          if (ring.partition[s] == i && (first < 0 || ring.offset[s] < first)) first = ring.offset[s];
        }
        if (first < 0) continue;
        enqueuedNext[i] = first;
        if (!names.isEmpty()) names.append(',');
        names.append(tp);
      }
      if (!names.isEmpty())
        trainer.lost(names.toString(), tail, trainer.controlPaused ? "revoked while training is paused by control"
            : "revoked before the trainer took them: the hand-over ran out of shutdown.timeout.ms");
    }

    /**
     * The group expired this member's session and gave its partitions to others, which start at the
     * committed offsets. In a group the rows of them still queued are not this replica's to train:
     * their generation is bumped so the trainer skips them, and this replica forgets how far it
     * fetched them, so a later assignment starts from the group's committed offset. What the trainer
     * took before stays in its state (the tail the group could not know of, which the new owner
     * trains too); the next checkpoint records it with its offsets. Alone nothing is handed over,
     * and the partition continues where this instance left it.
     */
    @Override public void onPartitionsLost(Collection<TopicPartition> parts) {
      if (sync != null && !parts.isEmpty()) {
        StringBuilder names = new StringBuilder();
        for (TopicPartition tp : parts) {
          Integer i = index.get(tp);
          if (i == null) continue;
          generations.incrementAndGet(i);
          enqueuedNext[i] = -1;
          if (!names.isEmpty()) names.append(',');
          names.append(tp);
        }
        trainer.lost(names.toString(), ring.tail());
      }
      lose(parts);
      if (sync != null) confirmLease();
    }

    /**
     * A newly assigned partition starts from the offsets of the state that will train it. Alone:
     * this state's own position (the restored checkpoint's offset, or where this instance left the
     * partition). In a group: the committed offset (what the previous owner's last checkpoint
     * covers), or this replica's own position if that is further (its checkpoint is newer than its
     * last commit); the committed offset is also remembered, so this replica never commits below it.
     */
    @Override public void onPartitionsAssigned(Collection<TopicPartition> parts) {
      Map<TopicPartition, OffsetAndMetadata> groupCommitted = Map.of();
      if (sync != null && !parts.isEmpty()) {
        try {
          groupCommitted = consumer.committed(new LinkedHashSet<>(parts), Duration.ofSeconds(10));
        } catch (WakeupException e) {
          throw e;
        } catch (KafkaException e) { // rare: the broker went away mid-rebalance; start where Kafka's position says
          log.warn("model {}: cannot read the committed offsets of {} ({}); continuing from the consumer's positions",
              mc.name(), parts, e.toString());
          groupCommitted = null;
        }
      }
      for (TopicPartition tp : parts) {
        int i = indexOf(tp);
        Long restored = seekTo.remove(tp.toString());
        if (sync == null) {
          if (restored != null) { // records before it are in the restored state, records from it on are not
            consumer.seek(tp, restored);
            covered.accumulateAndGet(i, restored, Math::max);
            enqueuedNext[i] = restored;
            log.info("model {}: {} continues at offset {} of the restored checkpoint", mc.name(), tp, restored);
          } else if (enqueuedNext[i] >= 0) {
            continueAfterFetched(tp, i);
          }
        } else if (groupCommitted != null) {
          long own = enqueuedNext[i] >= 0 ? enqueuedNext[i] : restored != null ? restored : -1;
          OffsetAndMetadata c = groupCommitted.get(tp);
          long com = c == null ? -1 : c.offset();
          committed[i] = com;
          if (com >= 0) covered.accumulateAndGet(i, com, Math::max);
          if (own > com) consumer.seek(tp, own);
          log.info("model {}: replica {} takes {} at offset {} (committed {}, own {})", mc.name(), sync.replica(), tp,
              Math.max(own, com), com, own);
        }
      }
      if (parts.contains(lead)) trainer.publisher = true;
      if (!parts.isEmpty() && "starting".equals(problem)) problem = null; // not a problem once partitions are here
      assigned.addAll(parts);
      assignedCount = assigned.size();
      if (paused) consumer.pause(parts);
      nextLagMs = 0;
    }

    /**
     * A partition this runner held before (a rebalance after a broker outage revoked it, or its
     * session expired): its records up to enqueuedNext[i] are trained or still queued here, while the
     * group's committed offset may be behind them (commits fail during an outage). Continue after
     * them, unless the group committed further meanwhile (another instance trained it).
     */
    private void continueAfterFetched(TopicPartition tp, int i) {
      long pos;
      try {
        pos = consumer.position(tp, Duration.ofSeconds(5));
      } catch (WakeupException e) {
        throw e;
      } catch (KafkaException e) {
        pos = -1; // unknown: what this runner took is the best knowledge
      }
      if (pos < enqueuedNext[i]) {
        consumer.seek(tp, enqueuedNext[i]);
        log.info("model {}: {} assigned again; continues at offset {} after the records it took (group position {})",
            mc.name(), tp, enqueuedNext[i], pos < 0 ? "unknown" : pos);
      }
    }

    private void lose(Collection<TopicPartition> parts) {
      if (sync != null && parts.contains(lead)) trainer.publisher = false;
      assigned.removeAll(parts);
      assignedCount = assigned.size();
      for (TopicPartition tp : parts) lagByPartition.remove(tp.toString());
    }
  }

  /**
   * Group rebalance: this replica lets the trainer take every row in the ring, exchange and write a
   * checkpoint of everything it holds, and waits for it, so the commit that follows hands the
   * partitions over exactly where this replica's durable state ends. Bounded by shutdown.timeout.ms;
   * if the checkpoint fails, the older commit stands and the new owner trains the tail again.
   */
  private void handOver() {
    long deadline = System.nanoTime() + shutdownTimeoutMs * 1_000_000L;
    // Paused by control, the trainer takes nothing: its queued rows are dropped after the hand-over.
    while (ring.size() > 0 && !trainer.controlPaused && !trainer.done && System.nanoTime() < deadline) {
      renewLease();
      LockSupport.unpark(trainer.thread);
      LockSupport.parkNanos(1_000_000L);
    }
    long req = trainer.handoverRequested + 1;
    trainer.handoverRequested = req;
    LockSupport.unpark(trainer.thread);
    while (trainer.handoverDone < req && !trainer.done && System.nanoTime() < deadline) LockSupport.parkNanos(1_000_000L);
    if (trainer.handoverDone < req && !trainer.done)
      log.warn("model {}: hand-over checkpoint not done within shutdown.timeout.ms = {}; committing what is durable",
          mc.name(), shutdownTimeoutMs);
  }

  /**
   * Stop fetching; let the trainer drain the ring, train the batch in flight and publish a last
   * version; then commit what was covered and close the clients, all within shutdown.timeout.ms.
   */
  private void shutdown() {
    long deadline = closeDeadlineNanos != 0 ? closeDeadlineNanos : System.nanoTime() + shutdownTimeoutMs * 1_000_000L;
    long budget = deadline - System.nanoTime();
    trainer.drainDeadlineNanos = System.nanoTime() + budget * 6 / 10;
    trainer.stopping = true;
    LockSupport.unpark(trainer.thread);
    while (!trainer.done && System.nanoTime() < deadline - budget * 2 / 10) {
      if (sync != null) renewLease(); // still a member until the consumer closes
      LockSupport.parkNanos(2_000_000L);
    }
    if (!trainer.done) log.warn("trainer of model {} did not finish within shutdown.timeout.ms = {}", mc.name(), shutdownTimeoutMs);
    // Dead letters in flight: a little time to be acknowledged, so the last commit can cover their records.
    long dlqUntil = deadline - budget * 15 / 100;
    while (deadLetters.pending() > 0 && System.nanoTime() < dlqUntil) {
      deadLetters.retry();
      LockSupport.parkNanos(2_000_000L);
    }
    try {
      commit(assigned);
    } catch (RuntimeException e) {
      log.warn("final commit of model {} failed: {}", mc.name(), e.toString());
    }
    markCleanStop();
    Duration rest = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()) / 2);
    try {
      // A static member stays in the group on close by default (its partitions wait for its
      // session to expire): a graceful stop leaves, so the others take them over at once.
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.groupMembershipOperation(
          org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(rest));
    } catch (RuntimeException e) {
      log.warn("closing the consumer of model {}: {}", mc.name(), e.toString());
    }
    if (sync != null) sync.close();
    deadLetters.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()) / 2));
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    if (audit != null) audit.close();
    assignedCount = 0;
    paused = false;
    problem = "stopped";
  }

  /**
   * After a graceful stop: when the last checkpoint holds the trainer's final state and nothing newer
   * was published, the next start that restores it keeps this incarnation (its ETags stay valid).
   */
  private void markCleanStop() {
    if (checkpoints == null || !trainer.done || trainer.failure != null || sync != null) return;
    long step = learner.step();
    if (trainer.checkpointLastStep != step || trainer.version > step) return;
    try {
      Identity.endClean(checkpoints.dir(), incarnation, step);
    } catch (java.io.IOException | RuntimeException e) {
      log.warn("model {}: cannot mark the stop clean in {} (the next start begins a new weights incarnation): {}",
          mc.name(), checkpoints.dir(), e.toString());
    }
  }

  /**
   * Before {@link #start()} has succeeded: why the model is not running yet (the service waits for
   * the broker), shown by {@link #status()} and GET /ready.
   */
  public void waiting(String why) {
    if (!running) problem = why;
  }

  /** Graceful stop within shutdown.timeout.ms; idempotent. */
  @Override public void close() {
    if (bus != null) bus.close(); // commands now fail with "not running"
    Thread ct;
    synchronized (this) {
      if (!running) return;
      closeDeadlineNanos = System.nanoTime() + shutdownTimeoutMs * 1_000_000L;
      running = false;
      ct = consumerThread;
    }
    consumer.wakeup();
    try {
      ct.join(shutdownTimeoutMs + 1000);
      trainerThread.join(Math.max(1, (closeDeadlineNanos - System.nanoTime()) / 1_000_000L));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ct.isAlive()) log.warn("model {} did not stop within shutdown.timeout.ms = {}", mc.name(), shutdownTimeoutMs);
  }

  /** Trainer thread: a firing of the divergence guard, to the listeners and the bus. */
  private void divergence(org.streamlearn.learn.Divergence d) {
    for (var l : divergenceListeners) l.accept(d);
    if (bus != null) bus.divergence(d);
  }

  /** Trainer thread: a drift of the prequential loss, to the listeners and the bus. */
  private void drift(org.streamlearn.learn.Drift d) {
    for (var l : driftListeners) l.accept(d);
    if (bus != null) bus.drift(d);
  }

  /** Trainer-thread sink of a version: to the listeners, then to the weights topic (when elected). */
  private void deliver(Published p, long snapshotNanos, boolean toTopic) {
    // HTTP and listeners first: send may block up to max.block.ms when the broker is away.
    latest = p;
    Trainer.notify(listeners, p);
    if (bus != null) bus.published(p);
    if (!toTopic) return;
    var rec = new ProducerRecord<>(weightsTopic, null, p.snapshot().createdMillis(), key, p.safetensors());
    producer.send(rec, (md, e) -> {
      if (e == null) observer.published(System.nanoTime() - snapshotNanos);
      else if (publishFailures.getAndIncrement() == 0)
        log.warn("publishing weights version {} to {} failed (later failures only counted): {}", p.version(),
            weightsTopic, e.toString());
    });
  }

  // ---- ModelView and figures ----------------------------------------------------------------

  @Override public String name() {
    return mc.name();
  }

  @Override public String spec() {
    return learner.config().spec().toString();
  }

  @Override public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("topics", mc.topics());
    m.put("group", mc.group());
    m.put("format", mc.input().format().name().toLowerCase(java.util.Locale.ROOT));
    m.put("features", mc.input().features());
    m.put("label", mc.label().type().name().toLowerCase(java.util.Locale.ROOT));
    if (mc.label().classes() > 0) m.put("classes", mc.label().classes());
    else m.put("targets", mc.label().targets());
    m.put("spec", spec());
    m.put("params", learner.model().paramCount());
    m.put("loss", learner.config().loss());
    m.put("optimizer", learner.config().optimizer().name());
    m.put("lr", learner.config().optimizer().lr());
    m.put("schedule", learner.config().schedule());
    m.put("clip", learner.config().clip().toString());
    var ad = learner.config().adaptation();
    m.put("input_normalize", ad.inputStandard() ? "standard" : "none");
    if (ad.labelStandard()) m.put("label_normalize", "standard");
    if (ad.halfLife() > 0) m.put("normalize_half_life", ad.halfLife());
    m.put("drift_detector", ad.drift().detector());
    m.put("plasticity", ad.plasticity().toString());
    if (ad.drift().enabled()) {
      m.put("drift_action", ad.drift().action().name().toLowerCase(java.util.Locale.ROOT));
      m.put("drifts_detected", trainer.drifts);
    }
    m.put("batch_size", mc.batchSize());
    m.put("batch_linger_ms", mc.batchLingerMs());
    m.put("publish_every_steps", mc.publishEverySteps());
    m.put("publish_every_ms", mc.publishEveryMs());
    m.put("queue_max_records", mc.queueMaxRecords());
    m.put("weights_topic", weightsTopic);
    m.put("dlq_topic", dlqTopic);
    m.put("dead_letters_pending", deadLetters.pending());
    m.put("replica", mc.scale().replicaId());
    m.put("partitions_owned", assignedCount);
    if (sync != null) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("sync_topic", sync.topic());
      g.put("sync_every_steps", mc.scale().syncEverySteps());
      g.put("sync_every_ms", mc.scale().syncEveryMs());
      g.put("sync_stale_ms", mc.scale().syncStaleMs());
      g.put("publisher", trainer.publisher);
      g.put("exchanges", trainer.exchanges);
      g.put("rows_dropped", trainer.rowsDropped);
      g.put("replicas_in_last_average", sync.lastReplicasInAverage);
      g.put("divergence", finite(sync.lastDivergence));
      g.put("relative_divergence", finite(sync.lastRelativeDivergence));
      g.put("group_examples_per_second", Math.round(groupExamplesPerSecond() * 10) / 10.0);
      g.put("others", sync.describeOthers());
      m.put("scale_out", g);
    }
    if (mc.scale().auditPath() != null) m.put("audit_path", mc.scale().auditPath().toString());
    if (checkpoints != null) {
      m.put("checkpoint_dir", checkpoints.dir().toString());
      m.put("checkpoint_every_steps", mc.checkpoint().everySteps());
      m.put("checkpoint_every_ms", mc.checkpoint().everyMs());
      m.put("checkpoint_keep", mc.checkpoint().keep());
    }
    return m;
  }

  @Override public org.streamlearn.model.RecordIntake intake() {
    return intake;
  }

  @Override public Map<String, Object> checkpoint() {
    return trainer.lastCheckpoint;
  }

  /** The figures of this moment, assembled from the trainer's and the consumer's fields. */
  @Override public Figures figures() {
    var t = new TrainingFigures(trainer.steps, trainer.examples, trainer.rowsTrained, trainer.divergences,
        trainer.rolledBackExamples, trainer.version, trainer.learningRate, trainer.gradNorm, trainer.metrics,
        trainer.examplesPerSecond, trainer.controlPaused, trainer.resets, trainer.publishSkipped, trainer.drifts,
        trainer.exchanges, trainer.rowsDropped, trainer.publisher, trainer.lastPublishMillis);
    long[] dead = new long[deadLettered.length()];
    for (int i = 0; i < dead.length; i++) dead[i] = deadLettered.get(i);
    var in = new IngestFigures(recordsIn.get(), dead, deadLetters.pending(), deadLetters.givenUp(), pauses.get(), paused,
        ring.size(), ring.capacity, maxDepth, lag, Map.copyOf(lagByPartition), assignedCount, partitionsRevoked.get(),
        lastBrokerContactMs, brokerConnected());
    var g = sync == null ? GroupFigures.ALONE : new GroupFigures(true, sync.lastReplicasInAverage, sync.liveReplicas(),
        sync.lastDivergence, sync.lastRelativeDivergence, sync.othersRate());
    return new Figures(t, in, g, trainer.checkpointLastStep, checkpointFailures(), publishFailures.get());
  }

  /** Checkpoint writes that failed (disk full, read-only...). */
  public long checkpointFailures() {
    return trainer.health == null ? 0 : trainer.health.failures;
  }

  /** Step of the newest durable checkpoint, -1 none. */
  public long checkpointLastStep() {
    return trainer.checkpointLastStep;
  }

  @Override public Published latest() {
    return latest;
  }

  @Override public Status status() {
    long silence = brokerSilenceMillis();
    boolean connected = brokerConnected();
    boolean syncing = sync != null && !sync.caughtUp();
    boolean ready = running && assignedCount > 0 && silence < BROKER_SILENCE_MS && connected && !syncing;
    String p = problem;
    if (p == null && running && syncing) p = "reading the replicas' parameters on " + sync.topic();
    boolean brokerOrNone = p == null || p.startsWith("broker"); // "starting" stays until the first assignment
    if (running && !connected && brokerOrNone)
      p = "broker at " + kafka.bootstrapServers() + ": no connection (no answer for " + silence / 1000 + " s)";
    else if (p == null && !ready) p = !running ? "stopped" : assignedCount == 0 ? "no partitions assigned"
        : "broker at " + kafka.bootstrapServers() + " silent for " + silence / 1000 + " s";
    // Degraded, still ready: it trains and serves, and a restart would not make the disk writable.
    String c = trainer.health == null ? null : trainer.health.problem();
    if (c != null) p = p == null ? c : p + "; " + c;
    return new Status(ready, paused, trainer.examplesPerSecond, lag, p, trainer.controlPaused, trainer.steps,
        trainer.learningRate);
  }

  /**
   * Whether the consumer holds at least one open broker connection: a broker that died or closed
   * its port drops to none at once, long before any request times out (a hung one is caught by
   * {@link #BROKER_SILENCE_MS}).
   */
  private boolean brokerConnected() {
    var c = connections;
    if (c == null) return true;
    return !(c.metricValue() instanceof Number n) || n.doubleValue() > 0;
  }

  /** Milliseconds since the consumer last had an answer from the broker (start-up counts). */
  private long brokerSilenceMillis() {
    return System.currentTimeMillis() - lastBrokerContactMs;
  }

  public AutoCloseable onPublish(Consumer<Published> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  public AutoCloseable onDrift(Consumer<org.streamlearn.learn.Drift> listener) {
    driftListeners.add(listener);
    return () -> driftListeners.remove(listener);
  }

  /** Drifts detected on the prequential loss (drift.detector). */
  public long driftsDetected() {
    return trainer.drifts;
  }

  public AutoCloseable onDivergence(Consumer<org.streamlearn.learn.Divergence> listener) {
    divergenceListeners.add(listener);
    return () -> divergenceListeners.remove(listener);
  }

  /**
   * Posts the command to the trainer thread; the stage completes there once it is applied. Fails at
   * once with IllegalStateException when the runner is not running or its trainer stopped.
   */
  public java.util.concurrent.CompletionStage<Status> control(Command command) {
    if (!running || trainer.done)
      return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("model " + mc.name()
          + " is not running" + (trainer.failure != null ? " (trainer stopped: " + trainer.failure + ")" : "")));
    var done = new java.util.concurrent.CompletableFuture<Status>();
    trainer.post(command, done);
    return done;
  }

  /** True while training is paused by the control API (not by backpressure: see {@link #paused()}). */
  public boolean trainingPaused() {
    return trainer.controlPaused;
  }

  /** Versions withheld because a weight was not finite (the learner's guard should keep this 0). */
  public long publishSkipped() {
    return trainer.publishSkipped;
  }

  public ModelConfig config() {
    return mc;
  }

  /** Records consumed (decoded or dead-lettered). */
  public long recordsIn() {
    return recordsIn.get();
  }

  /** Records trained on in completed steps. */
  public long rowsTrained() {
    return trainer.rowsTrained;
  }

  public long deadLettered(DecodeResult.Reason r) {
    return deadLettered.get(r.ordinal());
  }

  public long deadLetteredTotal() {
    long s = 0;
    for (int i = 0; i < deadLettered.length(); i++) s += deadLettered.get(i);
    return s;
  }

  public long steps() {
    return trainer.steps;
  }

  public long examples() {
    return trainer.examples;
  }

  public long divergences() {
    return trainer.divergences;
  }

  /** Examples whose training divergence rollbacks discarded (see {@code OnlineLearner.rolledBackExamples}). */
  public long examplesRolledBack() {
    return trainer.rolledBackExamples;
  }

  public long version() {
    return trainer.version;
  }

  public double learningRate() {
    return trainer.learningRate;
  }

  public Metrics metrics() {
    return trainer.metrics;
  }

  @Override public boolean classification() {
    return learner.classification();
  }

  @Override public String replica() {
    return mc.scale().replicaId();
  }

  public boolean paused() {
    return paused;
  }

  /** Times the consumer paused for backpressure. */
  public long pauses() {
    return pauses.get();
  }

  public int queueDepth() {
    return ring.size();
  }

  public int queueCapacity() {
    return ring.capacity;
  }

  /** Deepest the hand-off queue has been. */
  public int maxQueueDepth() {
    return maxDepth;
  }

  /** Input partitions this instance owns now. */
  public int partitionsOwned() {
    return assignedCount;
  }

  /** Whether this instance writes the weights topic: alone always; in a group the owner of partition 0. */
  public boolean publisher() {
    return trainer.publisher;
  }

  /** Replicas (this one included) in the last average; 1 alone. */
  public int replicasInAverage() {
    return sync == null ? 1 : sync.lastReplicasInAverage;
  }

  /** ‖θ − θ_avg‖ at the last exchange that folded something in; NaN none. */
  public double divergence() {
    return sync == null ? Double.NaN : sync.lastDivergence;
  }

  /** ‖θ − θ_avg‖ / ‖θ_avg‖ at the last exchange that folded something in; NaN none. */
  public double relativeDivergence() {
    return sync == null ? Double.NaN : sync.lastRelativeDivergence;
  }

  /** Parameter exchanges done. */
  public long exchanges() {
    return trainer.exchanges;
  }

  /** Scale-out: queued rows of partitions lost to a session expiry, dropped untrained. */
  public long rowsDropped() {
    return trainer.rowsDropped;
  }

  /** This replica's examples/s plus the live others' as they last reported. */
  private double groupExamplesPerSecond() {
    return trainer.examplesPerSecond + (sync == null ? 0 : sync.othersRate());
  }

  private static Object finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /** Input partitions revoked from this instance by rebalances (handed over with a checkpoint in a group). */
  public long partitionsRevoked() {
    return partitionsRevoked.get();
  }

  /** Dead letters handed to the producer and not yet acknowledged by the broker (their records are not committed). */
  public long deadLettersPending() {
    return deadLetters.pending();
  }

}
