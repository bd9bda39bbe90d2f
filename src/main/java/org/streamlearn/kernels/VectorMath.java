package org.streamlearn.kernels;

import static org.streamlearn.kernels.FloatMath.*;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise {@link FloatMath} and a fixed-order lane sum, for the SIMD kernels. Every operation here
 * is exact in Java's definition (add, mul, div, fma, abs, compare, blend, lane moves, int
 * shifts), so the interpreter's and C1's Java fallbacks and C2's intrinsics give the same bits:
 * training is reproducible across JVMs whatever each one has compiled so far. The Vector API's own
 * {@code EXP}/{@code TANH} (SVML in C2, {@code Math} in the fallback) and
 * {@code reduceLanes(ADD)} (order unspecified, differs between C2 and the fallback) are not.
 *
 * <p>Not named {@code Simd*} on purpose: the pom's {@code dontinline,…Simd*::*} makes each SIMD
 * kernel a compilation root, and these small helpers must inline into those roots (a vector that
 * crosses a call C2 does not inline is boxed on the heap). Most exceed C2's 35-bytecode limit for
 * call sites it deems cold, so the pom's {@code inline,…VectorMath::*} forces them in.
 */
final class VectorMath {
  private VectorMath() {}

  private static final VectorSpecies<Float> F = SimdKernels.F;
  private static final int L = F.length();

  // Rotations by k lanes (i → (i + k) mod L), to fold a vector in half; those with k ≥ L are unused.
  private static final VectorShuffle<Float> R4 = rot(4), R8 = rot(8), R16 = rot(16), R32 = rot(32);

  private static VectorShuffle<Float> rot(int k) {
    return VectorShuffle.iota(F, k, 1, true);
  }

  /**
   * v folded in half until 4 lanes are left: lane i (i &lt; 4) = the pairwise sum of lanes i, i + 4,
   * i + 8, … (for 8 lanes: v_i + v_{i+4}); the upper lanes are left over. One whole-vector permute
   * and add per halving.
   */
  static FloatVector fold4(FloatVector v) {
    if (L > 32) v = v.add(v.rearrange(R32));
    if (L > 16) v = v.add(v.rearrange(R16));
    if (L > 8) v = v.add(v.rearrange(R8));
    if (L > 4) v = v.add(v.rearrange(R4));
    return v;
  }

  /**
   * The first folds of a 4 × 2 dot-product tile ({@code SimdNtDot}'s dot4x2 forms, 8 lanes): eight
   * accumulators s0..s7 folded by three butterfly stages (each adds lane pairs that differ in one bit
   * of the lane index, across two vectors) into one vector of partial sums, stored to t[0..L).
   */
  static void fold4x2(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3, FloatVector s4,
      FloatVector s5, FloatVector s6, FloatVector s7, float[] t) {
    VectorMask<Float> m1 = SimdTranspose.M1, m2 = SimdTranspose.M2, m4 = SimdTranspose.M4;
    VectorShuffle<Float> x1 = SimdTranspose.X1, x2 = SimdTranspose.X2, x4 = SimdTranspose.X4;
    FloatVector p0 = s0.blend(s4, m4).add(s4.blend(s0, m4).rearrange(x4)), p1 = s1.blend(s5, m4).add(s5.blend(s1, m4).rearrange(x4));
    FloatVector p2 = s2.blend(s6, m4).add(s6.blend(s2, m4).rearrange(x4)), p3 = s3.blend(s7, m4).add(s7.blend(s3, m4).rearrange(x4));
    FloatVector q0 = p0.blend(p2, m2).add(p2.blend(p0, m2).rearrange(x2)), q1 = p1.blend(p3, m2).add(p3.blend(p1, m2).rearrange(x2));
    q0.blend(q1, m1).add(q1.blend(q0, m1).rearrange(x1)).intoArray(t, 0);
  }

