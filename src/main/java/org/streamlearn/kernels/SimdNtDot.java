package org.streamlearn.kernels;

import static org.streamlearn.kernels.SimdKernels.F;
import static org.streamlearn.kernels.SimdKernels.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * gemmNT in dot-product form, for the shapes where transposing B into panels does not pay: B with
 * fewer columns than a panel (a 10-wide output layer) and A with few rows (batch 16), where each
 * transposed panel of B serves only a few blocks of A.
 *
 * <p>A tile is L/2 rows of A × 2 rows of B (8 × 2 at 16 lanes, 4 × 2 at 8): L accumulators, vectors
 * along k, each k step loading L/2 + 2 vectors for L FMAs, no broadcasts, no packing: rows of A and
 * B are contiguous in k. The L accumulators are reduced together by a butterfly (log2 L stages of
 * lane swap, blend and add, about four instructions per result instead of a reduction tree per
 * result, written out inline: a helper taking vectors that C2 leaves out of line boxes them): lane l of the result holds accumulator l, i.e. row l/2, column l%2 of the tile. The
 * order of every sum is fixed by the shape alone.
 */
final class SimdNtDot {
  private SimdNtDot() {}

  /** True when this lane count has a tile (16 or 8 lanes). */
  static final boolean AVAILABLE = L == 16 || L == 8;

  /** Rows of A per tile. */
  static final int ROWS = L / 2;

  // The lane butterfly's permutes and blends: SimdTranspose's (the same Eklundh steps).
  private static final VectorShuffle<Float> X1 = SimdTranspose.X1, X2 = SimdTranspose.X2, X4 = SimdTranspose.X4,
      X8 = SimdTranspose.X8;
  private static final VectorMask<Float> M1 = SimdTranspose.M1, M2 = SimdTranspose.M2, M4 = SimdTranspose.M4,
      M8 = SimdTranspose.M8;

  /**
   * C = alpha·A·Bᵀ + beta·C for rows [0, M − M % ROWS) and columns [0, N − N % 2); the caller
   * covers the rest. t: at least L floats of scratch.
   */
  static void tiles(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
      float beta, float[] C, int cOff, int ldc, float[] t) {
    int kv = F.loopBound(K), Mr = M - M % ROWS, N2 = N & ~1;
    for (int i = 0; i < Mr; i += ROWS)
      for (int j = 0; j < N2; j += 2) {
        if (L == 16) dot8x2(kv, A, aOff + i * lda, lda, B, bOff + j * ldb, ldb, t);
        else if (kv >= LONG_K) dot4x2Long(kv, A, aOff + i * lda, lda, B, bOff + j * ldb, ldb, t);
        else dot4x2(kv, A, aOff + i * lda, lda, B, bOff + j * ldb, ldb, t);
        store(K, kv, alpha, A, aOff + i * lda, lda, B, bOff + j * ldb, ldb, beta, C, cOff + i * ldc + j, ldc, t);
      }
  }

  /**
   * From this many floats of k on (the vector part), the 4 × 2 tile runs {@link #dot4x2Long}. Zen 3,
   * median ratio of alternating windows against dot4x2 alone, the two builds in one JVM: NT 16×10×K
   * at K = 32 0.86, 64 0.91, 96 0.96, 112 1.07, 128 1.05, 256 1.08–1.13.
   */
  static final int LONG_K = 128;

  /**
   * Rows of B per matrix-vector tile: L/2 accumulators, so that the fused update's L/2 row factors
   * fit in the registers beside them (8 + 8 of 32 at 16 lanes, 4 + 4 of 16 at 8).
   */
  static final int VROWS = L / 2;

  /**
   * A matrix-vector product, one row of A against the rows of B: C[c + j] = alpha·(A[a..a+K) · B row j)
   * + beta·C[c + j] for j in [0, N − N % VROWS); the caller covers the rest. A tile is VROWS rows of B,
   * one accumulator each, each k step loading one vector of A and one of each row (L/2 independent
   * FMA chains, where the 3-row form had 3 and waited on FMA latency), no K-blocking (no row of A
   * reuses a block of B), then reduceHalf (below). The scalar k tail is added to each row's sum
   * afterwards. Every column's sum has the same order wherever its tile starts, so a split on whole
   * tiles changes no bit. t: at least L floats of scratch.
   *
   * <p>reduceHalf (written out in each kernel): the sums of L/2 accumulators of L lanes into t[2m]
   * (t[2m + 1] holds the same), by the Eklundh butterfly on lane bits log2(L) − 1 down to 1
   * (accumulator m pairs with m + L/4, …, m + 1), then lane pairs added.
   */
  static void row(int N, int K, float alpha, float[] A, int a, float[] B, int bOff, int ldb, float beta, float[] C,
      int c, float[] t) {
    int kv = F.loopBound(K), Nv = N - N % VROWS;
    for (int j = 0; j < Nv; j += VROWS) {
      int b = bOff + j * ldb;
      if (L == 16) dot1x8(kv, A, a, B, b, ldb, t);
      else dot1x4(kv, A, a, B, b, ldb, t);
      for (int m = 0; m < VROWS; m++, b += ldb) {
        float s = t[2 * m];
        for (int k = kv; k < K; k++) s += A[a + k] * B[b + k];
        int o = c + j + m;
        C[o] = alpha * s + (beta == 0f ? 0f : beta * C[o]);
      }
    }
  }

