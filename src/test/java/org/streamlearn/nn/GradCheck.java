package org.streamlearn.nn;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients, formed in double precision.
 *
 * <p>The numeric derivative of an element is the fourth-order central difference (4·D(h) − D(2h)) / 3,
 * D(s) = (L(θ+s) − L(θ−s)) / (2s), with the steps actually taken in float (so a step rounded by
 * θ's ulp costs nothing), averaged over K = 16 step sizes h = H·(1 + j/K), j = 0…K−1, H = 5e-3.
 * <p>Error budget. Truncation: ≈ h⁴·|L⁽⁵⁾|/30 ≤ 1e-9 for the smooth layers here. Rounding: the
 * objective is summed in double (losses computed in double from their definitions where a test can),
 * but a model's forward runs in float32, so L carries a rounding noise δ of a few 1e-7 (measured:
 * about 2e-7 through LSTM → layernorm); one stencil turns it into ≈ 1.5·δ/h, and the K step sizes,
 * whose roundings are unrelated, divide that by about √K: ≈ 1.5·2e-7/7.5e-3/4 ≈ 1e-5 absolute. We
 * accept |a − n| / max(|a|, |n|, FLOOR) &lt; TOL, TOL = 5e-4, FLOOR = 0.1: elements above the floor to
 * 5e-4 relative, those below to 5e-5 absolute (5× the budget). Measured worst over every layer and
 * loss: see GradientCheckTest's output. A 1e-3 relative error therefore fails, and {@link #check}
 * proves it on every tensor it checks: the same comparison must reject the analytic gradient scaled
 * by 1 + 1e-3, and with the sign of its largest element flipped. Kinks (relu, huber's ±delta) must lie
 * more than 2·2H from the point checked.
 */
final class GradCheck {
  static final double H = 5e-3, TOL = 5e-4, FLOOR = 0.1;
  static final int K = 16;
  /** The relative error every check must detect. */
  static final double SEEDED = 1e-3;

  private GradCheck() {}

  /** Worst element over a checked tensor, for the failure message. */
  record Worst(String what, int index, double analytic, double numeric, double err, int checked) {
    @Override public String toString() {
      return String.format("%s: worst element %d of %d: analytic %.8g, numeric %.8g, rel err %.3g (bound %.0e, floor %s)",
          what, index, checked, analytic, numeric, err, TOL, FLOOR);
    }
  }

  static double relErr(double a, double n) {
    return Math.abs(a - n) / Math.max(Math.max(Math.abs(a), Math.abs(n)), FLOOR);
  }

  /**
   * Compares analytic[aOff + k] with the numeric derivative of loss over v[off + k] for k in [0, n);
   * throws AssertionError naming the worst element when it reaches TOL, and also when the same
   * comparison would accept the analytic gradient with a 1e-3 relative error (every element scaled
   * by 1 + 1e-3) or with its largest element's sign flipped: a check that cannot fail proves nothing.
   */
  static Worst check(String what, float[] v, int off, int n, float[] analytic, int aOff, DoubleSupplier loss) {
    double[] num = numeric(v, off, n, loss);
    Worst w = compare(what, num, analytic, aOff);
    if (w.err >= TOL) throw new AssertionError(w.toString());
    int largest = aOff;
    for (int k = 0; k < n; k++) if (Math.abs(analytic[aOff + k]) > Math.abs(analytic[largest])) largest = aOff + k;
    if (Math.abs(analytic[largest]) < FLOOR)
      throw new AssertionError(what + ": every gradient is below the floor " + FLOOR + ": a 1e-3 error would go unseen");
    float[] scaled = analytic.clone(), flipped = analytic.clone();
    for (int k = 0; k < n; k++) scaled[aOff + k] = (float) (analytic[aOff + k] * (1 + SEEDED));
    flipped[largest] = -flipped[largest];
    Worst s = compare(what + " scaled by 1+1e-3", num, scaled, aOff), f = compare(what + " one sign flipped", num, flipped, aOff);
    if (s.err < TOL) throw new AssertionError("the check accepts a 1e-3 relative error: " + s);
    if (f.err < TOL) throw new AssertionError("the check accepts a flipped sign: " + f);
    return w;
  }

  /** Numeric derivatives of loss over v[off .. off + n), as described above; v is left as it was. */
  static double[] numeric(float[] v, int off, int n, DoubleSupplier loss) {
    double[] num = new double[n];
    for (int k = 0; k < n; k++) {
      int i = off + k;
      float old = v[i];
      double sum = 0;
      for (int j = 0; j < K; j++) {
        double h = H * (1 + (double) j / K);
        sum += (4 * quotient(v, i, old, h, loss) - quotient(v, i, old, 2 * h, loss)) / 3;
      }
      v[i] = old;
      num[k] = sum / K;
    }
    return num;
  }

  static Worst compare(String what, double[] num, float[] analytic, int aOff) {
    Worst worst = null;
    for (int k = 0; k < num.length; k++) {
      double err = relErr(analytic[aOff + k], num[k]);
      if (worst == null || err > worst.err) worst = new Worst(what, k, analytic[aOff + k], num[k], err, num.length);
    }
    return worst;
  }

  /** (L(θ+s) − L(θ−s)) over the distance between the two float points actually evaluated. */
  private static double quotient(float[] v, int i, float old, double s, DoubleSupplier loss) {
    float p = (float) (old + s), m = (float) (old - s);
    v[i] = p;
    double lp = loss.getAsDouble();
    v[i] = m;
    double lm = loss.getAsDouble();
    return (lp - lm) / ((double) p - m);
  }

  static float[] uniform(int n, double lo, double hi, SplittableRandom r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    return a;
  }

  /** Uniform in ±[lo, hi]: keeps inputs of kinked activations (relu) more than 4H away from 0. */
  static float[] awayFromZero(int n, double lo, double hi, SplittableRandom r) {
    float[] a = uniform(n, lo, hi, r);
    for (int i = 0; i < n; i++) if (r.nextBoolean()) a[i] = -a[i];
    return a;
  }
}
