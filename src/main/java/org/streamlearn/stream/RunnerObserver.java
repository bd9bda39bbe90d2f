package org.streamlearn.stream;

/**
 * Receives the timed events of a {@link ModelRunner} (the metrics package turns them into
 * Micrometer timers; this package stays free of Micrometer). Called on the trainer thread, except
 * {@link #published} (the producer's I/O thread, when the broker acknowledged) and
 * {@link #partitionAssigned} (the consumer thread). Must be cheap and must not throw.
 */
public interface RunnerObserver {
  RunnerObserver NONE = new RunnerObserver() {};

  /** One optimizer step (full or lingered partial batch) took this long. */
  default void step(long nanos) {}

  /** A weights version went from snapshot to broker acknowledgement in this long. */
  default void published(long nanos) {}

  /** Publish time minus the oldest record timestamp trained into the version, in ms. */
  default void freshness(long millis) {}

  /** A partition was assigned for the first time ("topic-partition"); per-partition meters bind here. */
  /** A checkpoint was written and fsynced, in nanos (on the checkpoint writer thread). */
  default void checkpointWritten(long nanos) {}

  default void partitionAssigned(String topicPartition) {}

  /**
   * Scale-out: one parameter exchange (publish, fold in the others) took this long, averaged over
   * this many replicas (1: only this one), moving θ by divergence = ‖θ − θ_avg‖ (NaN: nothing folded).
   */
  default void exchanged(long nanos, int replicas, double divergence) {}
}
