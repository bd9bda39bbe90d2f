package org.streamlearn.learn;

/**
 * Running prequential metrics over a stream of scored examples: an exponentially weighted mean, an
 * exact sliding-window mean, and whole-stream means (since start, and since the last {@link
 * #markReset()}: a control reset of the model) of each figure. Whole-stream sums are double; a
 * float loss added to a double sum 10^9 times keeps about 7 significant digits. Window sums are kept in double and recomputed from
 * the ring every {@code window} examples, so rounding cannot drift. Single-threaded; readers get
 * {@link #read()}, an immutable copy.
 */
final class PrequentialMetrics {
  private final boolean classification;
  private final int window;
  private final double alpha;
  private final float[] lossRing, hitRing, absRing, sqRing;
  private int pos, filled, sinceRecompute;
  private double lossSum, hitSum, absSum, sqSum;
  private double lossEwma = Double.NaN, hitEwma = Double.NaN;
  private long examples, skipped;
  /** Whole stream: [0] since start, [1] since the last reset; each n, loss, hit, abs, sq. */
  private final double[][] all = new double[2][5];

  PrequentialMetrics(boolean classification, int window, double halfLife) {
    this.classification = classification;
    this.window = window;
    this.alpha = 1 - StrictMath.pow(0.5, 1 / halfLife);
    lossRing = new float[window];
    hitRing = classification ? new float[window] : null;
    absRing = classification ? null : new float[window];
    sqRing = classification ? null : new float[window];
  }

  /** One scored example: its loss, and hit (1/0, classification) or mean |err| and err² (regression). */
  void add(float loss, float hitOrAbs, float sq) {
    if (!Float.isFinite(loss)) {
      skipped++;
      return;
    }
    examples++;
    for (double[] a : all) {
      a[0]++;
      a[1] += loss;
      if (classification) a[2] += hitOrAbs;
      else { a[3] += hitOrAbs; a[4] += sq; }
    }
    lossEwma = Double.isNaN(lossEwma) ? loss : lossEwma + alpha * (loss - lossEwma);
    if (filled == window) {
      lossSum -= lossRing[pos];
      if (classification) hitSum -= hitRing[pos];
      else { absSum -= absRing[pos]; sqSum -= sqRing[pos]; }
    } else {
      filled++;
    }
    lossRing[pos] = loss;
    lossSum += loss;
    if (classification) {
      hitRing[pos] = hitOrAbs;
      hitSum += hitOrAbs;
      hitEwma = Double.isNaN(hitEwma) ? hitOrAbs : hitEwma + alpha * (hitOrAbs - hitEwma);
    } else {
      absRing[pos] = hitOrAbs;
      sqRing[pos] = sq;
      absSum += hitOrAbs;
      sqSum += sq;
    }
    pos = pos + 1 == window ? 0 : pos + 1;
    if (++sinceRecompute == window) recompute();
  }

  /** Starts the "since reset" sums again. */
  void markReset() {
    java.util.Arrays.fill(all[1], 0);
  }

  void skip(int n) {
    skipped += n;
  }

  private void recompute() {
    sinceRecompute = 0;
    lossSum = hitSum = absSum = sqSum = 0;
    for (int i = 0; i < filled; i++) {
      lossSum += lossRing[i];
      if (classification) hitSum += hitRing[i];
      else { absSum += absRing[i]; sqSum += sqRing[i]; }
    }
  }

  Metrics read() {
    if (filled == 0) return new Metrics(examples, skipped, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN, Double.NaN, Metrics.Cumulative.EMPTY, Metrics.Cumulative.EMPTY);
    double n = filled;
    return new Metrics(examples, skipped, filled, lossEwma, lossSum / n,
        classification ? hitEwma : Double.NaN, classification ? hitSum / n : Double.NaN,
        classification ? Double.NaN : absSum / n, classification ? Double.NaN : Math.sqrt(Math.max(0, sqSum / n)),
        cumulative(all[0]), cumulative(all[1]));
  }

  private Metrics.Cumulative cumulative(double[] a) {
    double n = a[0];
    if (n == 0) return Metrics.Cumulative.EMPTY;
    return new Metrics.Cumulative((long) n, a[1] / n, classification ? a[2] / n : Double.NaN,
        classification ? Double.NaN : a[3] / n, classification ? Double.NaN : Math.sqrt(Math.max(0, a[4] / n)));
  }

  /** State for checkpoints: ring contents and running values, restored by {@link #restore}. */
  double[] exportScalars() {
    double[] s = {pos, filled, sinceRecompute, lossEwma, hitEwma, examples, skipped, lossSum, hitSum, absSum, sqSum,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    System.arraycopy(all[0], 0, s, 11, 5);
    System.arraycopy(all[1], 0, s, 16, 5);
    return s;
  }

  float[][] rings() {
    return classification ? new float[][] {lossRing, hitRing} : new float[][] {lossRing, absRing, sqRing};
  }

  void restore(double[] s) {
    pos = (int) s[0];
    filled = (int) s[1];
    sinceRecompute = (int) s[2];
    lossEwma = s[3];
    hitEwma = s[4];
    examples = (long) s[5];
    skipped = (long) s[6];
    // The running sums as they were (not recomputed): readings continue bit for bit.
    lossSum = s[7];
    hitSum = s[8];
    absSum = s[9];
    sqSum = s[10];
    // Checkpoints from before the whole-stream sums have 11 values: those sums start at zero.
    for (double[] a : all) java.util.Arrays.fill(a, 0);
    if (s.length >= 21) {
      System.arraycopy(s, 11, all[0], 0, 5);
      System.arraycopy(s, 16, all[1], 0, 5);
    }
  }
}
