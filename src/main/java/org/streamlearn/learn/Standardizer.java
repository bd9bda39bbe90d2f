package org.streamlearn.learn;

import java.util.Arrays;
import org.streamlearn.kernels.Kernels;

/**
 * Per-feature running mean and variance of a stream, and the standardization {@code (x − mean) /
 * std} they define. Each example updates every feature with weight {@code a = max(1/n, α)} (n: examples
 * seen, this one included):
 *
 * <pre>
 *   d = x − mean;   mean += a·d;   var = (1 − a)·(var + a·d²)
 * </pre>
 *
 * With α = 0 this is Welford's update written as West's weighted form (1979): mean and variance are
 * exactly those of all examples so far (population variance, divided by n, as scikit-learn's
 * StandardScaler). With α = 1 − 0.5^(1/halfLife) (Finch 2009, "Incremental calculation of weighted
 * mean and variance") it becomes exponentially weighted once n passes 1/α, so a drifting stream's
 * scale is followed; before that it is the plain running mean, so the first examples do not
 * start from zero.
 *
 * <p>Statistics are kept in double. What is applied is the float32 pair {@link #mean()} / {@link
 * #std()}, recomputed after each update; a standard deviation below {@value #MIN_STD} (a constant
 * feature so far) is published as 1, so such a feature is only centred. Applying is one float
 * subtraction and one float division per value, which any float32 consumer (numpy) repeats bit for bit.
 * Allocates nothing after construction; single-threaded.
 *
 * <p>A mean or variance below the smallest normal double (2.2e−308) is stored as 0. Weighted
 * exponentially, the variance of a feature that stops varying (a sensor gone dark, a constant
 * column) halves every half-life and passes into the subnormals after about 1,000 half-lives: a
 * million examples at a half-life of 1,000, half a minute of a fast stream. On Intel cores each
 * instruction with a subnormal operand or result then takes a microcode assist (about 150 cycles;
 * see the optimizer state's flush in learning.md), twice per such feature per example, for as long
 * as the stream runs. Such a value rounds to 0 in the float32 statistics anyway.
 */
public final class Standardizer {
  /** Standard deviations below this are published as 1 (the feature has been constant so far). */
  public static final double MIN_STD = 1e-12;

  private final int n;
  private final double alpha;
  private final double[] mean, var;
  private final float[] meanF, stdF;
  private long count;

  /**
   * @param n values per example
   * @param halfLife examples after which an example's weight has halved; 0 weights all alike (Welford)
   */
  public Standardizer(int n, double halfLife) {
    if (n < 1) throw new IllegalArgumentException("n = " + n + ": must be >= 1");
    if (!(halfLife == 0 || halfLife >= 1))
      throw new IllegalArgumentException("halfLife = " + halfLife + ": must be 0 (cumulative) or >= 1");
    this.n = n;
    this.alpha = halfLife == 0 ? 0 : 1 - StrictMath.pow(0.5, 1 / halfLife);
    mean = new double[n];
    var = new double[n];
    meanF = new float[n];
    stdF = new float[n];
    Arrays.fill(stdF, 1f);
  }

  public int size() { return n; }
  public long count() { return count; }

  /** Updates the statistics with b rows x[off + r·stride .. + n), then refreshes mean() and std(). */
  public void update(int b, float[] x, int off, int stride) {
    for (int r = 0; r < b; r++) {
      count++;
      double a = Math.max(alpha, 1.0 / count);
      int o = off + r * stride;
      for (int i = 0; i < n; i++) {
        double d = x[o + i] - mean[i];
        mean[i] = Kernels.flushSubnormal(mean[i] + a * d); // see the class comment: no subnormal state
        var[i] = Kernels.flushSubnormal((1 - a) * (var[i] + a * d * d));
      }
    }
    refresh();
  }

  private void refresh() {
    for (int i = 0; i < n; i++) {
      meanF[i] = (float) mean[i];
      double s = Math.sqrt(var[i]);
      stdF[i] = s >= MIN_STD && Float.isFinite((float) s) ? (float) s : 1f;
    }
  }

  /** Overwrites b rows x[off + r·stride ..] with (x − mean) / std, in float. */
  public void apply(int b, float[] x, int off, int stride) {
    apply(meanF, stdF, b, x, off, stride);
  }

  /** (x − mean) / std over b rows of mean.length values, in float: what a snapshot's consumer does. */
  public static void apply(float[] mean, float[] std, int b, float[] x, int off, int stride) {
    Kernels.standardizeRows(b, mean.length, x, off, stride, mean, 0, std, 0);
  }

  /** The inverse: y = y·std + mean over b rows, in float (model outputs back to label units). */
  public static void invert(float[] mean, float[] std, int b, float[] y, int off, int stride) {
    int n = mean.length;
    for (int r = 0; r < b; r++) {
      int o = off + r * stride;
      for (int i = 0; i < n; i++) y[o + i] = y[o + i] * std[i] + mean[i];
    }
  }

  /** The float32 means applied (live: copy before handing to another thread). */
  public float[] mean() { return meanF; }

  /** The float32 standard deviations applied (live: copy before handing to another thread). */
  public float[] std() { return stdF; }

  /** Running mean of feature i, in double. */
  public double meanOf(int i) { return mean[i]; }

  /** Running (population) variance of feature i, in double. */
  public double varianceOf(int i) { return var[i]; }

  /** State for checkpoints: {count, mean[0..n), var[0..n)}. */
  public double[] export() {
    double[] s = new double[1 + 2 * n];
    s[0] = count;
    System.arraycopy(mean, 0, s, 1, n);
    System.arraycopy(var, 0, s, 1 + n, n);
    return s;
  }

  /** Restores what {@link #export()} gave; the sizes must match. */
  public void restore(double[] s) {
    if (s.length != 1 + 2 * n)
      throw new IllegalArgumentException("standardizer state has " + s.length + " values, expected " + (1 + 2 * n));
    count = (long) s[0];
    System.arraycopy(s, 1, mean, 0, n);
    System.arraycopy(s, 1 + n, var, 0, n);
    refresh();
  }

  /**
   * Starts from published statistics (a weights file's float32 mean and std, and the count it
   * states): the variance is std², so a std published as 1 for a constant feature comes back as 1.
   */
  public void restore(long count, float[] mean, float[] std) {
    if (mean.length != n || std.length != n)
      throw new IllegalArgumentException("published statistics have " + mean.length + "/" + std.length + " values, expected " + n);
    this.count = count;
    for (int i = 0; i < n; i++) {
      this.mean[i] = mean[i];
      this.var[i] = (double) std[i] * std[i];
    }
    refresh();
  }
}
