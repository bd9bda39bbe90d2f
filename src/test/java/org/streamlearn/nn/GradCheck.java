package org.streamlearn.nn;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients, in double precision.
 *
 * <p>The model runs in float32; the objective is summed in double and the difference quotient is
 * formed in double with the fourth-order central stencil
 * (8·(L(θ+h) − L(θ−h)) − (L(θ+2h) − L(θ−2h))) / 12h, h = 1e-2. Error budget, for objectives of
 * order 1: float32 rounding of L (~1e-7 relative, a few ulps through the layers) contributes at
 * most ≈ 1.5·1e-6/h ≈ 1.5e-4, typically far less; the truncation error (≈ h⁴/30·|L⁽⁵⁾|) is
 * negligible, whereas the two-point quotient's h²/6·|L'''| reached 0.8% on LSTM → layernorm. We
 * accept |a − n| / max(|a|, |n|, FLOOR) &lt; TOL with TOL = 1e-2, FLOOR = 1e-2: gradients at or
 * below the floor are compared to 1e-4 absolute; a wrong term (sign, missing factor, wrong index)
 * shows as an error of order 1. The step taken in float differs from h by ~1e-7·|θ|, a relative
 * error of 1e-5 in the quotient, well inside the bound. Kinks (relu, huber's ±delta) must lie more
 * than 2h from the point checked.
 */
final class GradCheck {
  static final double H = 1e-2, TOL = 1e-2, FLOOR = 1e-2;

  private GradCheck() {}

  /** Worst element over a checked tensor, for the failure message. */
  record Worst(String what, int index, double analytic, double numeric, double err, int checked, double h,
      double bound) {
    @Override public String toString() {
      return String.format("%s: worst element %d of %d: analytic %.6g, numeric %.6g, rel err %.3g (h %.0e, bound %.0e)",
          what, index, checked, analytic, numeric, err, h, bound);
    }
  }

  static double relErr(double a, double n) {
    return Math.abs(a - n) / Math.max(Math.max(Math.abs(a), Math.abs(n)), FLOOR);
  }

  /**
   * Compares analytic[aOff + k] with the central difference of loss over v[off + k] for k in
   * [0, n); throws AssertionError naming the worst element when it reaches TOL.
   */
  static Worst check(String what, float[] v, int off, int n, float[] analytic, int aOff, DoubleSupplier loss) {
    return check(what, v, off, n, analytic, aOff, loss, H, TOL);
  }

  /** As above with another step and bound (for probing how the error scales with h). */
  static Worst check(String what, float[] v, int off, int n, float[] analytic, int aOff, DoubleSupplier loss,
      double h, double tol) {
    Worst worst = new Worst(what, -1, 0, 0, 0, n, h, tol);
    for (int k = 0; k < n; k++) {
      int i = off + k;
      float old = v[i];
      double num = (8 * (at(v, i, old, h, loss) - at(v, i, old, -h, loss))
          - (at(v, i, old, 2 * h, loss) - at(v, i, old, -2 * h, loss))) / (12 * h);
      v[i] = old;
      double err = relErr(analytic[aOff + k], num);
      if (err > worst.err || worst.index < 0) worst = new Worst(what, k, analytic[aOff + k], num, err, n, h, tol);
    }
    if (worst.err >= tol) throw new AssertionError(worst.toString());
    return worst;
  }

  private static double at(float[] v, int i, float old, double step, DoubleSupplier loss) {
    v[i] = (float) (old + step);
    return loss.getAsDouble();
  }

  static float[] uniform(int n, double lo, double hi, SplittableRandom r) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    return a;
  }

  /** Uniform in ±[lo, hi]: keeps inputs of kinked activations (relu) more than 2h away from 0. */
  static float[] awayFromZero(int n, double lo, double hi, SplittableRandom r) {
    float[] a = uniform(n, lo, hi, r);
    for (int i = 0; i < n; i++) if (r.nextBoolean()) a[i] = -a[i];
    return a;
  }
}
