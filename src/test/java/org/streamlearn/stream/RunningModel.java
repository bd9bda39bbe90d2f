package org.streamlearn.stream;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.streamlearn.app.Service;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.Drift;
import org.streamlearn.learn.Metrics;
import org.streamlearn.model.Command;
import org.streamlearn.model.Figures;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * Tests' handle on one {@link ModelVerticle}: deploys it on a Vert.x instance of its own (or wraps
 * one a {@link Service} runs), reads its figures under the names the tests use, and talks to it
 * through the event bus as any application would.
 */
public final class RunningModel implements AutoCloseable {
  private final ModelVerticle model;
  private final boolean owned;
  private final boolean ownVertx;
  private Vertx vertx;
  private String deployment;

  public RunningModel(ModelConfig mc, KafkaClients kafka, long shutdownTimeoutMs) {
    this.model = new ModelVerticle(mc, kafka, shutdownTimeoutMs);
    this.owned = true;
    this.ownVertx = true;
  }

  /** Deployed on the given Vert.x instance (which stays open on close). */
  public RunningModel(ModelConfig mc, KafkaClients kafka, long shutdownTimeoutMs, Vertx vertx) {
    this.model = new ModelVerticle(mc, kafka, shutdownTimeoutMs);
    this.owned = true;
    this.ownVertx = false;
    this.vertx = vertx;
  }

  private RunningModel(ModelVerticle model, Vertx vertx) {
    this.model = model;
    this.vertx = vertx;
    this.owned = false;
    this.ownVertx = false;
  }

  /** A model a running service deployed. */
  public static RunningModel in(Service s, String name) {
    return of(s.runners().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow(), s.vertx());
  }

  public static List<RunningModel> all(Service s) {
    return s.runners().stream().map(r -> of(r, s.vertx())).toList();
  }

  public static RunningModel of(ModelVerticle model, Vertx vertx) {
    return new RunningModel(model, vertx);
  }

  public static long leaseLength(KafkaClients kafka) {
    return Lease.lengthMillis(kafka);
  }

  /** Deploys the model on a Vert.x instance of its own; a failed start rethrows its cause. */
  public synchronized RunningModel start() {
    if (!owned || deployment != null) return this;
    if (vertx == null) vertx = Vertx.vertx();
    try {
      deployment = vertx.deployVerticle(model).await();
    } catch (RuntimeException e) {
      if (ownVertx) vertx.close().await();
      throw e;
    }
    return this;
  }

  /** Undeploys (drain, checkpoint, commit, stop) and closes the Vert.x instance; idempotent. */
  @Override public synchronized void close() {
    if (owned && deployment == null && ownVertx && vertx != null) { // listened, never started
      vertx.close().await();
      vertx = null;
    }
    if (!owned || deployment == null) return;
    try {
      vertx.undeploy(deployment).await();
    } finally {
      deployment = null;
      if (ownVertx) vertx.close().await();
    }
  }

  public ModelVerticle verticle() {
    return model;
  }

  public Vertx vertx() {
    return vertx;
  }

  // ---- the event bus -------------------------------------------------------------------------

  public AutoCloseable onPublish(Consumer<Published> listener) {
    return listen(ModelEvents.weights(name()), listener);
  }

  public AutoCloseable onDivergence(Consumer<Divergence> listener) {
    return listen(ModelEvents.divergence(name()), listener);
  }

  public AutoCloseable onDrift(Consumer<Drift> listener) {
    return listen(ModelEvents.drift(name()), listener);
  }

  private <T> AutoCloseable listen(String address, Consumer<T> listener) {
    synchronized (this) {
      if (vertx == null) vertx = Vertx.vertx(); // listening before the start misses no version
    }
    ModelEvents.registerCodecs(vertx);
    MessageConsumer<T> c = vertx.eventBus().localConsumer(address, m -> listener.accept(m.body()));
    c.completion().await();
    return () -> c.unregister().await();
  }

  public CompletionStage<Status> control(Command command) {
    return ModelEvents.control(vertx, name(), command, 10_000).toCompletionStage();
  }

  // ---- what the model shows --------------------------------------------------------------------

  public String name() { return model.name(); }
  public String spec() { return model.spec(); }
  public Map<String, Object> describe() { return model.describe(); }
  public Published latest() { return model.latest(); }
  public Status status() { return model.status(); }
  public Map<String, Object> checkpoint() { return model.checkpoint(); }
  public org.streamlearn.model.RecordIntake intake() { return model.intake(); }
  public void observe(ModelObserver o) { model.observe(o); }
  public void waiting(String why) { model.waiting(why); }
  public ModelConfig config() { return model.modelConfig(); }
  public boolean classification() { return model.classification(); }
  public Figures figures() { return model.figures(); }

  public long recordsIn() { return figures().ingest().recordsIn(); }
  public long rowsTrained() { return figures().training().rowsTrained(); }
  public long deadLettered(DecodeResult.Reason r) { return figures().ingest().deadLettered(r); }
  public long deadLetteredTotal() { return figures().ingest().deadLetteredTotal(); }
  public long steps() { return figures().training().steps(); }
  public long examples() { return figures().training().examples(); }
  public long divergences() { return figures().training().divergences(); }
  public long examplesRolledBack() { return figures().training().examplesRolledBack(); }
  public long version() { return figures().training().version(); }
  public double learningRate() { return figures().training().learningRate(); }
  public double gradNorm() { return figures().training().gradNorm(); }
  public Metrics metrics() { return figures().training().metrics(); }
  public boolean paused() { return figures().ingest().paused(); }
  public long pauses() { return figures().ingest().pauses(); }
  public int queueDepth() { return figures().ingest().queueDepth(); }
  public int queueCapacity() { return figures().ingest().queueCapacity(); }
  public int maxQueueDepth() { return figures().ingest().maxQueueDepth(); }
  public long lag(String topicPartition) { return figures().ingest().lag(topicPartition); }
  public long lag() { return figures().ingest().lag(); }
  public int partitionsOwned() { return figures().ingest().partitionsOwned(); }
  public long partitionsRevoked() { return figures().ingest().partitionsRevoked(); }
  public long deadLettersPending() { return figures().ingest().deadLettersPending(); }
  public long deadLettersGivenUp() { return figures().ingest().deadLettersGivenUp(); }
  public boolean publisher() { return figures().ingest().publisher(); }
  public boolean replicated() { return figures().group().replicated(); }
  public int replicasInAverage() { return figures().group().replicasInAverage(); }
  public int liveOtherReplicas() { return figures().group().liveOthers(); }
  public double divergence() { return figures().group().divergence(); }
  public double relativeDivergence() { return figures().group().relativeDivergence(); }
  public double groupExamplesPerSecond() { return figures().groupExamplesPerSecond(); }
  public long exchanges() { return figures().training().exchanges(); }
  public long rowsDropped() { return figures().training().rowsDropped(); }
  public long publishFailures() { return figures().publishFailures(); }
  public long checkpointFailures() { return figures().checkpointFailures(); }
  public long checkpointLastStep() { return figures().checkpointLastStep(); }
  public boolean trainingPaused() { return figures().training().trainingPaused(); }
  public long resets() { return figures().training().resets(); }
  public long publishSkipped() { return figures().training().publishSkipped(); }
  public long driftsDetected() { return figures().training().drifts(); }
}
