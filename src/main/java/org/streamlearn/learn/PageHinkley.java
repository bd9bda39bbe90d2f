package org.streamlearn.learn;

/**
 * The Page-Hinkley test (Page 1954, "Continuous inspection schemes", Biometrika 41) for a rise of the
 * mean, as River defines it ({@code river.drift.PageHinkley}, mode "up"): with x̄ the running mean of
 * the values so far (this one included),
 *
 * <pre>
 *   S = α·S + (x − x̄ − δ);   M = min(M, S);   drift when n ≥ minInstances and S − M &gt; λ
 * </pre>
 *
 * After a detection every statistic starts again at the next value (River resets in the next
 * update). River's defaults: δ = 0.005, λ = 50, α = 1 − 0.0001, minInstances = 30. Only the
 * increase test is run: a falling loss is the learner doing its job, not a drift to act on.
 */
public final class PageHinkley implements DriftDetector {
  private final double delta, threshold, alpha;
  private final long minInstances;
  private long n;
  private double mean, sum, min = Double.MAX_VALUE;
  private boolean detected;

  public PageHinkley(double delta, double threshold, double alpha, long minInstances) {
    if (!(delta >= 0) || !(threshold > 0) || !(alpha > 0 && alpha <= 1) || minInstances < 1)
      throw new IllegalArgumentException("page_hinkley: delta >= 0, threshold > 0, alpha in (0, 1], min_instances >= 1");
    this.delta = delta;
    this.threshold = threshold;
    this.alpha = alpha;
    this.minInstances = minInstances;
  }

  @Override public boolean update(double x) {
    if (detected) {
      n = 0;
      mean = 0;
      sum = 0;
      min = Double.MAX_VALUE;
      detected = false;
    }
    n++;
    mean += (x - mean) / n;
    sum = alpha * sum + (x - mean - delta);
    if (sum < min) min = sum;
    if (n >= minInstances) detected = sum - min > threshold;
    return detected;
  }

  /** The test statistic S − M now. */
  public double statistic() {
    return n == 0 ? 0 : sum - min;
  }

  @Override public double[] export() {
    return new double[] {n, mean, sum, min, detected ? 1 : 0};
  }

  @Override public void restore(double[] s) {
    if (s.length != 5) throw new IllegalArgumentException("page_hinkley state has " + s.length + " values, expected 5");
    n = (long) s[0];
    mean = s[1];
    sum = s[2];
    min = s[3];
    detected = s[4] != 0;
  }
}
