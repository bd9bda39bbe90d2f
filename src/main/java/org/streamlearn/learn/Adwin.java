package org.streamlearn.learn;

/**
 * ADWIN, adaptive windowing (Bifet &amp; Gavaldà 2007, "Learning from time-changing data with
 * adaptive windowing", SDM), as River implements it ({@code river.drift.ADWIN}, {@code adwin_c.pyx}):
 * the window is kept as rows of at most {@value #MAX_BUCKETS} buckets (row r holds buckets of 2^r
 * values, with each bucket's total and variance, merged as in Babcock et al. 2003); every {@code
 * clock} values, once the window holds more than {@code gracePeriod}, each cut into an older part
 * W0 and a newer part W1 (both at least {@code minWindowLength} long) is tested with
 *
 * <pre>
 *   δ' = ln(2·ln(|W|) / δ),  1/m = 1/(n0 − L + 1) + 1/(n1 − L + 1),
 *   ε = sqrt(2·(1/m)·σ²_W·δ') + (2/3)·δ'·(1/m),   change when |μ0 − μ1| &gt; ε
 * </pre>
 *
 * and on a change the oldest bucket is dropped and the test runs again. The loop bounds, the order of
 * the cuts and the merging follow River's code line for line (including its cut loop stopping one
 * bucket short in each row). River's defaults: δ = 0.002, clock = 32, max buckets 5, minimum window
 * length 5, grace period 10. Where River reports every change, {@link #update} reports a change
 * only when the newer part's mean is higher (the monitored loss rose); {@link #changes()} counts all.
 * Fixed arrays: allocates nothing per value.
 */
public final class Adwin implements DriftDetector {
  static final int MAX_BUCKETS = 5, ROWS = 64;
  private final double delta;
  private final int clock, gracePeriod = 10, minWindowLength = 5;
  private final double[][] totals = new double[ROWS][MAX_BUCKETS + 1], variances = new double[ROWS][MAX_BUCKETS + 1];
  private final int[] counts = new int[ROWS];
  private int rows = 1;
  private double total, variance, width;
  private long tick, changes;

  public Adwin(double delta, int clock) {
    if (!(delta > 0 && delta < 1) || clock < 1)
      throw new IllegalArgumentException("adwin: delta in (0, 1), clock >= 1");
    this.delta = delta;
    this.clock = clock;
  }

  /** Values in the window now. */
  public double width() { return width; }
  /** Mean of the window. */
  public double mean() { return width == 0 ? 0 : total / width; }
  /** Changes detected in either direction (River's detections). */
  public long changes() { return changes; }

  @Override public boolean update(double value) {
    insert(value);
    return detect();
  }

  private void insert(double value) {
    totals[0][counts[0]] = value;
    variances[0][counts[0]] = 0;
    counts[0]++;
    width++;
    if (width > 1) {
      double d = value - total / (width - 1);
      variance += (width - 1) * d * d / width;
    }
    total += value;
    compress();
  }

  private static double size(int row) {
    return Math.scalb(1.0, row); // exact, and no allocation (StrictMath.pow allocates until C2 compiles it)
  }

  private void compress() {
    for (int idx = 0; idx < ROWS - 1; idx++) {
      if (counts[idx] != MAX_BUCKETS + 1) break;
      if (idx + 1 == rows) { // a new row of larger buckets
        counts[rows] = 0;
        rows++;
      }
      double n1 = size(idx), n2 = size(idx);
      double mu1 = totals[idx][0] / n1, mu2 = totals[idx][1] / n2;
      double total12 = totals[idx][0] + totals[idx][1];
      double v12 = variances[idx][0] + variances[idx][1] + n1 * n2 * (mu1 - mu2) * (mu1 - mu2) / (n1 + n2);
      totals[idx + 1][counts[idx + 1]] = total12;
      variances[idx + 1][counts[idx + 1]] = v12;
      counts[idx + 1]++;
      shift(idx, 2);
      if (counts[idx + 1] <= MAX_BUCKETS) break;
    }
  }

