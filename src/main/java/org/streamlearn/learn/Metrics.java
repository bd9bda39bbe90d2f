package org.streamlearn.learn;

/**
 * An immutable reading of the prequential (test-then-train) metrics: every example was scored by
 * the model as it was before training on it. "ewma" values weight recent examples more (half-life
 * in the configuration); "window" values are plain means over the last {@code window} examples.
 * Accuracy is NaN for regression; MAE and RMSE are NaN for classification.
 *
 * @param examples examples scored so far (non-finite losses excluded, see {@code skipped})
 * @param skipped examples whose loss was not finite (their batch was not trained on)
 * @param all whole-stream means since the learner started (checkpoints carry them over restarts)
 * @param sinceReset whole-stream means since the last control reset (equal to {@code all} before one)
 */
public record Metrics(long examples, long skipped, int window, double lossEwma, double lossWindow,
    double accuracyEwma, double accuracyWindow, double maeWindow, double rmseWindow, Cumulative all,
    Cumulative sinceReset) {

  public static final Metrics EMPTY = new Metrics(0, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
      Double.NaN, Double.NaN, Cumulative.EMPTY, Cumulative.EMPTY);

  /** Plain means over every example scored in a span; NaN where the task has no such figure. */
  public record Cumulative(long examples, double loss, double accuracy, double mae, double rmse) {
    public static final Cumulative EMPTY = new Cumulative(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
  }
}
