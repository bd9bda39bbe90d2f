package org.streamlearn.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of {@link FloatMath} against StrictMath (fdlibm, within 1 ulp of double, so exact at float
 * precision): a sweep over every 251st float of each range, both signs, in ulps of the float nearest
 * the exact value, plus the special values. The bounds asserted are the measured maxima rounded up
 * (FloatMath's doc quotes them); the sweep prints what it measured.
 */
class FloatMathTest {
  static final int STRIDE = 251;

  /** Max |f(x) − exact(x)| in ulps over floats of [lo, hi] (by bit pattern, every STRIDE-th). */
  static double maxUlps(String name, float lo, float hi, FloatUnary f, DoubleUnaryOperator exact) {
    double worst = 0;
    float worstX = Float.NaN;
    long n = 0;
    for (int sign = 0; sign < 2; sign++) {
      float from = sign == 0 ? Math.max(lo, 0f) : Math.max(-hi, 0f), to = sign == 0 ? hi : -lo;
      if (to < from) continue;
      for (int b = Float.floatToRawIntBits(from), end = Float.floatToRawIntBits(to); b <= end && b >= 0; b += STRIDE) {
        float x = Float.intBitsToFloat(b);
        if (sign == 1) x = -x;
        double e = exact.applyAsDouble(x);
        float got = f.apply(x);
        double u = Math.abs(got - e) / Math.ulp((float) e);
        n++;
        if (!(u <= worst)) { worst = u; worstX = x; }
      }
    }
    System.out.printf("%s on [%s, %s]: max %.3f ulp at x = %s (%d points)%n", name, lo, hi, worst, worstX, n);
    return worst;
  }

  interface FloatUnary {
    float apply(float x);
  }

  static double sigmoidExact(double x) {
    return x >= 0 ? 1 / (1 + StrictMath.exp(-x)) : StrictMath.exp(x) / (1 + StrictMath.exp(x));
  }

  /**
   * powInt allocates nothing in any tier, cold ones included: StrictMath.pow builds arrays on every
   * call until C2 compiles it (192 bytes an Adam step for the first ~3,000 steps).
   */
  @Test
  void powIntAllocatesNothingEvenCold() {
    var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    double sink = 0;
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 2000; i++) sink += FloatMath.powInt(0.999, i);
    long bytes = mx.getCurrentThreadAllocatedBytes() - before;
    assertThat(bytes).as("bytes allocated by 2,000 powInt calls").isZero();
    assertThat(sink).isGreaterThan(0);
  }

  /**
   * powInt against StrictMath.pow: within n·2^−53 relative (half an ulp per squaring and per
   * multiplication) wherever the power is a normal double, and exact at n = 0 and 1. The bases are
   * Adam's betas, schedules' gammas, continual backprop's decay, and two above 1.
   */
  @Test
  void powIntIsWithinItsBoundOfStrictMathPow() {
    double[] bases = {0.9, 0.99, 0.999, 0.9999, 0.5, 0.25 + 1e-9, 1.0001, 1.7};
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    for (double b : bases) {
      assertThat(FloatMath.powInt(b, 0)).isEqualTo(1.0);
      assertThat(FloatMath.powInt(b, 1)).isEqualTo(b);
      for (int q = 0; q < 3000; q++) {
        long n = q < 2000 ? q : r.nextLong(1, 10_000_000);
        double exact = StrictMath.pow(b, n), got = FloatMath.powInt(b, n);
        if (exact >= Double.MIN_NORMAL && exact < Double.MAX_VALUE)
          assertThat(Math.abs(got - exact)).as("%s^%d", b, n).isLessThanOrEqualTo((n + 1) * 0x1p-53 * exact);
        else if (exact < Double.MIN_NORMAL)
          assertThat(got).as("%s^%d", b, n).isLessThan(1e-300);
      }
    }
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> FloatMath.powInt(0.9, -1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void expWithin1Point01UlpsOverItsRange() {
    assertThat(maxUlps("exp", FloatMath.EXP_UNDER, 88.72283f, FloatMath::exp, StrictMath::exp)).isLessThanOrEqualTo(1.01);
  }

  @Test
  void tanhWithin1Point5Ulps() {
    assertThat(maxUlps("tanh", -10f, 10f, FloatMath::tanh, StrictMath::tanh)).isLessThanOrEqualTo(1.5);
  }

  @Test
  void sigmoidWithin2Point5Ulps() {
    assertThat(maxUlps("sigmoid", -86f, 20f, FloatMath::sigmoid, FloatMathTest::sigmoidExact)).isLessThanOrEqualTo(2.5);
  }

  @Test
  void expSpecialValuesAndRangeEnds() {
    assertThat(FloatMath.exp(0f)).isEqualTo(1f);
    assertThat(FloatMath.exp(-0f)).isEqualTo(1f);
    assertThat(FloatMath.exp(Float.NaN)).isNaN();
    assertThat(FloatMath.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatMath.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
    assertThat(FloatMath.exp(1e30f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(FloatMath.exp(-1e30f)).isEqualTo(0f);
    // Overflow exactly where float overflows: the largest finite result and the first infinite one.
    for (float x = 88.7f; x <= 89.5f; x = Math.nextUp(x)) {
      float want = (float) StrictMath.exp(x), got = FloatMath.exp(x);
      if (want == Float.POSITIVE_INFINITY) assertThat(got).as("exp(%s)", x).isEqualTo(want);
      else assertThat(Math.abs(got - (double) want)).as("exp(%s)", x).isLessThanOrEqualTo(Math.ulp(want));
    }
    // Below EXP_UNDER results flush to +0 (the true value is under 2.1e-38); at it they are normal.
    assertThat(FloatMath.exp(FloatMath.EXP_UNDER)).isGreaterThanOrEqualTo(Float.MIN_NORMAL);
    assertThat(Float.floatToRawIntBits(FloatMath.exp(Math.nextDown(FloatMath.EXP_UNDER)))).isZero();
    assertThat(Float.floatToRawIntBits(FloatMath.exp(-100f))).isZero();
  }

  @Test
  void tanhSaturatesAndIsOdd() {
    assertThat(FloatMath.tanh(0f)).isZero();
    assertThat(FloatMath.tanh(-0f)).isZero(); // +0: x + x³·P sums −0 and +0
    assertThat(FloatMath.tanh(Float.MIN_VALUE)).isEqualTo(Float.MIN_VALUE);
    assertThat(FloatMath.tanh(Float.NaN)).isNaN();
    for (float x : new float[] {10f, 20f, 100f, 1e30f, Float.POSITIVE_INFINITY}) {
      assertThat(FloatMath.tanh(x)).as("tanh(%s)", x).isEqualTo(1f);
      assertThat(FloatMath.tanh(-x)).as("tanh(%s)", -x).isEqualTo(-1f);
    }
    // Odd and monotone across the switch between the two formulas.
    float prev = FloatMath.tanh(0.6f);
    for (float x = 0.6f; x < 0.65f; x = Math.nextUp(x)) {
      assertThat(FloatMath.tanh(-x)).isEqualTo(-FloatMath.tanh(x));
      assertThat(FloatMath.tanh(x)).as("tanh(%s)", x).isGreaterThanOrEqualTo(prev);
      prev = FloatMath.tanh(x);
    }
  }

  @Test
  void sigmoidSpecialValues() {
    assertThat(FloatMath.sigmoid(0f)).isEqualTo(0.5f);
    assertThat(FloatMath.sigmoid(Float.POSITIVE_INFINITY)).isEqualTo(1f);
    assertThat(FloatMath.sigmoid(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
    assertThat(FloatMath.sigmoid(100f)).isEqualTo(1f);
    assertThat(FloatMath.sigmoid(-100f)).isEqualTo(0f);
    assertThat(FloatMath.sigmoid(Float.NaN)).isNaN();
    assertThat(FloatMath.sigmoid(-80f)).isGreaterThan(0f); // e^-80 ≈ 1.8e-35: not flushed
  }
}