  /** Drops the row's oldest k buckets. */
  private void shift(int row, int k) {
    double[] t = totals[row], v = variances[row];
    for (int i = k; i < t.length; i++) {
      t[i - k] = t[i];
      v[i - k] = v[i];
    }
    for (int i = t.length - k; i < t.length; i++) t[i] = v[i] = 0;
    counts[row] -= k;
  }

  /** Removes the oldest bucket of the window; returns its length. */
  private double deleteOldest() {
    int last = rows - 1;
    double n = size(last), u = totals[last][0], mu = u / n, v = variances[last][0];
    width -= n;
    total -= u;
    double muWindow = total / width;
    variance -= v + n * width * (mu - muWindow) * (mu - muWindow) / (n + width);
    shift(last, 1);
    if (counts[last] == 0 && rows > 1) rows--;
    return n;
  }

  private boolean detect() {
    boolean rise = false;
    tick++;
    if (tick % clock == 0 && width > gracePeriod) {
      boolean reduce = true;
      while (reduce) {
        reduce = false;
        boolean exit = false;
        double n0 = 0, n1 = width, u0 = 0, u1 = total;
        for (int idx = rows - 1; idx >= 0 && !exit; idx--) {
          for (int k = 0; k < counts[idx] - 1; k++) {
            n0 += size(idx);
            n1 -= size(idx);
            u0 += totals[idx][k];
            u1 -= totals[idx][k];
            double deltaMean = u0 / n0 - u1 / n1;
            if (n1 >= minWindowLength && n0 >= minWindowLength && cut(n0, n1, deltaMean)) {
              reduce = true;
              changes++;
              if (deltaMean < 0) rise = true;
              if (width > 0) n0 -= deleteOldest();
              exit = true;
              break;
            }
          }
        }
      }
    }
    return rise;
  }

  private boolean cut(double n0, double n1, double deltaMean) {
    // StrictMath: a cut decided the same way in every JIT tier keeps resumed training bit for bit
    double deltaPrime = StrictMath.log(2 * StrictMath.log(width) / delta);
    double mRecip = 1.0 / (n0 - minWindowLength + 1) + 1.0 / (n1 - minWindowLength + 1);
    double epsilon = Math.sqrt(2 * mRecip * (variance / width) * deltaPrime) + 2.0 / 3.0 * deltaPrime * mRecip;
    return Math.abs(deltaMean) > epsilon;
  }

  @Override public double[] export() {
    double[] s = new double[6 + rows * (1 + 2 * (MAX_BUCKETS + 1))];
    s[0] = rows;
    s[1] = total;
    s[2] = variance;
    s[3] = width;
    s[4] = tick;
    s[5] = changes;
    int o = 6;
    for (int r = 0; r < rows; r++) {
      s[o++] = counts[r];
      for (int k = 0; k <= MAX_BUCKETS; k++) s[o++] = totals[r][k];
      for (int k = 0; k <= MAX_BUCKETS; k++) s[o++] = variances[r][k];
    }
    return s;
  }

  @Override public void restore(double[] s) {
    int r0 = s.length > 0 ? (int) s[0] : -1;
    if (r0 < 1 || r0 > ROWS || s.length != 6 + r0 * (1 + 2 * (MAX_BUCKETS + 1)))
      throw new IllegalArgumentException("adwin state of " + s.length + " values does not match");
    rows = r0;
    total = s[1];
    variance = s[2];
    width = s[3];
    tick = (long) s[4];
    changes = (long) s[5];
    int o = 6;
    for (int r = 0; r < ROWS; r++) {
      counts[r] = r < rows ? (int) s[o++] : 0;
      for (int k = 0; k <= MAX_BUCKETS; k++) totals[r][k] = r < rows ? s[o++] : 0;
      for (int k = 0; k <= MAX_BUCKETS; k++) variances[r][k] = r < rows ? s[o++] : 0;
    }
  }
}
