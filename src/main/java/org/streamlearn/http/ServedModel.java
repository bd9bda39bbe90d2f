package org.streamlearn.http;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.Snapshot;

/**
 * What the HTTP API needs of one running model; the stream side implements it (app wires the two),
 * so this package knows nothing of Kafka. Every method is safe to call from any thread and never
 * blocks: values are read from volatile fields the trainer publishes.
 */
public interface ServedModel {
  String name();

  /** Canonical layer spec text (ModelSpec.toString()). */
  String spec();

  /** Configuration summary for GET /models/{m}: topics, group, format, loss, optimizer, batch size... */
  Map<String, Object> describe();

  /** The newest published version, or null before the first publish. */
  Published latest();

  /** Live figures for the page, /ready and GET /models/{m}. */
  Status status();

  /**
   * Registers a listener called once per published version (on the trainer's or publisher's thread:
   * hop to your own context before doing I/O). Closing the returned handle unregisters it.
   */
  AutoCloseable onPublish(Consumer<Published> listener);

  /**
   * The newest durable checkpoint, or null when there is none: {@code file}, {@code step},
   * {@code examples}, {@code created} (ISO-8601), {@code offsets} {topic-partition: next offset},
   * {@code size_bytes}.
   */
  default Map<String, Object> checkpoint() {
    return null;
  }

  /**
   * Registers a listener called once per firing of the divergence guard (on the trainer's thread:
   * hop to your own context before doing I/O). Closing the returned handle unregisters it. A model
   * without a guard never calls it.
   */
  default AutoCloseable onDivergence(Consumer<Divergence> listener) {
    return () -> {};
  }

  /**
   * Registers a listener called once per drift detected on the prequential loss (trainer thread, as
   * {@link #onDivergence}). A model without drift detection never calls it.
   */
  default AutoCloseable onDrift(Consumer<org.streamlearn.learn.Drift> listener) {
    return () -> {};
  }

  /**
   * Applies a command of {@code POST /models/{m}/control} on the trainer's thread. The stage
   * completes, on that thread, with the status once the command took effect (a pause: no row is
   * taken after it), or exceptionally: {@link IllegalArgumentException} for a value the learner
   * refuses, {@link IllegalStateException} when the model is not running. Never blocks the caller.
   * A model that cannot be controlled fails with {@link UnsupportedOperationException}.
   */
  default CompletionStage<Status> control(Command command) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("model " + name() + " cannot be controlled"));
  }

  /** What {@code POST /models/{m}/records} uses: null when the model takes no posted records (501). */
  default RecordIntake intake() {
    return null;
  }

  /** The actions of {@code POST /models/{m}/control}. */
  enum Action {
    /**
     * Stop training: no more rows are taken; ingest then pauses by backpressure (nothing dropped).
     * Kept across restarts where the model checkpoints (a checkpoint is taken at once).
     */
    PAUSE,
    /** Continue training from where the pause left off (checkpointed at once too). */
    RESUME,
    /** Re-initialise parameters and optimizer state from the seed; the version line and offsets go on. */
    RESET,
    /** Set the base learning rate to {@code value} (the schedule scales it). */
    LR
  }

  /** One command; {@code value} is the learning rate for {@link Action#LR}, NaN otherwise. */
  record Command(Action action, double value) {
    public Command {
      if (action == null) throw new IllegalArgumentException("action is required");
      if (action == Action.LR && !(value > 0 && Double.isFinite(value)))
        throw new IllegalArgumentException("value = " + value + ": must be a finite number > 0");
    }

    public static Command of(Action a) {
      return new Command(a, Double.NaN);
    }
  }

  /**
   * A published weights version: the snapshot and its safetensors encoding (same bytes as on Kafka),
   * and the incarnation of its version line: (incarnation, version) names one set of weights, even
   * across restarts (the ETag of GET weights).
   */
  record Published(Snapshot snapshot, byte[] safetensors, String incarnation) {
    public Published(Snapshot snapshot, byte[] safetensors) {
      this(snapshot, safetensors, "0");
    }

    /** The HTTP entity tag, quoted: {@code "<incarnation>-<version>"}. */
    public String etag() {
      return "\"" + incarnation + "-" + version() + "\"";
    }

    public long version() {
      return snapshot.version();
    }
  }

  /**
   * @param ready broker connected and answering, and partitions assigned (a model with no
   *     assignment is not ready)
   * @param paused fetching paused by backpressure (also the consequence of a training pause, once
   *     the queue is full)
   * @param examplesPerSecond recent training rate
   * @param lag records behind the end of the input partitions (sum), -1 when unknown
   * @param problem a human-readable reason when not ready, or when ready but degraded (failing
   *     checkpoints: GET /ready still answers 200 and lists it under "degraded"), else null
   * @param trainingPaused training paused by {@code POST /models/{m}/control} ({@code pause})
   * @param step steps taken (the next version is step + 1), -1 when unknown
   * @param learningRate learning rate of the next step, NaN when unknown
   */
  record Status(boolean ready, boolean paused, double examplesPerSecond, long lag, String problem,
      boolean trainingPaused, long step, double learningRate) {
    /** A status without training figures (a model that cannot be paused). */
    public Status(boolean ready, boolean paused, double examplesPerSecond, long lag, String problem) {
      this(ready, paused, examplesPerSecond, lag, problem, false, -1, Double.NaN);
    }
  }
}