  /**
   * The rank-1 update of B's rows, then {@link #row} with alpha 1 and beta 0, in one pass over B: B row
   * j += lr·(D[d + j]·X[x..x+K)) for j in [0, N − N % VROWS), each element with the arithmetic of
   * SimdGemm's K = 1 TN, fma(fma(D_j, X_k, 0), lr, B_jk) (its scalar form on the k tail), and each
   * updated vector multiplied into the row's accumulator as it leaves the register: the bits of the
   * update followed by {@link #row}, with B read and written once. lr is the update's scale (−rate).
   */
  static void rowUpdating(int N, int K, float[] A, int a, float[] B, int bOff, int ldb, float[] C, int c, float lr,
      float[] D, int d, float[] X, int x, float[] t) {
    int kv = F.loopBound(K), Nv = N - N % VROWS;
    for (int j = 0; j < Nv; j += VROWS) {
      int b = bOff + j * ldb;
      if (L == 16) update1x8(kv, A, a, B, b, ldb, lr, D, d + j, X, x, t);
      else update1x4(kv, A, a, B, b, ldb, lr, D, d + j, X, x, t);
      for (int m = 0; m < VROWS; m++, b += ldb) {
        float s = t[2 * m], dm = D[d + j + m];
        for (int k = kv; k < K; k++) {
          float u = 0f;
          u += dm * X[x + k];
          B[b + k] = B[b + k] + lr * u;
          s += A[a + k] * B[b + k];
        }
        C[c + j + m] = 1f * s + 0f; // row()'s store with alpha 1, beta 0, to the bit (−0 becomes +0)
      }
    }
  }

