package org.streamlearn.model;

import java.util.Map;

/**
 * What the HTTP API, the meters and the progress line read of one running model. Every method is
 * safe to call from any thread and never blocks: values come from immutable records the pipeline
 * replaces. Versions, divergences and drifts arrive on the event bus ({@link ModelEvents}), and
 * commands go there too: this interface has no listeners and no control method.
 */
public interface ModelView {
  String name();

  /** Canonical layer spec text (ModelSpec.toString()). */
  String spec();

  /** Configuration summary for GET /models/{m}: topics, group, format, loss, optimizer, batch size... */
  Map<String, Object> describe();

  /** The newest published version, or null before the first publish. */
  Published latest();

  /** Live figures for the page, /ready and GET /models/{m}. */
  Status status();

  /** The figures of this moment; null for a model that keeps none (a fixed model served for tests). */
  default Figures figures() {
    return null;
  }

  /** Whether the model classifies (accuracy) rather than regresses (RMSE, MAE). */
  default boolean classification() {
    Object l = describe().get("loss");
    return l != null && (l.toString().startsWith("cross_entropy") || l.toString().startsWith("bce"));
  }

  /** The replica id of this instance in its group (scale.replica.id). */
  default String replica() {
    Object r = describe().get("replica");
    return r == null ? "0" : r.toString();
  }

  /** Timings go to this observer from now on (set before the model starts to miss none). */
  default void observe(ModelObserver observer) {}

  /**
   * The newest durable checkpoint, or null when there is none: {@code file}, {@code step},
   * {@code examples}, {@code created} (ISO-8601), {@code offsets} {topic-partition: next offset},
   * {@code size_bytes}, {@code trainingPaused}.
   */
  default Map<String, Object> checkpoint() {
    return null;
  }

  /** What {@code POST /models/{m}/records} uses: null when the model takes no posted records (501). */
  default RecordIntake intake() {
    return null;
  }
}
