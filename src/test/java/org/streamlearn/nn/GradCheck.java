package org.streamlearn.nn;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients, in double precision.
 *
 * <p>The model runs in float32; the objective is summed in double and the difference quotient
 * (L(θ+h) − L(θ−h)) / 2h is formed in double. With h = 1e-2 and objectives of order 1, float32
 * rounding of L (~1e-7 relative, a few ulps through the layers) contributes ≈ 1e-6/2h ≈ 5e-5 to the
 * quotient, and the O(h²) truncation error is ≈ h²/6·|L'''| ≈ 2e-5·|L'''|. So we accept
 * |a − n| / max(|a|, |n|, FLOOR) &lt; TOL with TOL = 1e-2 and FLOOR = 1e-2: gradients at or below
 * the floor are compared to 1e-4 absolute; a wrong term (sign, missing factor, wrong index) shows
 * as an error of order 1.
 */
final class GradCheck {
  static final double H = 1e-2, TOL = 1e-2, FLOOR = 1e-2;

  private GradCheck() {}

  /** Worst element over a checked tensor, for the failure message. */
  record Worst(String what, int index, double analytic, double numeric, double err, int checked) {
    @Override public String toString() {
      return String.format("%s: worst element %d of %d: analytic %.6g, numeric %.6g, rel err %.3g (bound %.0e)",
          what, index, checked, analytic, numeric, err, TOL);
    }
  }

  static double relErr(double a, double n) {
    return Math.abs(a - n) / Math.max(Math.max(Math.abs(a), Math.abs(n)), FLOOR);
  }

  /**
   * Compares analytic[off + k] with the central difference of loss over v[off + k] for k in [0, n);
   * throws AssertionError naming the worst element when it exceeds TOL.
   */
  static Worst check(String what, float[] v, int off, int n, float[] analytic, int aOff, DoubleSupplier loss) {
    Worst worst = new Worst(what, -1, 0, 0, 0, n);
    for (int k = 0; k < n; k++) {
      float old = v[off + k];
      v[off + k] = (float) (old + H);
      double hp = v[off + k] - (double) old; // the step actually taken in float
      double lp = loss.getAsDouble();
      v[off + k] = (float) (old - H);
      double hm = old - (double) v[off + k];
      double lm = loss.getAsDouble();
      v[off + k] = old;
      double num = (lp - lm) / (hp + hm);
      double err = relErr(analytic[aOff + k], num);
      if (err > worst.err || worst.index < 0) worst = new Worst(what, k, analytic[aOff + k], num, err, n);
    }
    if (worst.err >= TOL) throw new AssertionError(worst.toString());
    return worst;
  }

  static float[] uniform(int n, double lo, double hi, SplittableRandom r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    return a;
  }

  /** Uniform in ±[lo, hi]: keeps inputs of kinked activations (relu) more than h away from 0. */
  static float[] awayFromZero(int n, double lo, double hi, SplittableRandom r) {
    float[] a = uniform(n, lo, hi, r);
    for (int i = 0; i < n; i++) if (r.nextBoolean()) a[i] = -a[i];
    return a;
  }
}
