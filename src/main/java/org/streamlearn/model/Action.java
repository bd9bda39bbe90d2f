package org.streamlearn.model;

/** The actions of {@code POST /models/{m}/control} and of the control address. */
public enum Action {
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
