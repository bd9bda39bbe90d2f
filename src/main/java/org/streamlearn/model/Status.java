package org.streamlearn.model;

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
public record Status(boolean ready, boolean paused, double examplesPerSecond, long lag, String problem,
    boolean trainingPaused, long step, double learningRate) {
  /** A status without training figures (a model that cannot be paused). */
  public Status(boolean ready, boolean paused, double examplesPerSecond, long lag, String problem) {
    this(ready, paused, examplesPerSecond, lag, problem, false, -1, Double.NaN);
  }
}