  /**
   * Σ of the lanes as a fixed pairwise tree: {@link #fold4}, then (f0 + f2) + (f1 + f3). For 8 lanes:
   * ((v0+v4) + (v2+v6)) + ((v1+v5) + (v3+v7)).
   */
  static float sumLanes(FloatVector v) {
    v = fold4(v);
    return (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
  }

  /** Rotation by L/2: v.add(v.rearrange(HALF)) is the first step of {@link #sumLanes(FloatVector)}. */
  static final VectorShuffle<Float> HALF = rot(L / 2);

  /**
   * The upper half of the lanes. For two vectors a and b,
   * {@code a.blend(b, UPPER).add(b.blend(a, UPPER).rearrange(HALF))} holds the first fold of a in its
   * lower half and that of b in its upper half (the sums a_i + a_{i+L/2}, b_{i+L/2} + b_i): two
   * folds for one permute and one add.
   */
  static final VectorMask<Float> UPPER = upper();

  private static VectorMask<Float> upper() {
    boolean[] up = new boolean[L];
    java.util.Arrays.fill(up, L / 2, L, true);
    return VectorMask.fromArray(F, up, 0);
  }

  /**
   * The rest of {@link #sumLanes(FloatVector)} after its first fold, whose L/2 sums are stored at
   * t[o..o+L/2): for kernels that reduce many accumulators, which write that fold inline (see
   * {@link #UPPER}) and sum here (twelve inlined reductions exceed C2's inlining node budget, and a
   * vector passed to a call that is not inlined is boxed). For L &gt; 8, t[o..o+L/4) is overwritten.
   */
  static float sumFolded(float[] t, int o) {
    if (L == 4) return t[o] + t[o + 1];
    for (int h = L >> 2; h >= 4; h >>= 1)
      for (int i = 0; i < h; i++) t[o + i] += t[o + i + h];
    return (t[o] + t[o + 2]) + (t[o + 1] + t[o + 3]);
  }

  /** {@link FloatMath#exp} per lane (the out-of-range lanes are blended in at the end). */
  static FloatVector exp(FloatVector x) {
    FloatVector t = x.fma(LOG2E, SHIFTER);
    FloatVector n = t.sub(SHIFTER);
    FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
    r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
    FloatVector p = r.fma(E0, E1); // E0·r + E1, as Math.fma(E0, r, E1): multiplication commutes exactly
    p = p.fma(r, FloatVector.broadcast(F, E2));
    p = p.fma(r, FloatVector.broadcast(F, E3));
    p = p.fma(r, FloatVector.broadcast(F, E4));
    p = p.fma(r, FloatVector.broadcast(F, E5));
    FloatVector y = p.fma(r.mul(r), r).add(1f);
    FloatVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(EXP_BIAS_M1)
        .reinterpretAsFloats();
    return y.add(y).mul(scale)
        .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_OVER))
        .blend(0f, x.compare(VectorOperators.LT, EXP_UNDER));
  }

  /** {@link FloatMath#tanh} per lane: both branches computed, the small one blended in. */
  static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    FloatVector z = x.mul(x);
    FloatVector p = z.fma(T0, T1);
    p = p.fma(z, FloatVector.broadcast(F, T2));
    p = p.fma(z, FloatVector.broadcast(F, T3));
    p = p.fma(z, FloatVector.broadcast(F, T4));
    FloatVector small = p.mul(z).fma(x, x);
    FloatVector t = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(a.add(a)).add(1f)));
    FloatVector big = t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
    return big.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
  }

  /** {@link FloatMath#flushSubnormal} per lane, on the bits (no float arithmetic touches a subnormal). */
  static FloatVector flushSubnormal(FloatVector x) {
    IntVector b = x.reinterpretAsInts();
    return b.blend(0, b.and(EXPONENT).eq(0)).reinterpretAsFloats();
  }

  /** {@link FloatMath#sigmoid} per lane. */
  static FloatVector sigmoid(FloatVector x) {
    FloatVector e = exp(x.abs().neg());
    VectorMask<Float> neg = x.compare(VectorOperators.LT, 0f);
    return FloatVector.broadcast(F, 1f).blend(e, neg).div(e.add(1f));
  }
}
