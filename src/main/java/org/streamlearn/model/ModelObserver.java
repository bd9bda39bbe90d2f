package org.streamlearn.model;

/**
 * Receives the timed events of one model's pipeline (the metrics package turns them into
 * Micrometer timers; the pipeline stays free of Micrometer). Called on the thread where the event
 * happens: the trainer's for steps, freshness and exchanges, the checkpoint writer's, the
 * producer's I/O thread for {@link #published}, the ingest thread for {@link #partitionAssigned}.
 * Must be cheap and must not throw.
 */
public interface ModelObserver {
  ModelObserver NONE = new ModelObserver() {};

  /** One optimizer step (full or lingered partial batch) took this long. */
  default void step(long nanos) {}

  /** A weights version went from snapshot to broker acknowledgement in this long. */
  default void published(long nanos) {}

  /** Publish time minus the oldest record timestamp trained into the version, in ms. */
  default void freshness(long millis) {}

  /** A checkpoint was written and fsynced, in nanos. */
  default void checkpointWritten(long nanos) {}

  /** A partition was assigned for the first time ("topic-partition"); per-partition meters bind here. */
  default void partitionAssigned(String topicPartition) {}

  /**
   * Scale-out: one parameter exchange (publish, fold in the others) took this long, averaged over
   * this many replicas (1: only this one), moving θ by divergence = ‖θ − θ_avg‖ (NaN: nothing folded).
   */
  default void exchanged(long nanos, int replicas, double divergence) {}
}
