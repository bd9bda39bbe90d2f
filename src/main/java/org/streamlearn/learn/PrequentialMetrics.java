package org.streamlearn.learn;

/**
 * Running prequential metrics over a stream of scored examples: an exponentially weighted mean and
 * an exact sliding-window mean of each figure. Window sums are kept in double and recomputed from
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
        Double.NaN, Double.NaN);
    double n = filled;
    return new Metrics(examples, skipped, filled, lossEwma, lossSum / n,
        classification ? hitEwma : Double.NaN, classification ? hitSum / n : Double.NaN,
        classification ? Double.NaN : absSum / n, classification ? Double.NaN : Math.sqrt(Math.max(0, sqSum / n)));
  }

  /** State for checkpoints: ring contents and running values, restored by {@link #restore}. */
  double[] exportScalars() {
    return new double[] {pos, filled, sinceRecompute, lossEwma, hitEwma, examples, skipped, lossSum, hitSum, absSum, sqSum};
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
  }
}
