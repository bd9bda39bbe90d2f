package org.streamlearn.kernels;

import static org.streamlearn.kernels.SimdKernels.F;
import static org.streamlearn.kernels.SimdKernels.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Packs B[N×K] of gemmNT (a dense layer's weights, [out × in]) as NN-like panels, L×L blocks
 * transposed in registers by log2(L) butterfly stages (Eklundh): each stage swaps one bit of the row
 * index with the same bit of the lane index through a lane permute and a blend. About half an
 * instruction per element where a scalar transpose costs a load, a store and bounds checks: at 64
 * rows of A the scalar transpose bounded gemmNT. Only data moves, so the result is exact.
 *
 * <p>Generated code, one method per lane count, each with its loops inside: a compilation root of
 * its own (Simd*) that C2 reaches by on-stack replacement within the first call (without the loop,
 * the body runs boxed in C1 for thousands of calls first).
 */
final class SimdTranspose {
  private SimdTranspose() {}

  static final VectorShuffle<Float> X1 = swap(1), X2 = swap(2), X4 = swap(4), X8 = swap(8);
  static final VectorMask<Float> M1 = bit(1), M2 = bit(2), M4 = bit(4), M8 = bit(8);

  private static VectorShuffle<Float> swap(int s) {
    return VectorShuffle.fromOp(F, l -> (l ^ s) % L);
  }

  private static VectorMask<Float> bit(int s) {
    boolean[] m = new boolean[L];
    for (int l = 0; l < L; l++) m[l] = (l & s) != 0;
    return VectorMask.fromArray(F, m, 0);
  }

  /** True when {@link #panel} has a vector form for this lane count. */
  static final boolean VECTOR = L == 4 || L == 8 || L == 16;

  /**
   * bp[k·NB + r] = B[b + r·ldb + k] for r &lt; NB, k &lt; kv: NB rows of B, transposed. kv and NB
   * are multiples of L; needs {@link #VECTOR}.
   */
  static void panel(int kv, float[] B, int b, int ldb, float[] bp, int NB) {
    panel(kv, B, b, ldb, bp, NB, NB);
  }

  /** As {@link #panel(int, float[], int, int, float[], int)} for the first {@code rows} (a multiple of L) of NB. */
  static void panel(int kv, float[] B, int b, int ldb, float[] bp, int NB, int rows) {
    panel(kv, B, b, ldb, bp, 0, NB, rows);
  }

  /**
   * bp[p + k·NB + r] = B[b + r·ldb + k] for r &lt; rows, k &lt; kv (both multiples of L; NB ≥ rows):
   * rows of B transposed into place at p of a matrix with row stride NB.
   */
  static void panel(int kv, float[] B, int b, int ldb, float[] bp, int p, int NB, int rows) {
    if (L == 16) transpose16(kv, B, b, ldb, bp, p, NB, rows);
    else if (L == 8) transpose8(kv, B, b, ldb, bp, p, NB, rows);
    else transpose4(kv, B, b, ldb, bp, p, NB, rows);
  }

  private static void transpose16(int kv, float[] B, int b0, int ldb, float[] bp, int p0, int NB, int rows) {
    for (int k = 0; k < kv; k += 16)
      for (int g = 0; g < rows; g += 16) {
        int b = b0 + g * ldb + k, p = p0 + k * NB + g;
        FloatVector v0 = FloatVector.fromArray(F, B, b);
        FloatVector v1 = FloatVector.fromArray(F, B, b + 1 * ldb);
        FloatVector v2 = FloatVector.fromArray(F, B, b + 2 * ldb);
        FloatVector v3 = FloatVector.fromArray(F, B, b + 3 * ldb);
        FloatVector v4 = FloatVector.fromArray(F, B, b + 4 * ldb);
        FloatVector v5 = FloatVector.fromArray(F, B, b + 5 * ldb);
        FloatVector v6 = FloatVector.fromArray(F, B, b + 6 * ldb);
        FloatVector v7 = FloatVector.fromArray(F, B, b + 7 * ldb);
        FloatVector v8 = FloatVector.fromArray(F, B, b + 8 * ldb);
        FloatVector v9 = FloatVector.fromArray(F, B, b + 9 * ldb);
        FloatVector v10 = FloatVector.fromArray(F, B, b + 10 * ldb);
        FloatVector v11 = FloatVector.fromArray(F, B, b + 11 * ldb);
        FloatVector v12 = FloatVector.fromArray(F, B, b + 12 * ldb);
        FloatVector v13 = FloatVector.fromArray(F, B, b + 13 * ldb);
        FloatVector v14 = FloatVector.fromArray(F, B, b + 14 * ldb);
        FloatVector v15 = FloatVector.fromArray(F, B, b + 15 * ldb);
        FloatVector t;
        t = v0.blend(v1.rearrange(X1), M1); v1 = v0.rearrange(X1).blend(v1, M1); v0 = t;
        t = v2.blend(v3.rearrange(X1), M1); v3 = v2.rearrange(X1).blend(v3, M1); v2 = t;
        t = v4.blend(v5.rearrange(X1), M1); v5 = v4.rearrange(X1).blend(v5, M1); v4 = t;
        t = v6.blend(v7.rearrange(X1), M1); v7 = v6.rearrange(X1).blend(v7, M1); v6 = t;
        t = v8.blend(v9.rearrange(X1), M1); v9 = v8.rearrange(X1).blend(v9, M1); v8 = t;
        t = v10.blend(v11.rearrange(X1), M1); v11 = v10.rearrange(X1).blend(v11, M1); v10 = t;
        t = v12.blend(v13.rearrange(X1), M1); v13 = v12.rearrange(X1).blend(v13, M1); v12 = t;
        t = v14.blend(v15.rearrange(X1), M1); v15 = v14.rearrange(X1).blend(v15, M1); v14 = t;
        t = v0.blend(v2.rearrange(X2), M2); v2 = v0.rearrange(X2).blend(v2, M2); v0 = t;
        t = v1.blend(v3.rearrange(X2), M2); v3 = v1.rearrange(X2).blend(v3, M2); v1 = t;
        t = v4.blend(v6.rearrange(X2), M2); v6 = v4.rearrange(X2).blend(v6, M2); v4 = t;
        t = v5.blend(v7.rearrange(X2), M2); v7 = v5.rearrange(X2).blend(v7, M2); v5 = t;
        t = v8.blend(v10.rearrange(X2), M2); v10 = v8.rearrange(X2).blend(v10, M2); v8 = t;
        t = v9.blend(v11.rearrange(X2), M2); v11 = v9.rearrange(X2).blend(v11, M2); v9 = t;
        t = v12.blend(v14.rearrange(X2), M2); v14 = v12.rearrange(X2).blend(v14, M2); v12 = t;
        t = v13.blend(v15.rearrange(X2), M2); v15 = v13.rearrange(X2).blend(v15, M2); v13 = t;
        t = v0.blend(v4.rearrange(X4), M4); v4 = v0.rearrange(X4).blend(v4, M4); v0 = t;
        t = v1.blend(v5.rearrange(X4), M4); v5 = v1.rearrange(X4).blend(v5, M4); v1 = t;
        t = v2.blend(v6.rearrange(X4), M4); v6 = v2.rearrange(X4).blend(v6, M4); v2 = t;
        t = v3.blend(v7.rearrange(X4), M4); v7 = v3.rearrange(X4).blend(v7, M4); v3 = t;
        t = v8.blend(v12.rearrange(X4), M4); v12 = v8.rearrange(X4).blend(v12, M4); v8 = t;
        t = v9.blend(v13.rearrange(X4), M4); v13 = v9.rearrange(X4).blend(v13, M4); v9 = t;
        t = v10.blend(v14.rearrange(X4), M4); v14 = v10.rearrange(X4).blend(v14, M4); v10 = t;
        t = v11.blend(v15.rearrange(X4), M4); v15 = v11.rearrange(X4).blend(v15, M4); v11 = t;
        t = v0.blend(v8.rearrange(X8), M8); v8 = v0.rearrange(X8).blend(v8, M8); v0 = t;
        t = v1.blend(v9.rearrange(X8), M8); v9 = v1.rearrange(X8).blend(v9, M8); v1 = t;
        t = v2.blend(v10.rearrange(X8), M8); v10 = v2.rearrange(X8).blend(v10, M8); v2 = t;
        t = v3.blend(v11.rearrange(X8), M8); v11 = v3.rearrange(X8).blend(v11, M8); v3 = t;
        t = v4.blend(v12.rearrange(X8), M8); v12 = v4.rearrange(X8).blend(v12, M8); v4 = t;
        t = v5.blend(v13.rearrange(X8), M8); v13 = v5.rearrange(X8).blend(v13, M8); v5 = t;
        t = v6.blend(v14.rearrange(X8), M8); v14 = v6.rearrange(X8).blend(v14, M8); v6 = t;
        t = v7.blend(v15.rearrange(X8), M8); v15 = v7.rearrange(X8).blend(v15, M8); v7 = t;
        v0.intoArray(bp, p + 0 * NB);
        v1.intoArray(bp, p + 1 * NB);
        v2.intoArray(bp, p + 2 * NB);
        v3.intoArray(bp, p + 3 * NB);
        v4.intoArray(bp, p + 4 * NB);
        v5.intoArray(bp, p + 5 * NB);
        v6.intoArray(bp, p + 6 * NB);
        v7.intoArray(bp, p + 7 * NB);
        v8.intoArray(bp, p + 8 * NB);
        v9.intoArray(bp, p + 9 * NB);
        v10.intoArray(bp, p + 10 * NB);
        v11.intoArray(bp, p + 11 * NB);
        v12.intoArray(bp, p + 12 * NB);
        v13.intoArray(bp, p + 13 * NB);
        v14.intoArray(bp, p + 14 * NB);
        v15.intoArray(bp, p + 15 * NB);
      }
  }

  private static void transpose8(int kv, float[] B, int b0, int ldb, float[] bp, int p0, int NB, int rows) {
    for (int k = 0; k < kv; k += 8)
      for (int g = 0; g < rows; g += 8) {
        int b = b0 + g * ldb + k, p = p0 + k * NB + g;
        FloatVector v0 = FloatVector.fromArray(F, B, b);
        FloatVector v1 = FloatVector.fromArray(F, B, b + 1 * ldb);
        FloatVector v2 = FloatVector.fromArray(F, B, b + 2 * ldb);
        FloatVector v3 = FloatVector.fromArray(F, B, b + 3 * ldb);
        FloatVector v4 = FloatVector.fromArray(F, B, b + 4 * ldb);
        FloatVector v5 = FloatVector.fromArray(F, B, b + 5 * ldb);
        FloatVector v6 = FloatVector.fromArray(F, B, b + 6 * ldb);
        FloatVector v7 = FloatVector.fromArray(F, B, b + 7 * ldb);
        FloatVector t;
        t = v0.blend(v1.rearrange(X1), M1); v1 = v0.rearrange(X1).blend(v1, M1); v0 = t;
        t = v2.blend(v3.rearrange(X1), M1); v3 = v2.rearrange(X1).blend(v3, M1); v2 = t;
        t = v4.blend(v5.rearrange(X1), M1); v5 = v4.rearrange(X1).blend(v5, M1); v4 = t;
        t = v6.blend(v7.rearrange(X1), M1); v7 = v6.rearrange(X1).blend(v7, M1); v6 = t;
        t = v0.blend(v2.rearrange(X2), M2); v2 = v0.rearrange(X2).blend(v2, M2); v0 = t;
        t = v1.blend(v3.rearrange(X2), M2); v3 = v1.rearrange(X2).blend(v3, M2); v1 = t;
        t = v4.blend(v6.rearrange(X2), M2); v6 = v4.rearrange(X2).blend(v6, M2); v4 = t;
        t = v5.blend(v7.rearrange(X2), M2); v7 = v5.rearrange(X2).blend(v7, M2); v5 = t;
        t = v0.blend(v4.rearrange(X4), M4); v4 = v0.rearrange(X4).blend(v4, M4); v0 = t;
        t = v1.blend(v5.rearrange(X4), M4); v5 = v1.rearrange(X4).blend(v5, M4); v1 = t;
        t = v2.blend(v6.rearrange(X4), M4); v6 = v2.rearrange(X4).blend(v6, M4); v2 = t;
        t = v3.blend(v7.rearrange(X4), M4); v7 = v3.rearrange(X4).blend(v7, M4); v3 = t;
        v0.intoArray(bp, p + 0 * NB);
        v1.intoArray(bp, p + 1 * NB);
        v2.intoArray(bp, p + 2 * NB);
        v3.intoArray(bp, p + 3 * NB);
        v4.intoArray(bp, p + 4 * NB);
        v5.intoArray(bp, p + 5 * NB);
        v6.intoArray(bp, p + 6 * NB);
        v7.intoArray(bp, p + 7 * NB);
      }
  }

  private static void transpose4(int kv, float[] B, int b0, int ldb, float[] bp, int p0, int NB, int rows) {
    for (int k = 0; k < kv; k += 4)
      for (int g = 0; g < rows; g += 4) {
        int b = b0 + g * ldb + k, p = p0 + k * NB + g;
        FloatVector v0 = FloatVector.fromArray(F, B, b);
        FloatVector v1 = FloatVector.fromArray(F, B, b + 1 * ldb);
        FloatVector v2 = FloatVector.fromArray(F, B, b + 2 * ldb);
        FloatVector v3 = FloatVector.fromArray(F, B, b + 3 * ldb);
        FloatVector t;
        t = v0.blend(v1.rearrange(X1), M1); v1 = v0.rearrange(X1).blend(v1, M1); v0 = t;
        t = v2.blend(v3.rearrange(X1), M1); v3 = v2.rearrange(X1).blend(v3, M1); v2 = t;
        t = v0.blend(v2.rearrange(X2), M2); v2 = v0.rearrange(X2).blend(v2, M2); v0 = t;
        t = v1.blend(v3.rearrange(X2), M2); v3 = v1.rearrange(X2).blend(v3, M2); v1 = t;
        v0.intoArray(bp, p + 0 * NB);
        v1.intoArray(bp, p + 1 * NB);
        v2.intoArray(bp, p + 2 * NB);
        v3.intoArray(bp, p + 3 * NB);
      }
  }
}