  private static void dot1x8(int kv, float[] A, int a, float[] B, int b, int ldb, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
    int b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, b5 = b4 + ldb, b6 = b5 + ldb, b7 = b6 + ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = FloatVector.fromArray(F, B, b + k).fma(x, s0);
      s1 = FloatVector.fromArray(F, B, b1 + k).fma(x, s1);
      s2 = FloatVector.fromArray(F, B, b2 + k).fma(x, s2);
      s3 = FloatVector.fromArray(F, B, b3 + k).fma(x, s3);
      s4 = FloatVector.fromArray(F, B, b4 + k).fma(x, s4);
      s5 = FloatVector.fromArray(F, B, b5 + k).fma(x, s5);
      s6 = FloatVector.fromArray(F, B, b6 + k).fma(x, s6);
      s7 = FloatVector.fromArray(F, B, b7 + k).fma(x, s7);
    }
    // reduceHalf at 16 lanes, inline (a helper taking vectors that C2 leaves out of line boxes them).
    FloatVector p0 = s0.blend(s4, M8).add(s4.blend(s0, M8).rearrange(X8)), p1 = s1.blend(s5, M8).add(s5.blend(s1, M8).rearrange(X8));
    FloatVector p2 = s2.blend(s6, M8).add(s6.blend(s2, M8).rearrange(X8)), p3 = s3.blend(s7, M8).add(s7.blend(s3, M8).rearrange(X8));
    FloatVector q0 = p0.blend(p2, M4).add(p2.blend(p0, M4).rearrange(X4)), q1 = p1.blend(p3, M4).add(p3.blend(p1, M4).rearrange(X4));
    FloatVector r = q0.blend(q1, M2).add(q1.blend(q0, M2).rearrange(X2));
    r.add(r.rearrange(X1)).intoArray(t, 0);
  }

  private static void update1x8(int kv, float[] A, int a, float[] B, int b, int ldb, float lr, float[] D, int d,
      float[] X, int x, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
    FloatVector z = FloatVector.zero(F), va = FloatVector.broadcast(F, lr);
    FloatVector d0 = FloatVector.broadcast(F, D[d]), d1 = FloatVector.broadcast(F, D[d + 1]),
        d2 = FloatVector.broadcast(F, D[d + 2]), d3 = FloatVector.broadcast(F, D[d + 3]),
        d4 = FloatVector.broadcast(F, D[d + 4]), d5 = FloatVector.broadcast(F, D[d + 5]),
        d6 = FloatVector.broadcast(F, D[d + 6]), d7 = FloatVector.broadcast(F, D[d + 7]);
    int b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb, b4 = b3 + ldb, b5 = b4 + ldb, b6 = b5 + ldb, b7 = b6 + ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector xv = FloatVector.fromArray(F, X, x + k), av = FloatVector.fromArray(F, A, a + k), w;
      w = d0.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b + k)); w.intoArray(B, b + k); s0 = w.fma(av, s0);
      w = d1.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b1 + k)); w.intoArray(B, b1 + k); s1 = w.fma(av, s1);
      w = d2.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b2 + k)); w.intoArray(B, b2 + k); s2 = w.fma(av, s2);
      w = d3.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b3 + k)); w.intoArray(B, b3 + k); s3 = w.fma(av, s3);
      w = d4.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b4 + k)); w.intoArray(B, b4 + k); s4 = w.fma(av, s4);
      w = d5.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b5 + k)); w.intoArray(B, b5 + k); s5 = w.fma(av, s5);
      w = d6.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b6 + k)); w.intoArray(B, b6 + k); s6 = w.fma(av, s6);
      w = d7.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b7 + k)); w.intoArray(B, b7 + k); s7 = w.fma(av, s7);
    }
    // reduceHalf at 16 lanes, inline (a helper taking vectors that C2 leaves out of line boxes them).
    FloatVector p0 = s0.blend(s4, M8).add(s4.blend(s0, M8).rearrange(X8)), p1 = s1.blend(s5, M8).add(s5.blend(s1, M8).rearrange(X8));
    FloatVector p2 = s2.blend(s6, M8).add(s6.blend(s2, M8).rearrange(X8)), p3 = s3.blend(s7, M8).add(s7.blend(s3, M8).rearrange(X8));
    FloatVector q0 = p0.blend(p2, M4).add(p2.blend(p0, M4).rearrange(X4)), q1 = p1.blend(p3, M4).add(p3.blend(p1, M4).rearrange(X4));
    FloatVector r = q0.blend(q1, M2).add(q1.blend(q0, M2).rearrange(X2));
    r.add(r.rearrange(X1)).intoArray(t, 0);
  }

  private static void dot1x4(int kv, float[] A, int a, float[] B, int b, int ldb, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    int b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = FloatVector.fromArray(F, B, b + k).fma(x, s0);
      s1 = FloatVector.fromArray(F, B, b1 + k).fma(x, s1);
      s2 = FloatVector.fromArray(F, B, b2 + k).fma(x, s2);
      s3 = FloatVector.fromArray(F, B, b3 + k).fma(x, s3);
    }
    // reduceHalf at 8 lanes, inline.
    FloatVector p0 = s0.blend(s2, M4).add(s2.blend(s0, M4).rearrange(X4)), p1 = s1.blend(s3, M4).add(s3.blend(s1, M4).rearrange(X4));
    FloatVector r = p0.blend(p1, M2).add(p1.blend(p0, M2).rearrange(X2));
    r.add(r.rearrange(X1)).intoArray(t, 0);
  }

  private static void update1x4(int kv, float[] A, int a, float[] B, int b, int ldb, float lr, float[] D, int d,
      float[] X, int x, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector z = FloatVector.zero(F), va = FloatVector.broadcast(F, lr);
    FloatVector d0 = FloatVector.broadcast(F, D[d]), d1 = FloatVector.broadcast(F, D[d + 1]),
        d2 = FloatVector.broadcast(F, D[d + 2]), d3 = FloatVector.broadcast(F, D[d + 3]);
    int b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector xv = FloatVector.fromArray(F, X, x + k), av = FloatVector.fromArray(F, A, a + k), w;
      w = d0.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b + k)); w.intoArray(B, b + k); s0 = w.fma(av, s0);
      w = d1.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b1 + k)); w.intoArray(B, b1 + k); s1 = w.fma(av, s1);
      w = d2.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b2 + k)); w.intoArray(B, b2 + k); s2 = w.fma(av, s2);
      w = d3.fma(xv, z).fma(va, FloatVector.fromArray(F, B, b3 + k)); w.intoArray(B, b3 + k); s3 = w.fma(av, s3);
    }
    // reduceHalf at 8 lanes, inline.
    FloatVector p0 = s0.blend(s2, M4).add(s2.blend(s0, M4).rearrange(X4)), p1 = s1.blend(s3, M4).add(s3.blend(s1, M4).rearrange(X4));
    FloatVector r = p0.blend(p1, M2).add(p1.blend(p0, M2).rearrange(X2));
    r.add(r.rearrange(X1)).intoArray(t, 0);
  }

  /** Adds the scalar k tail to each of the tile's sums in t and writes C (ROWS × 2). */
  private static void store(int K, int kv, float alpha, float[] A, int a, int lda, float[] B, int b, int ldb,
      float beta, float[] C, int c, int ldc, float[] t) {
    int b1 = b + ldb;
    for (int r = 0; r < ROWS; r++, a += lda, c += ldc) {
      float s0 = t[2 * r], s1 = t[2 * r + 1];
      for (int k = kv; k < K; k++) {
        float x = A[a + k];
        s0 += x * B[b + k];
        s1 += x * B[b1 + k];
      }
      C[c] = alpha * s0 + (beta == 0f ? 0f : beta * C[c]);
      C[c + 1] = alpha * s1 + (beta == 0f ? 0f : beta * C[c + 1]);
    }
  }

  private static void dot8x2(int kv, float[] A, int a, int lda, float[] B, int b, int ldb, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
    FloatVector s8 = FloatVector.zero(F), s9 = FloatVector.zero(F), s10 = FloatVector.zero(F), s11 = FloatVector.zero(F);
    FloatVector s12 = FloatVector.zero(F), s13 = FloatVector.zero(F), s14 = FloatVector.zero(F), s15 = FloatVector.zero(F);
    int b1 = b + ldb, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda,
        a7 = a6 + lda;
    for (int k = 0; k < kv; k += L) {
      FloatVector y0 = FloatVector.fromArray(F, B, b + k), y1 = FloatVector.fromArray(F, B, b1 + k);
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = x.fma(y0, s0); s1 = x.fma(y1, s1);
      x = FloatVector.fromArray(F, A, a1 + k);
      s2 = x.fma(y0, s2); s3 = x.fma(y1, s3);
      x = FloatVector.fromArray(F, A, a2 + k);
      s4 = x.fma(y0, s4); s5 = x.fma(y1, s5);
      x = FloatVector.fromArray(F, A, a3 + k);
      s6 = x.fma(y0, s6); s7 = x.fma(y1, s7);
      x = FloatVector.fromArray(F, A, a4 + k);
      s8 = x.fma(y0, s8); s9 = x.fma(y1, s9);
      x = FloatVector.fromArray(F, A, a5 + k);
      s10 = x.fma(y0, s10); s11 = x.fma(y1, s11);
      x = FloatVector.fromArray(F, A, a6 + k);
      s12 = x.fma(y0, s12); s13 = x.fma(y1, s13);
      x = FloatVector.fromArray(F, A, a7 + k);
      s14 = x.fma(y0, s14); s15 = x.fma(y1, s15);
    }
    // Accumulator m pairs with m + 8 on lane bit 3, then m + 4 on bit 2, …: lane l ends as Σ s_l.
    FloatVector p0 = s0.blend(s8, M8).add(s8.blend(s0, M8).rearrange(X8)), p1 = s1.blend(s9, M8).add(s9.blend(s1, M8).rearrange(X8)), p2 = s2.blend(s10, M8).add(s10.blend(s2, M8).rearrange(X8));
    FloatVector p3 = s3.blend(s11, M8).add(s11.blend(s3, M8).rearrange(X8)), p4 = s4.blend(s12, M8).add(s12.blend(s4, M8).rearrange(X8)), p5 = s5.blend(s13, M8).add(s13.blend(s5, M8).rearrange(X8));
    FloatVector p6 = s6.blend(s14, M8).add(s14.blend(s6, M8).rearrange(X8)), p7 = s7.blend(s15, M8).add(s15.blend(s7, M8).rearrange(X8));
    FloatVector q0 = p0.blend(p4, M4).add(p4.blend(p0, M4).rearrange(X4)), q1 = p1.blend(p5, M4).add(p5.blend(p1, M4).rearrange(X4)), q2 = p2.blend(p6, M4).add(p6.blend(p2, M4).rearrange(X4));
    FloatVector q3 = p3.blend(p7, M4).add(p7.blend(p3, M4).rearrange(X4));
    FloatVector r0 = q0.blend(q2, M2).add(q2.blend(q0, M2).rearrange(X2)), r1 = q1.blend(q3, M2).add(q3.blend(q1, M2).rearrange(X2));
    r0.blend(r1, M1).add(r1.blend(r0, M1).rearrange(X1)).intoArray(t, 0);
  }

  private static void dot4x2(int kv, float[] A, int a, int lda, float[] B, int b, int ldb, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
    int b1 = b + ldb, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (int k = 0; k < kv; k += L) {
      FloatVector y0 = FloatVector.fromArray(F, B, b + k), y1 = FloatVector.fromArray(F, B, b1 + k);
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = x.fma(y0, s0); s1 = x.fma(y1, s1);
      x = FloatVector.fromArray(F, A, a1 + k);
      s2 = x.fma(y0, s2); s3 = x.fma(y1, s3);
      x = FloatVector.fromArray(F, A, a2 + k);
      s4 = x.fma(y0, s4); s5 = x.fma(y1, s5);
      x = FloatVector.fromArray(F, A, a3 + k);
      s6 = x.fma(y0, s6); s7 = x.fma(y1, s7);
    }
    VectorMath.fold4x2(s0, s1, s2, s3, s4, s5, s6, s7, t);
  }

  /**
   * {@link #dot4x2} with two k steps an iteration, the second indexed by an induction variable of its
   * own (j = k + L): each of the 12 loads then addresses a row's base plus the index, with nothing
   * kept on the stack. The one-step loop, which C2 unrolls by itself, keeps four of B's vectors on
   * the stack and reloads them (9 reloads per 4 k steps, Zen 3 disassembly); written as b + k + L, the
   * second step's indices are recomputed from spilled ints. Every accumulator takes its FMAs in the
   * same k order: the same bits. Its loop costs more to enter, so short rows keep {@link #dot4x2}
   * ({@link #LONG_K}).
   */
  private static void dot4x2Long(int kv, float[] A, int a, int lda, float[] B, int b, int ldb, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
    FloatVector s4 = FloatVector.zero(F), s5 = FloatVector.zero(F), s6 = FloatVector.zero(F), s7 = FloatVector.zero(F);
    int b1 = b + ldb, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
    int k = 0;
    for (int j = L; j < kv; k += 2 * L, j += 2 * L) {
      FloatVector y0 = FloatVector.fromArray(F, B, b + k), y1 = FloatVector.fromArray(F, B, b1 + k);
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = x.fma(y0, s0); s1 = x.fma(y1, s1);
      x = FloatVector.fromArray(F, A, a1 + k);
      s2 = x.fma(y0, s2); s3 = x.fma(y1, s3);
      x = FloatVector.fromArray(F, A, a2 + k);
      s4 = x.fma(y0, s4); s5 = x.fma(y1, s5);
      x = FloatVector.fromArray(F, A, a3 + k);
      s6 = x.fma(y0, s6); s7 = x.fma(y1, s7);
      y0 = FloatVector.fromArray(F, B, b + j); y1 = FloatVector.fromArray(F, B, b1 + j);
      x = FloatVector.fromArray(F, A, a + j);
      s0 = x.fma(y0, s0); s1 = x.fma(y1, s1);
      x = FloatVector.fromArray(F, A, a1 + j);
      s2 = x.fma(y0, s2); s3 = x.fma(y1, s3);
      x = FloatVector.fromArray(F, A, a2 + j);
      s4 = x.fma(y0, s4); s5 = x.fma(y1, s5);
      x = FloatVector.fromArray(F, A, a3 + j);
      s6 = x.fma(y0, s6); s7 = x.fma(y1, s7);
    }
    if (k < kv) { // an odd number of vectors: the last one
      FloatVector y0 = FloatVector.fromArray(F, B, b + k), y1 = FloatVector.fromArray(F, B, b1 + k);
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = x.fma(y0, s0); s1 = x.fma(y1, s1);
      x = FloatVector.fromArray(F, A, a1 + k);
      s2 = x.fma(y0, s2); s3 = x.fma(y1, s3);
      x = FloatVector.fromArray(F, A, a2 + k);
      s4 = x.fma(y0, s4); s5 = x.fma(y1, s5);
      x = FloatVector.fromArray(F, A, a3 + k);
      s6 = x.fma(y0, s6); s7 = x.fma(y1, s7);
    }
    VectorMath.fold4x2(s0, s1, s2, s3, s4, s5, s6, s7, t);
  }
}
