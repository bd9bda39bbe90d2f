package org.streamlearn.kernels;

/**
 * exp, tanh and sigmoid in float, built only from operations Java defines exactly (+, −, ×, ÷,
 * {@link Math#fma}, comparisons, bit moves), so a result depends on nothing but its argument: not on
 * the JIT tier (interpreter, C1, C2), the CPU's libm, or whether the SIMD or scalar path ran.
 * {@code Math.exp}/{@code Math.tanh} may be intrinsics in one tier and not another, and the Vector
 * API's {@code EXP}/{@code TANH} are SVML in C2 but Java fallbacks when cold; both differ by ulps,
 * which broke bit-for-bit equal training across JVMs.
 *
 * <p>{@link VectorMath} does the same operations in the same order lane-wise, so a SIMD kernel and
 * its scalar tail agree bit for bit. Change one, change the other (KernelsTest checks they agree).
 *
 * <p>Accuracy against the exact value (StrictMath), worst over sweeps of every 97th and every 251st
 * float of each range, both signs (FloatMathTest asserts the bounds): exp 1.003 ulps on [−86.98,
 * 88.72], tanh 1.29 ulps, sigmoid 2.28 ulps on [−86, ∞). (Math.exp and Math.tanh are within 1 ulp.) Special values: exp(x) = +∞ above 88.72 (where float overflows) and
 * +0 below −86.98 (the true value is under 2.1e−38: the bottom two binades of normal floats and the
 * subnormals flush to zero), exp(±0) = 1; tanh is exactly ±1 from |x| ≈ 9 on and tanh(−0) = +0;
 * sigmoid(x) = 0 below −86.98 and 1 above ≈ 17; NaN gives NaN.
 */
final class FloatMath {
  private FloatMath() {}

  // exp: Cephes expf. n = rint(x·log2 e) via the 1.5·2²³ shifter (t = x·log2 e + 1.5·2²³ rounds to
  // an integer, whose low bits are n), r = x − n·ln 2 in two parts (LN2_HI has 9 significant bits, so
  // n·LN2_HI is exact), e^r = 1 + r + r²·P(r) on |r| ≤ ln2/2, then ·2ⁿ as (2·e^r)·2ⁿ⁻¹ with 2ⁿ⁻¹'s
  // bits = (bits(t) << 23) + (126 << 23): two integer operations, and n = 128 (x up to 89) still
  // finite. Beyond the range the result is a constant, tested before any of that runs.
  /** Above this exp is +∞ (e^x overflows float from 88.7228). */
  static final float EXP_OVER = 89f;
  /**
   * Below this exp is +0: the exponent trick needs n ≥ −125, so results under e^−86.98 ≈ 2.1e−38
   * (the bottom two binades of normal floats, and subnormals) flush to zero.
   */
  static final float EXP_UNDER = -86.98f;
  static final float LOG2E = 1.44269504088896341f;
  static final float SHIFTER = 12582912f; // 1.5·2²³
  static final int EXP_BIAS_M1 = 126 << 23;
  static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
  static final float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f,
      E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

  // tanh: Cephes tanhf. |x| < 0.625: x + x³·P(x²); otherwise 1 − 2/(e^{2|x|} + 1) with x's sign
  // (e^{2|x|} = +∞ gives exactly 1).
  static final float TANH_SMALL = 0.625f;
  static final float T0 = -5.70498872745e-3f, T1 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
      T3 = 1.33314422036e-1f, T4 = -3.33332819422e-1f;

  static float exp(float x) {
    if (x > EXP_OVER) return Float.POSITIVE_INFINITY;
    if (x < EXP_UNDER) return 0f;
    float t = Math.fma(x, LOG2E, SHIFTER);
    float n = t - SHIFTER;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(E0, r, E1);
    p = Math.fma(p, r, E2);
    p = Math.fma(p, r, E3);
    p = Math.fma(p, r, E4);
    p = Math.fma(p, r, E5);
    float y = Math.fma(p, r * r, r) + 1f;
    return (y + y) * Float.intBitsToFloat((Float.floatToRawIntBits(t) << 23) + EXP_BIAS_M1);
  }

  static float tanh(float x) {
    float a = Math.abs(x);
    if (a < TANH_SMALL) {
      float z = x * x;
      float p = Math.fma(T0, z, T1);
      p = Math.fma(p, z, T2);
      p = Math.fma(p, z, T3);
      p = Math.fma(p, z, T4);
      return Math.fma(p * z, x, x);
    }
    float t = 1f - 2f / (exp(a + a) + 1f);
    return x < 0f ? -t : t;
  }

  /** The exponent bits of a float: 0 for ±0 and the subnormals. */
  static final int EXPONENT = 0x7f800000;

  /**
   * base^n for n ≥ 0, by binary exponentiation: at most 2·log2(n) double multiplications in a fixed
   * order, so the same bits in every JIT tier, and nothing allocated. StrictMath.pow (fdlibm in Java)
   * builds its constant tables as arrays on every call until C2 compiles it (about 3,000 calls; 192
   * bytes a step for Adam's two bias corrections: JMH's gc.alloc.rate.norm for Adam at batch 256
   * read ~210 B/op); Math.pow may be an intrinsic in one tier and not another. Each squaring adds half
   * an ulp, so the relative error is below n·2^−53 (10^−10 at n = 10^6): far below float's 6·10^−8,
   * where every caller rounds it.
   */
  static double powInt(double base, long n) {
    if (n < 0) throw new IllegalArgumentException("exponent = " + n + ": must be >= 0");
    double r = 1, b = base;
    while (true) {
      if ((n & 1) != 0) r *= b;
      n >>>= 1;
      if (n == 0) return r;
      b *= b;
    }
  }

  /**
   * x, or +0 where x is subnormal (or ±0): the optimizers store their state (momentum, Adam's m and v,
   * RMSProp's and AdaGrad's s) through this. A state that decays geometrically (m = 0.9·m while a
   * weight's gradient is 0, as for an input pixel that stays dark) spends hundreds of steps among the
   * subnormals on its way to 0, and on Intel cores every arithmetic instruction with a subnormal
   * operand or result takes a microcode assist (about 150 cycles; Java cannot set the FTZ/DAZ bits):
   * Adam's sweep at 512 bits went from 147 µs to 1.1 ms with its m subnormal, and Adam trained at
   * batch 1 at 1% of SGD's rate. Below 2^−126 a state value moves a weight by less than 10^−30 of the
   * learning rate (eps is 10^−8 or more), so the flush changes no meaningful digit. A bit test, not
   * a float compare: exact in every JIT tier and free of assists itself.
   */
  static float flushSubnormal(float x) {
    return (Float.floatToRawIntBits(x) & EXPONENT) == 0 ? 0f : x;
  }

  /** {@link #flushSubnormal(float)} for a double: +0 below 2^−1022 (the Standardizer's statistics). */
  static double flushSubnormal(double x) {
    return (Double.doubleToRawLongBits(x) & 0x7ff0000000000000L) == 0 ? 0.0 : x;
  }

  /** 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below: e^−|x| never overflows. */
  static float sigmoid(float x) {
    float e = exp(-Math.abs(x));
    return (x < 0f ? e : 1f) / (1f + e);
  }
}
