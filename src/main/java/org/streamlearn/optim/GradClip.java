package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/** Gradient clipping on g[0..n), in place. Neither method allocates. */
public final class GradClip {
  private GradClip() {}

  /**
   * Float partial sums of squares over blocks this long are added in double: the float error of a
   * block stays near CHUNK·2⁻²⁴ relative, while the whole vector's sum could lose digits (and
   * overflow sooner) if accumulated in one float.
   */
  static final int CHUNK = 4096;

  /**
   * Scales g[0..n) by maxNorm/‖g‖₂ when ‖g‖₂ &gt; maxNorm (in place, one sweep to measure and one to
   * scale); leaves g untouched otherwise. A non-finite norm (Inf or NaN in g) is returned without
   * scaling, for the caller's divergence guard to act on: scaling by 0 would turn Inf into NaN and
   * hide where it came from.
   *
   * @return ‖g[0..n)‖₂ before clipping
   */
  public static float clipByGlobalNorm(float[] g, int n, float maxNorm) {
    checkRange(g, n);
    if (!(maxNorm > 0) || !Float.isFinite(maxNorm))
      throw new IllegalArgumentException("maxNorm = " + maxNorm + ": must be finite and > 0");
    double norm = globalNorm(g, n);
    if (norm > maxNorm && Double.isFinite(norm)) Kernels.scale(n, (float) (maxNorm / norm), g, 0);
    return (float) norm;
  }

  /** ‖g[0..n)‖₂, in double; exact-enough even when the squares overflow float. */
  static double globalNorm(float[] g, int n) {
    double ss = 0;
    for (int i = 0; i < n; i += CHUNK) ss += Kernels.sumSquares(Math.min(CHUNK, n - i), g, i);
    if (ss == Double.POSITIVE_INFINITY) {
      // Some |g| > ~1e17 overflowed a float square: redo the sum in double (rare, off the fast path).
      ss = 0;
      for (int i = 0; i < n; i++) ss += (double) g[i] * g[i];
    }
    return Math.sqrt(ss);
  }

  /** g[i] = min(limit, max(−limit, g[i])) for i in [0, n), in place. NaN stays NaN. */
  public static void clipByValue(float[] g, int n, float limit) {
    checkRange(g, n);
    if (!(limit > 0) || !Float.isFinite(limit))
      throw new IllegalArgumentException("limit = " + limit + ": must be finite and > 0");
    Kernels.clamp(n, -limit, limit, g, 0);
  }

  private static void checkRange(float[] g, int n) {
    if (n < 0 || n > g.length)
      throw new IllegalArgumentException("n = " + n + ": must be in [0, g.length = " + g.length + "]");
  }
}
