package org.streamlearn.kernels;

import static org.streamlearn.kernels.SimdKernels.F;
import static org.streamlearn.kernels.SimdKernels.L;

import jdk.incubator.vector.FloatVector;

/**
 * Register-blocked GEMM on the Vector API.
 *
 * <p>NN and TN share one micro-kernel: 4 rows of C × 3 vectors of columns, 12 accumulators, each k
 * step loading 3 vectors of B and broadcasting 4 elements of A. Only the way A is addressed differs
 * (NN: A(i,k) = A[i·lda + k]; TN: A(i,k) = A[k·lda + i]), so it is passed as two strides. The block
 * stays small on purpose: a larger fully unrolled body fails C2's register allocation ("out of
 * virtual registers") and then runs about 100× slower. With 16 lanes (AVX-512: 32 vector registers)
 * blocks of 8 rows take an 8 × 3 kernel (24 accumulators; 99% of the FMA peak on data in L1, against
 * 80–95% for 4 × 3), with the same arithmetic per element. With 16 registers, from 6 rows on, 2-vector
 * panels take 6 × 2 tiles instead ({@link #PANEL2}): 256 and 784 columns are whole 2-vector panels.
 *
 * <p>NT below 32 rows of A (16 with 16 registers: {@link #SWAP_MIN_ROWS}), or with B narrower than a
 * panel, is {@link SimdNtDot}'s dot-product form.
 * Otherwise NT (a dense layer's forward, B = weights [out × in]) transposes each 3-vector panel of B in
 * registers ({@link SimdTranspose}) and runs the packed NN micro-kernel, or, where A and C are much
 * smaller than B (a batch of 32–64 rows), transposes those instead ({@link #ntSwapped}, same bits).
 * In the packed form the columns past the last full panel get a zero-padded panel 1–3 vectors wide of
 * their own. Below 4 rows of A (matrix-vector products, batch 1) each row of A meets L/2 rows of B at
 * a time
 * ({@link SimdNtDot#row}), and {@link #rank1ThenGemv} fuses a rank-1 update of B into that pass. TN
 * with K = 1 (a batch of one's weight update) runs row by row.
 *
 * <p>beta is applied to C first (0 overwrites without reading C), then alpha·A·B is added.
 *
 * <p>Each kernel builds alpha's vector and its zero after the k loop, the zero as {@code va − va}
 * (+0 for any finite alpha). With 16 vector registers (AVX2) a 4 × 3 tile's 12 accumulators, 3
 * vectors of B and a broadcast take them all, and any vector live across the loop was stored to the
 * stack and loaded back on every k step: alpha's vector, or {@code FloatVector.zero}, which C2 shares
 * with the accumulators' initial zero. Measured on Zen 3 at 256 bits, % of the FMA peak, before →
 * after: NN 256×256×256 57 → 89, NT 256×256×256 59 → 95, NT 64×256×784 54 → 81, TN 256×256×256
 * 52 → 78. Same bits.
 */
final class SimdGemm {
  private SimdGemm() {}

  /**
   * K-block: a panel of B over KC rows stays in L1. At 16 lanes a 4-vector panel is 256 bytes a row,
   * so 128 rows (32 KiB) where 256 rows (64 KiB) overflowed a 48 KiB L1 and came from L2 for every
   * block of rows. Xeon with AVX-512, median GFLOP/s of alternating windows in one JVM, 256 → 128
   * (with {@link #kernel6x4}'s k-indexed loop): NN 256×256×256 119 → 136, TN 256×256×256 112 → 127,
   * NT 64×256×784 118 → 129, NT 256×256×256 116 → 133, TN 256×784×64 121 → 126.
   */
  static final int KC = L == 16 ? 128 : 256;

  /**
   * NT's K-block ({@link #ntPacked}, {@link #ntSwapped}: both pack their panels). At 8 lanes (16
   * registers, 2-vector panels of 64 bytes a row) K is not split up to 1024: every K-block after the
   * first reads and writes C again (a 6 × 2 tile's 12 vectors per ~200 k steps), and a 784-wide
   * layer's forward in 4 blocks of 196 ran 10% under one block of 784, although that block's panel
   * (50 KiB) no longer fits a 32 KiB L1: its two vectors a k step come from L2 in time. Zen 3, median
   * ratio of 41 pairs of alternating 30 ms windows in one JVM, 256 → 1024: NT 256×256×784 1.11, NT
   * 64×256×784 1.10, NT 16×256×784 1.08; 512 (784 in two blocks) gained half as much. Not for NN and
   * TN ({@link #KC}): NN 256×256×784 gained 1.15 too, but with B read in place (below
   * {@link #NN_PACK_MIN_ROWS} rows) long blocks lost (NN 32×256×784 0.77, 64×256×784 0.90, with B
   * copied instead 0.81 and 0.97), and a K-block that depended on the rows would give a row other
   * bits alone than among others; TN past batch 256 was even (256×784×512 1.04, 256×784×1024 1.01).
   * The swapped form's inner {@link #blocked} takes the same blocks, so both forms keep one set of bits.
   */
  static final int NT_KC = L == 16 ? KC : 1024;

  /**
   * TN copies each K-panel of B (a 3-vector panel) to a contiguous buffer from this many rows of C
   * on. Below, the copy is reused too rarely to pay: with 8 (the earlier bound) the batch-16 and
   * 10-row products spent up to a third of their time copying (measured at 16 lanes: NN 16×256×256
   * 116 → 180 GFLOP/s, TN 10×256×16 80 → 129 with 32). Above, rows of B 1 KiB apart (a 256-wide
   * layer) share a few L1 sets: unpacked, TN 128×256×64 lost 82 → 74% of the FMA peak.
   */
  private static final int PACK_MIN_ROWS = 32;

  /**
   * NN copies panels of B from this many rows of C on. NN's B is read by the same kernel as TN's,
   * yet without the copy it ran faster up to 128 rows (Zen 5, 512 bits, the two in one JVM: NN
   * 32×256×256 73 → 90%, 64×256×256 81 → 90%, 128×256×256 89 → 90%, 32×256×10 57 → 67% of the FMA
   * peak; 192 rows even, 256 rows 87 → 85% worse). These are the input gradients at batch 32 to 128.
   * With 16 registers (Zen 3, 256 bits: a 32 KiB L1, the copy by vectors and {@link
   * #kernel6x2Packed}) the copy pays from 96 rows on: median ratio of 201 pairs of alternating 15 ms
   * windows, copied / in place, 96×256×256 1.07, 128×256×256 1.08, 160×256×256 1.13, 128×256×784
   * 1.08, 128×784×256 0.99; at 64 rows 0.96 and at 16 rows 0.75. Since {@link #copyPanel} copies a
   * row in half the time (2.8 ns a 2-vector row), from 40 rows on (61 pairs of 15 ms windows, in place
   * / copied time): 40×256×256 1.12, 48×256×256 1.13, 64×256×256 1.17, 80×256×256 1.17, 64×256×784
   * 1.14, 64×784×256 1.10; 32 rows even (1.00), 16 rows 0.92.
   */
  private static final int NN_PACK_MIN_ROWS = L == 16 ? 192 : 40;

  /**
   * With 16 registers ({@link #PANEL2}) NN copies B also from 16 rows on when K is at most this: the
   * input gradient through a 10-wide layer (K = 10). {@link #rowwise} then runs each block of 6 rows
   * along all the copied panels in one call ({@link #kernel6x2PackedRow}). Zen 3, median ratio of 61
   * pairs of alternating 15 ms windows, against B read in place: NN 64×256×10 1.19–1.22, 18×256×10
   * 1.08, 16×256×10 and 12×256×10 even (the copy, 2560 floats, weighs against 16 rows), 4×256×10 0.64.
   */
  private static final int NN_PACK_MAX_K = 32;
  /** From this many rows NN copies B's short K-blocks ({@link #NN_PACK_MAX_K}). */
  private static final int NN_SHORT_PACK_MIN_ROWS = 16;

  /** TN transposes A's K-blocks from this many rows of C on: {@link #tnTransposed}. */
  private static final int TN_TRANSPOSE_MIN_ROWS = 128;


  static void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, null, 0);
  }

  /**
   * gemmNN, then, with Y not null, ReLU's backward on C in place: C(i,j) = 0 + (Y(i,j) &gt; 0 ? C(i,j) :
   * 0), Y laid out as C (Y[yOff + i·ldc + j]), the bits of {@link SimdKernels#reluBackward} after the
   * product. Each part of C is masked as soon as its last K-block is written, while it is still in L1
   * (a strip of panels, or a block of rows in {@link #rowwise}), instead of in a pass of its own over
   * the whole of C, Y and the output.
   */
  static void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc, float[] Y, int yOff) {
    if (K == 0 || alpha == 0f || beta != 0f) {
      applyBeta(M, N, beta, C, cOff, ldc);
      if (K == 0 || alpha == 0f) {
        if (Y != null) reluMask(M, 0, N, Y, yOff, C, cOff, ldc);
        return;
      }
    }
    boolean pack = M >= NN_PACK_MIN_ROWS || PANEL2 && K <= NN_PACK_MAX_K && M >= NN_SHORT_PACK_MIN_ROWS;
    blocked(M, N, K, alpha, A, aOff, lda, 1, B, bOff, ldb, pack, beta != 0f, C, cOff, ldc, KC, Y, yOff);
  }

  /**
   * C(i,j) = 0 + (Y(i,j) &gt; 0 ? C(i,j) : 0) for M rows and columns [j0, j1) (Y laid out as C): ReLU's
   * backward in place, as {@link SimdKernels#reluBackward}.
   */
  private static void reluMask(int M, int j0, int j1, float[] Y, int yOff, float[] C, int cOff, int ldc) {
    SimdKernels.reluBackward(M, j1 - j0, ldc, Y, yOff + j0, C, cOff + j0, C, cOff + j0);
  }

  static void gemmTN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (K == 0 || alpha == 0f || beta != 0f) {
      applyBeta(M, N, beta, C, cOff, ldc);
      if (K == 0 || alpha == 0f) return;
    }
    if (K == 1) rank1(M, N, alpha, A, aOff, B, bOff, beta != 0f, C, cOff, ldc);
    else if (M >= TN_TRANSPOSE_MIN_ROWS) tnTransposed(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta != 0f, C, cOff, ldc);
    else blocked(M, N, K, alpha, A, aOff, 1, lda, B, bOff, ldb, M >= PACK_MIN_ROWS, beta != 0f, C, cOff, ldc);
  }

  /**
   * TN from {@link #TN_TRANSPOSE_MIN_ROWS} rows on (the weight gradients of 256- and 784-wide
   * inputs): each K-block of A [kc × M] is transposed to scratch ({@link #packBTPadded}, rows kc
   * rounded up to whole vectors) and runs as NN. Read in place, a k step
   * of a 4-row tile touches a new line of A every time, lda floats on (1 KiB for a 256-wide layer): a
   * K-block's lines fall in a few L1 sets and come from L2 again for every panel of B. Measured on
   * Zen 3 at 256 bits (FMA peak 86 GFLOP/s), median GFLOP/s of alternating windows in one JVM, in
   * place → transposed: 256×784×256 72 → 78, 256×256×256 62 → 71, 256×784×64 66 → 72, 256×256×64
   * 65 → 67, 64×784×256 62 → 70; at 32 and 64 rows with K ≤ 64 it lost up to 7%, within the noise
   * of the untouched 10-row product, hence 128. The same K-blocks and kernels per element: the same bits.
   */
  private static void tnTransposed(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, boolean readC, float[] C, int cOff, int ldc) {
    int kb = kBlock(K, KC);
    float[] at = SCRATCH.get().at(M * panelWidth(Math.min(kb, K)));
    for (int k0 = 0; k0 < K; k0 += kb) {
      int kc = Math.min(kb, K - k0), P = panelWidth(kc); // at[i·P + k] = A[aOff + (k0 + k)·lda + i]
      packBTPadded(M, kc, P, A, aOff + k0 * lda, lda, at);
      blocked(M, N, kc, alpha, at, 0, P, 1, B, bOff + k0 * ldb, ldb, true, readC || k0 > 0, C, cOff, ldc);
    }
  }

  /**
   * W[N×K] += lr·d·xpᵀ, then y = W·x (see Kernels.rank1ThenGemv): the bits of gemmTN with K = 1 and
   * gemmNT with M = 1 (the row path), the row tiles in one pass over W ({@link SimdNtDot#rowUpdating}),
   * the rows past them as the two calls do.
   */
  static void rank1ThenGemv(int N, int K, float lr, float[] d, int dOff, float[] xp, int xpOff, float[] W, int wOff,
      int ldw, float[] x, int xOff, float[] y, int yOff) {
    if (!SimdNtDot.AVAILABLE || N < L) {
      gemmTN(N, K, 1, lr, d, dOff, N, xp, xpOff, K, 1f, W, wOff, ldw);
      gemmNT(1, N, K, 1f, x, xOff, K, W, wOff, ldw, 0f, y, yOff, N);
      return;
    }
    float[] t = SCRATCH.get().lanes;
    SimdNtDot.rowUpdating(N, K, x, xOff, W, wOff, ldw, y, yOff, lr, d, dOff, xp, xpOff, t);
    int Nv = N - N % SimdNtDot.VROWS;
    if (Nv < N) {
      rank1(N - Nv, K, lr, d, dOff + Nv, xp, xpOff, true, W, wOff + Nv * ldw, ldw);
      ntBlock(1, N - Nv, K, 1f, x, xOff, K, W, wOff + Nv * ldw, ldw, 0f, y, yOff + Nv, N, t);
    }
  }

  /**
   * TN with K = 1, C = alpha·a·bᵀ (+ C with readC): the weight update of a batch of one. Row by row,
   * one stream over C (the blocked kernels sweep 8 rows at a time, and with K = 1 their loads and
   * stores of C are all the work), with the blocked path's arithmetic per element,
   * fma(fma(a_i, b_j, 0), alpha, C), and its scalar column tail: the same bits.
   */
  private static void rank1(int M, int N, float alpha, float[] A, int a, float[] B, int b, boolean readC, float[] C,
      int cOff, int ldc) {
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    int Nv = N - N % L;
    for (int i = 0; i < M; i++) {
      float ai = A[a + i];
      FloatVector x = FloatVector.broadcast(F, ai);
      int c = cOff + i * ldc;
      if (readC)
        for (int j = 0; j < Nv; j += L)
          x.fma(FloatVector.fromArray(F, B, b + j), z).fma(va, FloatVector.fromArray(F, C, c + j)).intoArray(C, c + j);
      else
        for (int j = 0; j < Nv; j += L) x.fma(FloatVector.fromArray(F, B, b + j), z).fma(va, z).intoArray(C, c + j);
      for (int j = Nv; j < N; j++) {
        float s = 0f;
        s += ai * B[b + j];
        C[c + j] = (readC ? C[c + j] : 0f) + alpha * s;
      }
    }
  }

  private static void applyBeta(int M, int N, float beta, float[] C, int cOff, int ldc) {
    if (beta == 1f) return;
    for (int i = 0; i < M; i++) {
      int c = cOff + i * ldc;
      if (beta == 0f) java.util.Arrays.fill(C, c, c + N, 0f);
      else SimdKernels.scale(N, beta, C, c);
    }
  }

  /**
   * C += alpha·A·B with A(i,k) = A[aOff + i·ars + k·aks], A's rows (aks = 1) or its columns (ars = 1)
   * contiguous; with {@code readC} false, C = alpha·A·B
   * without reading C: the first K-block adds to zero instead of C (the bits of zeroing C first,
   * without that pass over C: a weight gradient written by backwardSet). {@code pack}: copy each
   * K-panel of B to a contiguous buffer before the blocks of rows that share it.
   *
   * <p>With 32 vector registers, panels of 4 vectors take 6 × 4 tiles first ({@link #kernel6x4});
   * the columns past them, or all when no block of 6 rows fits the row split, take 8 × 3 tiles on
   * 3-vector panels, then 2- and 1-vector kernels.
   */
  private static void blocked(int M, int N, int K, float alpha, float[] A, int aOff, int ars, int aks,
      float[] B, int bOff, int ldb, boolean pack, boolean readC, float[] C, int cOff, int ldc) {
    blocked(M, N, K, alpha, A, aOff, ars, aks, B, bOff, ldb, pack, readC, C, cOff, ldc, KC, null, 0);
  }

  /** {@link #blocked} with K-blocks of at most kcMax ({@link #KC}, or {@link #NT_KC} for NT's swapped form). */
  private static void blocked(int M, int N, int K, float alpha, float[] A, int aOff, int ars, int aks,
      float[] B, int bOff, int ldb, boolean pack, boolean readC, float[] C, int cOff, int ldc, int kcMax) {
    blocked(M, N, K, alpha, A, aOff, ars, aks, B, bOff, ldb, pack, readC, C, cOff, ldc, kcMax, null, 0);
  }

  /**
   * {@link #blocked} with K-blocks of at most kcMax; with Y not null, each range of columns (each
   * block of rows in {@link #rowwise}) gets ReLU's backward ({@link #reluMask}) once its last K-block
   * is written.
   */
  private static void blocked(int M, int N, int K, float alpha, float[] A, int aOff, int ars, int aks,
      float[] B, int bOff, int ldb, boolean pack, boolean readC, float[] C, int cOff, int ldc, int kcMax,
      float[] Y, int yOff) {
    assert aks == 1 || ars == 1 : "A strided both ways: " + ars + ", " + aks;
    final int NB = 3 * L;
    // A is read in place, never packed. In TN the 4 or 8 elements a k step broadcasts lie side by side
    // in one row of A already; in NN they are 4 or 8 streams, which the caches follow well enough:
    // packing them cost more than it saved (measured on Zen 5 at 512 and 256 bits: NN 64×256×256 53 →
    // 49 µs, 256×256×256 204 → 186 µs without), and each thread of a split packed all of A again.
    Scratch ws = pack ? SCRATCH.get() : null;
    int M4 = M & ~3, six = sixBlocks(M), wide = wideWidth(six, M);
    int kb = kBlock(K, kcMax);
    for (int k0 = 0; k0 < K; k0 += kb) {
      int kc = Math.min(kb, K - k0);
      int ak = aOff + k0 * aks, bk = bOff + k0 * ldb;
      boolean ld = readC || k0 > 0;
      float[] y = k0 + kc >= K ? Y : null; // the last K-block: mask what it finishes
      int j = 0;
      if (M == 1) { // a vector times a matrix (the input gradient at batch 1): six FMA chains, not three
        for (; j + 2 * NB <= N; j += 2 * NB) kernel1x6(kc, alpha, A, ak, aks, B, bk + j, ldb, ld, C, cOff + j);
        if (y != null) reluMask(1, 0, j, y, yOff, C, cOff, ldc);
      }
      // Packed, each K-panel of B is copied to a contiguous buffer once and reused for every block of
      // rows: rows of B lie ldb apart (often a multiple of 1 KiB) and would otherwise share a few L1
      // sets. bs, bo, ls: the panel's array, start and row stride.
      if (wide == 2 * L && kc <= ROWWISE_MAX_K) j = rowwise(M, N, kc, alpha, A, ak, ars, aks, B, bk, ldb, pack, ld, C,
          cOff, ldc, y, yOff);
      for (; wide > 0 && j + wide <= N; j += wide) {
        float[] bs = pack ? copyPanel(kc, B, bk + j, ldb, wide, ws.b) : B;
        int bo = pack ? 0 : bk + j, ls = pack ? wide : ldb;
        widePanel(wide, six, M, kc, alpha, A, ak, ars, aks, bs, bo, ls, ld, C, cOff + j, ldc);
        if (y != null) reluMask(M, j, j + wide, y, yOff, C, cOff, ldc);
      }
      for (; j + NB <= N; j += NB) {
        float[] bs = pack ? copyPanel(kc, B, bk + j, ldb, NB, ws.b) : B;
        int bo = pack ? 0 : bk + j, ls = pack ? NB : ldb;
        int i = 0;
        if (MR8)
          for (; i + 8 <= M4; i += 8)
            kernel8x3(kc, alpha, A, ak + i * ars, ak + (i + 4) * ars, ars, aks, bs, bo, ls, ld, C,
                cOff + i * ldc + j, ldc);
        for (; i < M4; i += 4)
          kernel4x3(kc, alpha, A, ak + i * ars, ars, aks, bs, bo, ls, ld, C, cOff + i * ldc + j, ldc);
        if (i + 2 <= M) { // two rows share each load of B (the output layer's 10 rows: 8 + 2)
          kernel2x3(kc, alpha, A, ak + i * ars, ars, aks, bs, bo, ls, ld, C, cOff + i * ldc + j, ldc);
          i += 2;
        }
        if (i < M) kernel1x3(kc, alpha, A, ak + i * ars, aks, bs, bo, ls, ld, C, cOff + i * ldc + j);
        if (y != null) reluMask(M, j, j + NB, y, yOff, C, cOff, ldc);
      }
      for (int w; j + L <= N; j += w * L) {
        w = MR8 && j + 2 * L <= N ? 2 : 1;
        int i = 0;
        // 8 × 1 at every width (8 accumulators, 10 registers with B and the broadcast): 4 × 1's four
        // FMA chains wait on FMA latency, half the FMA rate (the 8 columns past 5 panels in each half
        // of a split 256, the 16 past 10 panels of a whole one).
        for (; i + 8 <= M4; i += 8)
          if (w == 2)
            kernel8x2(kc, alpha, A, ak + i * ars, ak + (i + 4) * ars, ars, aks, B, bk + j, ldb, ld, C,
                cOff + i * ldc + j, ldc);
          else
            kernel8x1(kc, alpha, A, ak + i * ars, ak + (i + 4) * ars, ars, aks, B, bk + j, ldb, ld, C,
                cOff + i * ldc + j, ldc);
        for (; i + 4 <= M; i += 4)
          for (int v = 0; v < w; v++)
            kernel4x1(kc, alpha, A, ak + i * ars, ars, aks, B, bk + j + v * L, ldb, ld, C, cOff + i * ldc + j + v * L,
                ldc);
        for (; i < M; i++)
          for (int v = 0; v < w; v++)
            kernel1x1(kc, alpha, A, ak + i * ars, aks, B, bk + j + v * L, ldb, ld, C, cOff + i * ldc + j + v * L);
        if (y != null) reluMask(M, j, j + w * L, y, yOff, C, cOff, ldc);
      }
      // Fewer than L columns left: scalar. Masked vector loads are not intrinsified on every CPU
      // and fall back to a path about 100× slower, so the GEMMs never use masks.
      int tail = j;
      for (; j < N; j++)
        for (int i = 0; i < M; i++) {
          float s = 0f;
          for (int k = 0; k < kc; k++) s += A[ak + i * ars + k * aks] * B[bk + k * ldb + j];
          int c = cOff + i * ldc + j;
          C[c] = (ld ? C[c] : 0f) + alpha * s;
        }
      if (y != null && tail < N) reluMask(M, tail, N, y, yOff, C, cOff, ldc);
    }
  }

  /**
   * bp[k·w + jj] = B[b + k·ldb + jj] for k &lt; kc, jj &lt; w (w whole vectors): a K-panel of B,
   * contiguous; returns bp. Vector loads and stores: System.arraycopy's fixed cost per call on rows of
   * 2–4 vectors showed as 3.5% of an MLP step at batch 256 (JFR, Zen 3). Each width has a loop of its
   * own, B's row advanced by ldb and bp's index a constant multiple of k (C2 hoists the stores' checks):
   * an inner loop over the row's vectors ran 5.3 ns a row of 2 vectors, this 2.8 (Zen 3, 784-wide B).
   * Both builds in one JVM, median ratio of 101 pairs of 20 ms windows: TN 256×784×256 1.031, NN 256³
   * 1.026, TN 256³ 1.026, NN 64×256×256 1.000; the MLP's SGD step at batch 256 1.003 (201 pairs).
   */
  private static float[] copyPanel(int kc, float[] B, int b, int ldb, int w, float[] bp) {
    if (w == 2 * L)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector v0 = FloatVector.fromArray(F, B, b), v1 = FloatVector.fromArray(F, B, b + L);
        v0.intoArray(bp, k * (2 * L));
        v1.intoArray(bp, k * (2 * L) + L);
      }
    else if (w == 3 * L)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector v0 = FloatVector.fromArray(F, B, b), v1 = FloatVector.fromArray(F, B, b + L);
        FloatVector v2 = FloatVector.fromArray(F, B, b + 2 * L);
        v0.intoArray(bp, k * (3 * L));
        v1.intoArray(bp, k * (3 * L) + L);
        v2.intoArray(bp, k * (3 * L) + 2 * L);
      }
    else if (w == 4 * L)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector v0 = FloatVector.fromArray(F, B, b), v1 = FloatVector.fromArray(F, B, b + L);
        FloatVector v2 = FloatVector.fromArray(F, B, b + 2 * L), v3 = FloatVector.fromArray(F, B, b + 3 * L);
        v0.intoArray(bp, k * (4 * L));
        v1.intoArray(bp, k * (4 * L) + L);
        v2.intoArray(bp, k * (4 * L) + 2 * L);
        v3.intoArray(bp, k * (4 * L) + 3 * L);
      }
    else
      for (int k = 0; k < kc; k++)
        for (int v = 0; v < w; v += L) FloatVector.fromArray(F, B, b + k * ldb + v).intoArray(bp, k * w + v);
    return bp;
  }

  /**
   * All whole 2-vector panels of B's K-block, each contiguous (bp[j·kc + k·2L + jj] = B[b + k·ldb + j +
   * jj] for panels j = 0, 2L, … &lt; Nw), in one pass along B's rows. A {@link #copyPanel} call per
   * panel cost as much as the product of 4 rows with K = 10 (Zen 3: copying B then cost NN 16×256×10 a
   * quarter, 0.75; in one pass 1.09 against the per-panel copy).
   */
  private static void copyPanels(int kc, float[] B, int b, int ldb, int Nw, float[] bp) {
    for (int k = 0; k < kc; k++, b += ldb)
      for (int j = 0, o = k * 2 * L; j < Nw; j += 2 * L, o += kc * 2 * L) {
        FloatVector.fromArray(F, B, b + j).intoArray(bp, o);
        FloatVector.fromArray(F, B, b + j + L).intoArray(bp, o + L);
      }
  }

  /**
   * K-blocks up to this long run {@link #rowwise}. Zen 3, 256 bits, median ratios against 32, then 64:
   * 64 → TN 256×784×64 1.069, 256×256×64 1.080, 10×256×64 1.068; 128 → TN 256×784×128 1.034,
   * 256×256×128 1.047. At 256 (every K-block at 8 lanes), even (TN 256×784×256 0.996, NN 256³ 1.03)
   * while B's copied panels (784 × 256 floats, 800 KB) outgrow L2: not taken.
   */
  private static final int ROWWISE_MAX_K = 128;

  /**
   * Below this many rows {@link #rowwise} runs its 4-row block along the panels in one call too
   * ({@link #kernel4x2PackedRow}).
   */
  private static final int ROW4_MAX_ROWS = 32;

  /**
   * A K-block up to {@link #ROWWISE_MAX_K} long (a weight gradient's batch, an input gradient through
   * a 10-wide layer) on 2-vector panels ({@link #PANEL2}), C written row block by row block: packed,
   * every whole panel of B is copied first (N·kc floats, {@link #copyPanels}), then each block of 6
   * rows runs along all of them (in one call, {@link #kernel6x2PackedRow}, where C is written, not
   * read), so C, the bulk of the memory traffic when K is short, is written in 6 sequential streams
   * rather than in 2-vector strips down all M rows (TN 256×784×16: 800 KB of C, past a 512 KiB L2, a
   * line per row and panel). Unpacked, B is read in place. The same kernels on the same K-block per
   * element: the same bits. Zen 3, median ratio of 101 pairs of alternating 15 ms windows, against
   * panel by panel: TN 256×784×16 1.09–1.11, NN 16×256×10 1.107, NN 64×256×10 1.069, TN 10×256×16
   * 1.060, NN 256×256×10 0.98–1.06, TN 256×256×16 1.02, TN 64×256×16 1.01. Returns the columns done
   * (whole panels).
   */
  private static int rowwise(int M, int N, int kc, float alpha, float[] A, int a, int ars, int aks, float[] B, int b,
      int ldb, boolean pack, boolean readC, float[] C, int c, int ldc, float[] Y, int yOff) {
    final int W = 2 * L;
    int Nw = N - N % W;
    float[] bp = B;
    int ps = ldb, pj = 1, p0 = b; // panel j at bp[p0 + j·pj], rows ps apart
    if (pack) {
      bp = SCRATCH.get().panels(Nw * kc);
      copyPanels(kc, B, b, ldb, Nw, bp);
      ps = W;
      pj = kc;
      p0 = 0;
    }
    int six = M / 6, rest = M - 6 * six, five = 0;
    if (aks != 1) { // A read down its columns (TN in place)
      five = fiveBlocks(M);
      six = (M - 5 * five) / 6;
      rest = M - 5 * five - 6 * six;
    } else if (rest == 2) {
      six--;
      rest = 8;
    }
    // With Y, each block of rows is masked once written, its Nw columns still in L1.
    int i = 0;
    for (int q = 0; q < six; q++, i += 6) {
      if (aks == 1 && pack && !readC) kernel6x2PackedRow(kc, alpha, A, a + i * ars, ars, bp, Nw, C, c + i * ldc, ldc);
      else if (aks == 1 && pack)
        for (int j = 0; j < Nw; j += W)
          kernel6x2Packed(kc, alpha, A, a + i * ars, ars, bp, j * kc, readC, C, c + i * ldc + j, ldc);
      else
        for (int j = 0; j < Nw; j += W)
          kernel6x2(kc, alpha, A, a + i * ars, ars, aks, bp, p0 + j * pj, ps, readC, C, c + i * ldc + j, ldc);
      if (Y != null) reluMask(6, 0, Nw, Y, yOff + i * ldc, C, c + i * ldc, ldc);
    }
    for (int q = 0; q < five; q++, i += 5) {
      for (int j = 0; j < Nw; j += W)
        kernel5x2(kc, alpha, A, a + i, aks, bp, p0 + j * pj, ps, readC, C, c + i * ldc + j, ldc);
      if (Y != null) reluMask(5, 0, Nw, Y, yOff + i * ldc, C, c + i * ldc, ldc);
    }
    for (; rest >= 4; rest -= 4, i += 4) {
      if (aks == 1 && pack && !readC && M < ROW4_MAX_ROWS)
        kernel4x2PackedRow(kc, alpha, A, a + i * ars, ars, bp, Nw, C, c + i * ldc, ldc);
      else
        for (int j = 0; j < Nw; j += W)
          kernel4x2(kc, alpha, A, a + i * ars, ars, aks, bp, p0 + j * pj, ps, readC, C, c + i * ldc + j, ldc);
      if (Y != null) reluMask(4, 0, Nw, Y, yOff + i * ldc, C, c + i * ldc, ldc);
    }
    for (; i < M; i++) {
      for (int j = 0; j < Nw; j += W)
        for (int v = 0; v < W; v += L)
          kernel1x1(kc, alpha, A, a + i * ars, aks, bp, p0 + j * pj + v, ps, readC, C, c + i * ldc + j + v);
      if (Y != null) reluMask(1, 0, Nw, Y, yOff + i * ldc, C, c + i * ldc, ldc);
    }
    return Nw;
  }

  /**
   * Blocks of 6 rows that {@link #panel4} runs on M rows (32 vector registers only; 0 where none fits
   * or 8 × 3 does better): the rows split into blocks of 6, then 8 or 16 rows (blocks of 8) or 4, and
   * an odd last row. At 8 and 16 rows there is no block of 6, and 8 × 3 on 3-vector panels ran faster.
   */
  private static int sixBlocks(int M) {
    int even = M & ~1;
    if (!MR8 || M < 6) return 0;
    return switch (even % 6) {
      case 0 -> even / 6;
      case 2 -> (even - 8) / 6;
      default -> even >= 16 ? (even - 16) / 6 : 1;
    };
  }

  /**
   * C[M × 4L] (+)= alpha·A(M rows)·B[kc × 4L]: {@code six} blocks of 6 rows in 6 × 4 tiles, the even
   * rows left in 8-row blocks (8 × 2 twice) or one 4-row block (4 × 2 twice), an odd last row in
   * 1 × 3 and 1 × 1. A(i,k) = A[a + i·ars + k·aks].
   */
  private static void panel4(int six, int M, int kc, float alpha, float[] A, int a, int ars, int aks, float[] B, int b,
      int ldb, boolean readC, float[] C, int c, int ldc) {
    int i = 0, rest = (M & ~1) - 6 * six;
    for (int q = 0; q < six; q++, i += 6, c += 6 * ldc)
      kernel6x4(kc, alpha, A, a + i * ars, ars, aks, B, b, ldb, readC, C, c, ldc);
    for (; rest >= 8; rest -= 8, i += 8, c += 8 * ldc)
      for (int v = 0; v < 4 * L; v += 2 * L)
        kernel8x2(kc, alpha, A, a + i * ars, a + (i + 4) * ars, ars, aks, B, b + v, ldb, readC, C, c + v, ldc);
    if (rest == 4) {
      for (int v = 0; v < 4 * L; v += 2 * L)
        kernel4x2(kc, alpha, A, a + i * ars, ars, aks, B, b + v, ldb, readC, C, c + v, ldc);
      i += 4;
      c += 4 * ldc;
    }
    if (i < M) {
      kernel1x3(kc, alpha, A, a + i * ars, aks, B, b, ldb, readC, C, c);
      kernel1x1(kc, alpha, A, a + i * ars, aks, B, b + 3 * L, ldb, readC, C, c + 3 * L);
    }
  }

  /**
   * The K-block: at most kc ({@link #KC}, or {@link #NT_KC} for NT), K split into equal blocks
   * (rounded up to whole vectors) rather than full blocks and a short last one, whose C loads and
   * stores would weigh on few FMAs.
   */
  private static int kBlock(int K, int kc) {
    if (K <= kc) return kc;
    int nb = (K + kc - 1) / kc, kb = (K + nb - 1) / nb;
    return (kb + L - 1) / L * L;
  }

  /** Per-thread packing buffers. */
  static final class Scratch {
    final float[] b = new float[Math.max(KC, NT_KC) * 4 * L];
    /** The first folds of NT's twelve dot-product accumulators, summed from here in a fixed order. */
    final float[] lanes = new float[6 * L];
    /** Eight rows of C of a zero-padded leftover panel (NT). */
    final float[] c = new float[8 * 3 * L];
    /** ntSwapped's transposed K-block of A and its Cᵀ, grown to the largest call (then reused). */
    private float[] at = new float[0], ct = new float[0];

    float[] at(int n) {
      if (at.length < n) at = new float[n];
      return at;
    }

    /** {@link #rowwise}'s copies of B's panels, grown to the largest call. */
    private float[] panels = new float[0];

    float[] panels(int n) {
      if (panels.length < n) panels = new float[n];
      return panels;
    }

    float[] ct(int n) {
      if (ct.length < n) ct = new float[n];
      return ct;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static void kernel4x3(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F);
    int a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
    for (int k = 0; k < kc; k++, b += ldb) {
      int ka = k * aks;
      FloatVector b0 = FloatVector.fromArray(F, B, b);
      FloatVector b1 = FloatVector.fromArray(F, B, b + L);
      FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L);
      FloatVector x = FloatVector.broadcast(F, A[a + ka]);
      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
      x = FloatVector.broadcast(F, A[a1 + ka]);
      c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
      x = FloatVector.broadcast(F, A[a2 + ka]);
      c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
      x = FloatVector.broadcast(F, A[a3 + ka]);
      c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c01.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c02.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * L) : z)).intoArray(C, c + 2 * L);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c11.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
    c12.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + 2 * L) : z)).intoArray(C, c + ldc + 2 * L);
    c20.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c21.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + L) : z)).intoArray(C, c + 2 * ldc + L);
    c22.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + 2 * L) : z)).intoArray(C, c + 2 * ldc + 2 * L);
    c30.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
    c31.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + L) : z)).intoArray(C, c + 3 * ldc + L);
    c32.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + 2 * L) : z)).intoArray(C, c + 3 * ldc + 2 * L);
  }

  /**
   * 8 rows × 3 vectors, 24 accumulators: only with 32 vector registers (16 lanes, AVX-512), where it
   * loads each vector of B once per 8 rows instead of 4. Rows 0–3 at A[a + r·ars + k·aks], rows 4–7
   * at A[a4 + (r−4)·ars + k·aks] (a4 = a + 4·ars unpacked; the next micro-panel packed). The same
   * arithmetic per element as {@link #kernel4x3}: which kernel runs does not change the bits.
   */
  private static void kernel8x3(int kc, float alpha, float[] A, int a, int a4, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c22 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F), c32 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F), c42 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F), c52 = FloatVector.zero(F);
    FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F), c62 = FloatVector.zero(F);
    FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F), c72 = FloatVector.zero(F);
    // As in kernel6x2: with aks = 1 the index moves with the loop variable and C2 hoists the eight rows'
    // bounds checks out of the loop.
    if (aks == 1) {
      int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars, a5 = a4 + ars, a6 = a5 + ars, a7 = a6 + ars;
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector b0 = FloatVector.fromArray(F, B, b);
        FloatVector b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        x = FloatVector.broadcast(F, A[a4 + k]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
        x = FloatVector.broadcast(F, A[a5 + k]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
        x = FloatVector.broadcast(F, A[a6 + k]);
        c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
        x = FloatVector.broadcast(F, A[a7 + k]);
        c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
      }
    } else
      for (int k = 0; k < kc; k++, b += ldb) {
        int ka = k * aks;
        FloatVector b0 = FloatVector.fromArray(F, B, b);
        FloatVector b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L);
        FloatVector x = FloatVector.broadcast(F, A[a + ka]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
        x = FloatVector.broadcast(F, A[a + ars + ka]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
        x = FloatVector.broadcast(F, A[a + 2 * ars + ka]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22);
        x = FloatVector.broadcast(F, A[a + 3 * ars + ka]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32);
        x = FloatVector.broadcast(F, A[a4 + ka]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42);
        x = FloatVector.broadcast(F, A[a4 + ars + ka]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52);
        x = FloatVector.broadcast(F, A[a4 + 2 * ars + ka]);
        c60 = x.fma(b0, c60); c61 = x.fma(b1, c61); c62 = x.fma(b2, c62);
        x = FloatVector.broadcast(F, A[a4 + 3 * ars + ka]);
        c70 = x.fma(b0, c70); c71 = x.fma(b1, c71); c72 = x.fma(b2, c72);
      }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c01.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c02.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * L) : z)).intoArray(C, c + 2 * L);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c11.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
    c12.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + 2 * L) : z)).intoArray(C, c + ldc + 2 * L);
    c20.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c21.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + L) : z)).intoArray(C, c + 2 * ldc + L);
    c22.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + 2 * L) : z)).intoArray(C, c + 2 * ldc + 2 * L);
    c30.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
    c31.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + L) : z)).intoArray(C, c + 3 * ldc + L);
    c32.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + 2 * L) : z)).intoArray(C, c + 3 * ldc + 2 * L);
    c40.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc) : z)).intoArray(C, c + 4 * ldc);
    c41.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc + L) : z)).intoArray(C, c + 4 * ldc + L);
    c42.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc + 2 * L) : z)).intoArray(C, c + 4 * ldc + 2 * L);
    c50.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc) : z)).intoArray(C, c + 5 * ldc);
    c51.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc + L) : z)).intoArray(C, c + 5 * ldc + L);
    c52.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc + 2 * L) : z)).intoArray(C, c + 5 * ldc + 2 * L);
    c60.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc) : z)).intoArray(C, c + 6 * ldc);
    c61.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc + L) : z)).intoArray(C, c + 6 * ldc + L);
    c62.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc + 2 * L) : z)).intoArray(C, c + 6 * ldc + 2 * L);
    c70.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc) : z)).intoArray(C, c + 7 * ldc);
    c71.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc + L) : z)).intoArray(C, c + 7 * ldc + L);
    c72.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc + 2 * L) : z)).intoArray(C, c + 7 * ldc + 2 * L);
  }


  /**
   * 6 rows × 4 vectors, 24 accumulators (32 vector registers only): 10 loads per 24 FMAs where 8 × 3
   * takes 11, and a 256-wide layer is 4 such panels where 8 × 3 leaves a vector for an 8 × 1 kernel
   * (latency-bound: 8 FMA chains). Measured on Zen 5 at 512 bits, both builds in one JVM, % of the FMA
   * peak, 8 × 3 → 6 × 4: NN 256×256×256 85 → 88, TN 256×256×256 80 → 87, TN 10×256×64 65 → 74, NT
   * 64×256×784 71 → 82 (with {@link #ntSwapped}). The same arithmetic per element as {@link #kernel4x3}.
   */
  private static void kernel6x4(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00;
    FloatVector c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
    // As in kernel6x2: with aks = 1 the index moves with the loop variable and C2 hoists the six rows'
    // bounds checks out of the loop.
    if (aks == 1)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector b0 = FloatVector.fromArray(F, B, b), b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L), b3 = FloatVector.fromArray(F, B, b + 3 * L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        x = FloatVector.broadcast(F, A[a4 + k]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
        x = FloatVector.broadcast(F, A[a5 + k]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
      }
    else
      for (int k = 0; k < kc; k++, b += ldb) {
        int ka = k * aks;
        FloatVector b0 = FloatVector.fromArray(F, B, b), b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L), b3 = FloatVector.fromArray(F, B, b + 3 * L);
        FloatVector x = FloatVector.broadcast(F, A[a + ka]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
        x = FloatVector.broadcast(F, A[a1 + ka]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
        x = FloatVector.broadcast(F, A[a2 + ka]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
        x = FloatVector.broadcast(F, A[a3 + ka]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        x = FloatVector.broadcast(F, A[a4 + ka]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
        x = FloatVector.broadcast(F, A[a5 + ka]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
      }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    int r = c;
    c00.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c01.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c02.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c03.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
    r += ldc;
    c10.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c11.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c12.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c13.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
    r += ldc;
    c20.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c21.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c22.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c23.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
    r += ldc;
    c30.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c31.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c32.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c33.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
    r += ldc;
    c40.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c41.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c42.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c43.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
    r += ldc;
    c50.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c51.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    c52.fma(va, readC ? FloatVector.fromArray(F, C, r + 2 * L) : z).intoArray(C, r + 2 * L);
    c53.fma(va, readC ? FloatVector.fromArray(F, C, r + 3 * L) : z).intoArray(C, r + 3 * L);
  }

  /**
   * With 16 vector registers, panels of 2 vectors in 6 × 2 tiles ({@link #kernel6x2}) from 6 rows on,
   * instead of 3 vectors in 4 × 3 tiles: both run 12 FMAs per k step on 12 accumulators (8 loads
   * where 4 × 3 takes 7, under the two a cycle that 12 FMAs leave room for), but 256 and 784 are whole
   * numbers of 2-vector panels at 8 lanes and not of 3-vector ones: the 16 columns past 10 panels of a
   * 256-wide layer (32 past 784) ran in 8 × 1 or a zero-padded 4 × 2, at half the FMA rate or less
   * (JFR, 784-256-256-10 at batch 256 on Zen 3: kernel8x1 and NT's leftover took 6% of a step).
   * The 6 × 2 loop for A read along k indexes A by the loop variable itself, so that C2 hoists the
   * bounds checks of its six rows: with A[a + k·aks] it kept six compares a k step and ran 10–15%
   * under 4 × 3. Zen 3, 256 bits, both builds in one JVM, alternating 0.3 s windows, best GFLOP/s 4 × 3
   * → 6 × 2: TN 256×784×256 74 → 79, NT 256×256×784 76 → 78, NN 256×256×256 61 → 76, NN 64×256×256
   * 73 → 80, NN 256×128×256 77 → 82, TN 256×784×64 74 → 77 (TN 128×784×256 74 → 71, within the
   * host's noise that hour); the MLP at batch 256, SGD, one thread: +4% (medians of 9 pairs).
   */
  static final boolean PANEL2 = L != 16;

  /**
   * Columns per panel of the wide tiles that a block of {@code rows} rows takes first: 4 vectors (6 × 4
   * tiles, 32 registers: {@code six} blocks of 6 from {@link #sixBlocks}), 2 vectors (6 × 2 tiles, 16
   * registers, from 6 rows on: {@link #PANEL2}), or 0 (the 3-vector panels only).
   */
  private static int wideWidth(int six, int rows) {
    return six > 0 ? 4 * L : PANEL2 && rows >= 6 ? 2 * L : 0;
  }

  /** {@link #panel4} or {@link #panel2}, as {@link #wideWidth} chose. */
  private static void widePanel(int wide, int six, int M, int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    if (wide == 4 * L) panel4(six, M, kc, alpha, A, a, ars, aks, B, b, ldb, readC, C, c, ldc);
    else panel2(M, kc, alpha, A, a, ars, aks, B, b, ldb, readC, C, c, ldc);
  }

  /**
   * C[M × 2L] (+)= alpha·A(M rows)·B[kc × 2L] for M ≥ 6: blocks of 6 rows, then 8 (M % 6 = 2: two
   * blocks of 4 rather than 6 and two single rows) or 4 rows, then a single row; with A read down its
   * columns, blocks of 5 ({@link #kernel5x2}). A(i,k) = A[a + i·ars + k·aks].
   */
  private static void panel2(int M, int kc, float alpha, float[] A, int a, int ars, int aks, float[] B, int b,
      int ldb, boolean readC, float[] C, int c, int ldc) {
    int six = M / 6, rest = M - 6 * six, five = 0;
    if (aks != 1) { // A read down its columns (TN in place)
      five = fiveBlocks(M);
      six = (M - 5 * five) / 6;
      rest = M - 5 * five - 6 * six;
    } else if (rest == 2) {
      six--;
      rest = 8;
    }
    int i = 0;
    if (aks == 1 && ldb == 2 * L)
      for (int q = 0; q < six; q++, i += 6)
        kernel6x2Packed(kc, alpha, A, a + i * ars, ars, B, b, readC, C, c + i * ldc, ldc);
    else
      for (int q = 0; q < six; q++, i += 6)
        kernel6x2(kc, alpha, A, a + i * ars, ars, aks, B, b, ldb, readC, C, c + i * ldc, ldc);
    for (int q = 0; q < five; q++, i += 5) kernel5x2(kc, alpha, A, a + i, aks, B, b, ldb, readC, C, c + i * ldc, ldc);
    for (; rest >= 4; rest -= 4, i += 4)
      kernel4x2(kc, alpha, A, a + i * ars, ars, aks, B, b, ldb, readC, C, c + i * ldc, ldc);
    for (; i < M; i++)
      for (int v = 0; v < 2 * L; v += L) kernel1x1(kc, alpha, A, a + i * ars, aks, B, b + v, ldb, readC, C, c + i * ldc + v);
  }

  /**
   * 6 rows × 2 vectors, 12 accumulators (see {@link #PANEL2}). The same arithmetic per element as {@link #kernel4x3}.
   *
   * <p>With alpha 1 (every GEMM of a training step but plain SGD's direct update) the tile is stored as
   * acc + c instead of fma(acc, alpha, c): acc·1 is exact, so both round the same sum once and give
   * the same bits (−0 + +0 = +0 as well). On Zen the adds run on the FP adders, pipes of their own
   * beside the two FMA pipes, so a tile's 12 results no longer take FMA slots from the next tile's
   * loop, which weighs where K is short. Zen 3 at 256 bits, median ratio of 101 pairs of alternating
   * 15 ms windows (this, {@link #kernel6x2Packed} and {@link #kernel4x2}): TN 256×256×16 1.078, TN
   * 256×784×16 1.031, NN 256×256×10 1.03–1.05, 16- and 64-row NN with K = 10 even, NT 64×256×784 and
   * NN 256³ not slower. A helper holding the choice (alpha == 1 ? add : fma) in {@link VectorMath}
   * measured as well at K = 16 but, once C2 recompiled the kernel for another shape, ran NT
   * 64×256×784 and NN 256³ at 0.36–0.39: the choice is written out in each kernel.
   */
  private static void kernel6x2(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
    int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
    // A's rows read along k (aks = 1: NN's A, NT's, TN's transposed blocks): the index moves with the
    // loop variable, so C2 hoists the six rows' bounds checks out of the loop.
    if (aks == 1)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector b0 = FloatVector.fromArray(F, B, b), b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(F, A[a4 + k]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(F, A[a5 + k]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
      }
    else
      for (int k = 0; k < kc; k++, b += ldb) {
        int ka = k * aks;
        FloatVector b0 = FloatVector.fromArray(F, B, b), b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector x = FloatVector.broadcast(F, A[a + ka]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + ka]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + ka]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + ka]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(F, A[a4 + ka]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(F, A[a5 + ka]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
      }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    if (alpha == 1f) { // acc + c: the bits of fma(acc, 1, c), on the FP adders (see kernel6x2)
      int r = c;
      c00.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c01.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c10.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c11.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c20.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c21.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c30.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c31.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c40.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c41.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c50.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c51.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      return;
    }
    int r = c;
    c00.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c01.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c10.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c11.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c20.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c21.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c30.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c31.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c40.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c41.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c50.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c51.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
  }

  /**
   * {@link #kernel6x2} on a packed panel (B's rows 2L apart, A read along k): B indexed by k at a
   * constant stride, so C2 hoists its bounds checks as A's (at a stride passed in, it checked both
   * loads every k step: JFR put 5% of an MLP step at batch 256 in those checks). A method of its own:
   * as a third loop in kernel6x2 it cost the unpacked loops a fifth (NT 64×256×784 in the swapped
   * form), C2 allocating registers for the method as a whole. Zen 3 at 256 bits, both builds in one
   * JVM, median ratio of 301 pairs of alternating 15 ms windows: NN 256×256×256 1.043, TN
   * 256×784×256 1.036, NT 256×256×784 1.024, NT 64×256×784 1.022, TN 256×256×64 1.016. Same bits.
   */
  private static void kernel6x2Packed(int kc, float alpha, float[] A, int a, int ars,
      float[] B, int b, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
    int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
    for (int k = 0; k < kc; k++) {
      int p = b + k * (2 * L);
      FloatVector b0 = FloatVector.fromArray(F, B, p), b1 = FloatVector.fromArray(F, B, p + L);
      FloatVector x = FloatVector.broadcast(F, A[a + k]);
      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(F, A[a1 + k]);
      c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(F, A[a2 + k]);
      c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(F, A[a3 + k]);
      c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(F, A[a4 + k]);
      c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(F, A[a5 + k]);
      c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    if (alpha == 1f) { // acc + c: the bits of fma(acc, 1, c), on the FP adders (see kernel6x2)
      int r = c;
      c00.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c01.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c10.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c11.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c20.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c21.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c30.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c31.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c40.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c41.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c50.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c51.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      return;
    }
    int r = c;
    c00.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c01.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c10.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c11.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c20.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c21.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c30.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c31.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c40.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c41.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c50.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c51.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
  }

  /**
   * {@link #kernel6x2Packed} with C written, not read (C = alpha·A·B: readC false), along the Nw / 2L
   * panels {@link #rowwise} copied (panel j at B[j·kc]) in one call. With K-blocks of 10 to 32 a
   * tile is 60 to 200 cycles of FMAs, and a call per tile (13 arguments and the loop's set-up) cost
   * about 55 cycles more (Zen 3: NN 6×256×10, about 125 cycles
   * a tile where 10 more k steps added 70). A method of its own: kernel6x2Packed as this loop over one
   * panel at its other call sites ran NN 256³ at 0.93 and NT 256³ at 0.97; the loop over panels read
   * in place, their rows ldb apart (bounds checked every k step), lost (NN 16×256×10 0.91), and so did
   * this loop reading C (plain SGD's direct update W += −lr·dyᵀ·x at batch 16: TN 256×784×16 with beta
   * 1 at 0.75–0.80, which stays a call per panel). Zen 3, median ratio of 41 pairs of alternating 15 ms
   * windows against a call per panel, with the copy above, in two JVMs each: TN 256×784×16 1.07–1.09,
   * TN 64×256×16 1.12–1.18, NN 64×256×10 1.20–1.21, NN 256×256×10 1.04–1.16; the update 0.99–1.06.
   * The same arithmetic: the same bits.
   */
  private static void kernel6x2PackedRow(int kc, float alpha, float[] A, int a, int ars,
      float[] B, int Nw, float[] C, int c0, int ldc) {
    for (int j = 0; j < Nw; j += 2 * L) {
      int b = j * kc, c = c0 + j;
      FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
      FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
      FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
      FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
      FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
      FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
      int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars, a4 = a3 + ars, a5 = a4 + ars;
      for (int k = 0; k < kc; k++) {
        int p = b + k * (2 * L);
        FloatVector b0 = FloatVector.fromArray(F, B, p), b1 = FloatVector.fromArray(F, B, p + L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        x = FloatVector.broadcast(F, A[a4 + k]);
        c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
        x = FloatVector.broadcast(F, A[a5 + k]);
        c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
      }
      FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
      if (alpha == 1f) { // acc + c: the bits of fma(acc, 1, c), on the FP adders (see kernel6x2)
        int r = c;
        c00.add(z).intoArray(C, r);
        c01.add(z).intoArray(C, r + L);
        r += ldc;
        c10.add(z).intoArray(C, r);
        c11.add(z).intoArray(C, r + L);
        r += ldc;
        c20.add(z).intoArray(C, r);
        c21.add(z).intoArray(C, r + L);
        r += ldc;
        c30.add(z).intoArray(C, r);
        c31.add(z).intoArray(C, r + L);
        r += ldc;
        c40.add(z).intoArray(C, r);
        c41.add(z).intoArray(C, r + L);
        r += ldc;
        c50.add(z).intoArray(C, r);
        c51.add(z).intoArray(C, r + L);
        continue;
      }
      int r = c;
      c00.fma(va, z).intoArray(C, r);
      c01.fma(va, z).intoArray(C, r + L);
      r += ldc;
      c10.fma(va, z).intoArray(C, r);
      c11.fma(va, z).intoArray(C, r + L);
      r += ldc;
      c20.fma(va, z).intoArray(C, r);
      c21.fma(va, z).intoArray(C, r + L);
      r += ldc;
      c30.fma(va, z).intoArray(C, r);
      c31.fma(va, z).intoArray(C, r + L);
      r += ldc;
      c40.fma(va, z).intoArray(C, r);
      c41.fma(va, z).intoArray(C, r + L);
      r += ldc;
      c50.fma(va, z).intoArray(C, r);
      c51.fma(va, z).intoArray(C, r + L);
    }
  }

  /**
   * {@link #kernel4x2} along the copied panels in one call, as {@link #kernel6x2PackedRow} (C written,
   * not read; A read along k). At 16 rows (6 + 6 + 4) the 4-row tiles are a quarter of the work:
   * Zen 3, median ratio of 61 pairs of alternating 15 ms windows against a call per panel, in
   * three JVMs, NN 16×256×10 1.05–1.16; at 64 rows (TN 64×256×16 and ×64) 0.92–1.01, hence only
   * below 32 rows. Same bits.
   */
  private static void kernel4x2PackedRow(int kc, float alpha, float[] A, int a, int ars,
      float[] B, int Nw, float[] C, int c0, int ldc) {
    for (int j = 0; j < Nw; j += 2 * L) {
      int b = j * kc, c = c0 + j;
      FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
      FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
      FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
      FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
      int a1 = a + ars, a2 = a1 + ars, a3 = a2 + ars;
      for (int k = 0; k < kc; k++) {
        int p = b + k * (2 * L);
        FloatVector b0 = FloatVector.fromArray(F, B, p), b1 = FloatVector.fromArray(F, B, p + L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      }
      FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
      if (alpha == 1f) {
        c00.add(z).intoArray(C, c);
        c01.add(z).intoArray(C, c + L);
        c10.add(z).intoArray(C, c + ldc);
        c11.add(z).intoArray(C, c + ldc + L);
        c20.add(z).intoArray(C, c + 2 * ldc);
        c21.add(z).intoArray(C, c + 2 * ldc + L);
        c30.add(z).intoArray(C, c + 3 * ldc);
        c31.add(z).intoArray(C, c + 3 * ldc + L);
        continue;
      }
      c00.fma(va, z).intoArray(C, c);
      c01.fma(va, z).intoArray(C, c + L);
      c10.fma(va, z).intoArray(C, c + ldc);
      c11.fma(va, z).intoArray(C, c + ldc + L);
      c20.fma(va, z).intoArray(C, c + 2 * ldc);
      c21.fma(va, z).intoArray(C, c + 2 * ldc + L);
      c30.fma(va, z).intoArray(C, c + 3 * ldc);
      c31.fma(va, z).intoArray(C, c + 3 * ldc + L);
    }
  }

  private static void kernel2x3(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c02 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F), c12 = FloatVector.zero(F);
    int a1 = a + ars;
    for (int k = 0; k < kc; k++, b += ldb) {
      int ka = k * aks;
      FloatVector b0 = FloatVector.fromArray(F, B, b);
      FloatVector b1 = FloatVector.fromArray(F, B, b + L);
      FloatVector b2 = FloatVector.fromArray(F, B, b + 2 * L);
      FloatVector x = FloatVector.broadcast(F, A[a + ka]);
      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02);
      x = FloatVector.broadcast(F, A[a1 + ka]);
      c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c01.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c02.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * L) : z)).intoArray(C, c + 2 * L);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c11.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
    c12.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + 2 * L) : z)).intoArray(C, c + ldc + 2 * L);
  }

  private static void kernel1x3(int kc, float alpha, float[] A, int a, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c) {
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F);
    for (int k = 0; k < kc; k++, b += ldb) {
      FloatVector x = FloatVector.broadcast(F, A[a + k * aks]);
      c0 = x.fma(FloatVector.fromArray(F, B, b), c0);
      c1 = x.fma(FloatVector.fromArray(F, B, b + L), c1);
      c2 = x.fma(FloatVector.fromArray(F, B, b + 2 * L), c2);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c0.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c1.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c2.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * L) : z)).intoArray(C, c + 2 * L);
  }

  /** kernel1x3 over six vectors of columns: twice the independent FMA chains, the same arithmetic. */
  private static void kernel1x6(int kc, float alpha, float[] A, int a, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c) {
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F);
    FloatVector c3 = FloatVector.zero(F), c4 = FloatVector.zero(F), c5 = FloatVector.zero(F);
    for (int k = 0; k < kc; k++, b += ldb) {
      FloatVector x = FloatVector.broadcast(F, A[a + k * aks]);
      c0 = x.fma(FloatVector.fromArray(F, B, b), c0);
      c1 = x.fma(FloatVector.fromArray(F, B, b + L), c1);
      c2 = x.fma(FloatVector.fromArray(F, B, b + 2 * L), c2);
      c3 = x.fma(FloatVector.fromArray(F, B, b + 3 * L), c3);
      c4 = x.fma(FloatVector.fromArray(F, B, b + 4 * L), c4);
      c5 = x.fma(FloatVector.fromArray(F, B, b + 5 * L), c5);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c0.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c1.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c2.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * L) : z)).intoArray(C, c + 2 * L);
    c3.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * L) : z)).intoArray(C, c + 3 * L);
    c4.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * L) : z)).intoArray(C, c + 4 * L);
    c5.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * L) : z)).intoArray(C, c + 5 * L);
  }

  /**
   * kernel8x3 one or two vectors wide: the columns past the last full panel (a thread's range of a
   * split, the 784-wide layer's last vector) in blocks of 8 rows, where kernel4x1 ran 4 FMA chains.
   * The same arithmetic per element.
   */
  private static void kernel8x2(int kc, float alpha, float[] A, int a, int a4, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
    FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
    FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
    for (int k = 0; k < kc; k++, b += ldb) {
      int ka = k * aks;
      FloatVector b0 = FloatVector.fromArray(F, B, b);
      FloatVector b1 = FloatVector.fromArray(F, B, b + L);
      FloatVector x = FloatVector.broadcast(F, A[a + ka]);
      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(F, A[a + ars + ka]);
      c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(F, A[a + 2 * ars + ka]);
      c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(F, A[a + 3 * ars + ka]);
      c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(F, A[a4 + ka]);
      c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
      x = FloatVector.broadcast(F, A[a4 + ars + ka]);
      c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
      x = FloatVector.broadcast(F, A[a4 + 2 * ars + ka]);
      c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
      x = FloatVector.broadcast(F, A[a4 + 3 * ars + ka]);
      c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c01.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c11.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
    c20.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c21.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + L) : z)).intoArray(C, c + 2 * ldc + L);
    c30.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
    c31.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + L) : z)).intoArray(C, c + 3 * ldc + L);
    c40.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc) : z)).intoArray(C, c + 4 * ldc);
    c41.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc + L) : z)).intoArray(C, c + 4 * ldc + L);
    c50.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc) : z)).intoArray(C, c + 5 * ldc);
    c51.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc + L) : z)).intoArray(C, c + 5 * ldc + L);
    c60.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc) : z)).intoArray(C, c + 6 * ldc);
    c61.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc + L) : z)).intoArray(C, c + 6 * ldc + L);
    c70.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc) : z)).intoArray(C, c + 7 * ldc);
    c71.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc + L) : z)).intoArray(C, c + 7 * ldc + L);
  }

  private static void kernel8x1(int kc, float alpha, float[] A, int a, int a4, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F);
    FloatVector c50 = FloatVector.zero(F);
    FloatVector c60 = FloatVector.zero(F);
    FloatVector c70 = FloatVector.zero(F);
    for (int k = 0; k < kc; k++, b += ldb) {
      int ka = k * aks;
      FloatVector b0 = FloatVector.fromArray(F, B, b);
      FloatVector x = FloatVector.broadcast(F, A[a + ka]);
      c00 = x.fma(b0, c00);
      x = FloatVector.broadcast(F, A[a + ars + ka]);
      c10 = x.fma(b0, c10);
      x = FloatVector.broadcast(F, A[a + 2 * ars + ka]);
      c20 = x.fma(b0, c20);
      x = FloatVector.broadcast(F, A[a + 3 * ars + ka]);
      c30 = x.fma(b0, c30);
      x = FloatVector.broadcast(F, A[a4 + ka]);
      c40 = x.fma(b0, c40);
      x = FloatVector.broadcast(F, A[a4 + ars + ka]);
      c50 = x.fma(b0, c50);
      x = FloatVector.broadcast(F, A[a4 + 2 * ars + ka]);
      c60 = x.fma(b0, c60);
      x = FloatVector.broadcast(F, A[a4 + 3 * ars + ka]);
      c70 = x.fma(b0, c70);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c20.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c30.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
    c40.fma(va, (readC ? FloatVector.fromArray(F, C, c + 4 * ldc) : z)).intoArray(C, c + 4 * ldc);
    c50.fma(va, (readC ? FloatVector.fromArray(F, C, c + 5 * ldc) : z)).intoArray(C, c + 5 * ldc);
    c60.fma(va, (readC ? FloatVector.fromArray(F, C, c + 6 * ldc) : z)).intoArray(C, c + 6 * ldc);
    c70.fma(va, (readC ? FloatVector.fromArray(F, C, c + 7 * ldc) : z)).intoArray(C, c + 7 * ldc);
  }

  private static void kernel4x1(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
    int a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
    for (int k = 0; k < kc; k++, b += ldb) {
      int ka = k * aks;
      FloatVector bv = FloatVector.fromArray(F, B, b);
      c0 = FloatVector.broadcast(F, A[a + ka]).fma(bv, c0);
      c1 = FloatVector.broadcast(F, A[a1 + ka]).fma(bv, c1);
      c2 = FloatVector.broadcast(F, A[a2 + ka]).fma(bv, c2);
      c3 = FloatVector.broadcast(F, A[a3 + ka]).fma(bv, c3);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c0.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c1.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c2.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c3.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
  }

  private static void kernel1x1(int kc, float alpha, float[] A, int a, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c) {
    FloatVector c0 = FloatVector.zero(F);
    for (int k = 0; k < kc; k++, b += ldb)
      c0 = FloatVector.broadcast(F, A[a + k * aks]).fma(FloatVector.fromArray(F, B, b), c0);
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    c0.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
  }

  // ---------------------------------------------------------------------------------------------
  // NT: C(i,j) = Σ_k A[i·lda + k]·B[j·ldb + k]
  // ---------------------------------------------------------------------------------------------

  /**
   * K-block of NT: 256 floats of k for every row of B is 1 KiB per row, so N rows of a dense layer
   * (N ≤ a few hundred) stay in L2 while every block of 4 rows of A sweeps them; unblocked, each
   * block of A re-streamed all of B from L3.
   */
  private static final int KC_NT = 256;

  static void gemmNT(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (K == 0) {
      applyBeta(M, N, beta, C, cOff, ldc);
      return;
    }
    if (SimdNtDot.AVAILABLE && M < NT_PACK_MIN_ROWS && N >= L) {
      ntRows(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    if (PANEL2 && M >= SWAP_MIN_ROWS && M < NT_DOT_MAX_ROWS && N >= 3 * L) {
      ntSwapped(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    if (SimdNtDot.AVAILABLE && M >= SimdNtDot.ROWS && (N < 3 * L || M < NT_DOT_MAX_ROWS)) {
      ntDot(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    if (M >= NT_PACK_MIN_ROWS && N >= 3 * L) {
      if (swapPays(M, N, K)) ntSwapped(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      else ntPacked(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      return;
    }
    float[] lanes = SCRATCH.get().lanes;
    for (int k0 = 0; k0 < K; k0 += KC_NT)
      ntBlock(M, N, Math.min(KC_NT, K - k0), alpha, A, aOff + k0, lda, B, bOff + k0, ldb, k0 == 0 ? beta : 1f,
          C, cOff, ldc, lanes);
  }

  /**
   * From this many rows of A on, NT transposes each 3-vector panel of B once (kc × 3L floats, in
   * registers: {@link SimdTranspose}) and runs the packed NN micro-kernel; the transpose, about half
   * an instruction per element of B, is repaid from one block of 4 rows on (measured at 8 and 16 rows:
   * 2–4× the dot-product form, which pays a lane reduction per element of C). Below 4 rows
   * (matrix-vector products) the dot-product form stays.
   */
  private static final int NT_PACK_MIN_ROWS = 4;

  /**
   * Below this many rows of A, NT takes the dot-product form ({@link SimdNtDot}) at every width of B:
   * a transposed panel of B would serve too few blocks of A to repay the transpose. It depends on M
   * only (and the panel test on N ≥ one panel, which every part of a split keeps), so a column is
   * computed the same way whichever part of a split holds it.
   */
  static final int NT_DOT_MAX_ROWS = 32;

  /**
   * With 16 vector registers ({@link #PANEL2}), from this many rows of A up to {@link #NT_DOT_MAX_ROWS}
   * NT takes the swapped form instead of the dot-product form, at every width of B from one panel (the
   * choice depends on M, as the dot form's does: a split's parts take the form the whole takes).
   * Zen 3, best GFLOP/s of alternating windows, dot → swapped: 16×256×256 51 → 83, 16×256×784 54 →
   * 79, 16×128×256 46 → 79, 24×256×256 42 → 60; at 8 rows it lost (50 → 39).
   */
  static final int SWAP_MIN_ROWS = 16;
  /** 8-row micro-kernel where there are 32 vector registers. */
  static final boolean MR8 = L == 16;

  /**
   * Matrix-vector products (batch 1 to 3): each row of A against L/2 rows of B at a time
   * ({@link SimdNtDot#row}); the last N % (L/2) columns in the dot form of {@link #ntBlock}, unblocked.
   */
  private static void ntRows(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    float[] t = SCRATCH.get().lanes;
    int Nv = N - N % SimdNtDot.VROWS;
    for (int i = 0; i < M; i++) {
      SimdNtDot.row(N, K, alpha, A, aOff + i * lda, B, bOff, ldb, beta, C, cOff + i * ldc, t);
      if (Nv < N)
        ntBlock(1, N - Nv, K, alpha, A, aOff + i * lda, lda, B, bOff + Nv * ldb, ldb, beta, C, cOff + i * ldc + Nv,
            ldc, t);
    }
  }

  /** Dot-product tiles of {@link SimdNtDot}; the rows past the last tile and an odd last column in the dot form of {@link #ntBlock}. */
  private static void ntDot(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    float[] t = SCRATCH.get().lanes;
    SimdNtDot.tiles(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, t);
    int Mr = M - M % SimdNtDot.ROWS, N2 = N & ~1;
    if (N2 < N) ntBlock(Mr, 1, K, alpha, A, aOff, lda, B, bOff + N2 * ldb, ldb, beta, C, cOff + N2, ldc, t);
    if (Mr < M) ntBlock(M - Mr, N, K, alpha, A, aOff + Mr * lda, lda, B, bOff, ldb, beta, C, cOff + Mr * ldc, ldc, t);
  }

  static void ntPacked(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    // beta 0: the first K-block writes C instead of adding to it (C is neither read nor zeroed first,
    // the bits of zeroing it: fma(acc, alpha, 0)); another beta scales C first.
    if (beta != 0f) applyBeta(M, N, beta, C, cOff, ldc);
    final int NB = 3 * L;
    Scratch ws = SCRATCH.get();
    int M4 = M & ~3, six = sixBlocks(M4), wide = wideWidth(six, M4);
    float[] bp = ws.b;
    int kb = kBlock(K, NT_KC);
    for (int k0 = 0; k0 < K; k0 += kb) {
      int kc = Math.min(kb, K - k0);
      boolean ld = beta != 0f || k0 > 0;
      int j = 0;
      // A is read in place, not packed: its rows are contiguous in k already, and copying them cost
      // about a tenth of the time at 64 rows (measured 61% → 67% of the FMA peak at 64×256×784).
      for (; wide > 0 && j + wide <= N; j += wide) {
        packBT(kc, B, bOff + j * ldb + k0, ldb, bp, wide);
        widePanel(wide, six, M4, kc, alpha, A, aOff + k0, lda, 1, bp, 0, wide, ld, C, cOff + j, ldc);
      }
      for (; j + NB <= N; j += NB) {
        packBT(kc, B, bOff + j * ldb + k0, ldb, bp, NB);
        int i = 0;
        if (MR8)
          for (; i + 8 <= M4; i += 8)
            kernel8x3(kc, alpha, A, aOff + i * lda + k0, aOff + (i + 4) * lda + k0, lda, 1, bp, 0, NB, ld, C,
                cOff + i * ldc + j, ldc);
        for (; i < M4; i += 4)
          kernel4x3(kc, alpha, A, aOff + i * lda + k0, lda, 1, bp, 0, NB, ld, C, cOff + i * ldc + j, ldc);
      }
      if (j < N) {
        // The columns left over after the full panels get a panel of their own, 1 to 3 vectors wide
        // (zero-padded): in the dot-product form these 16 columns of 256 took about a quarter of the time.
        int w = N - j, P = panelWidth(w);
        packBTPadded(kc, w, P, B, bOff + j * ldb + k0, ldb, bp);
        int i = 0;
        if (MR8 || P == L) // 8 × 1 fits 16 registers too (see blocked)
          for (; i + 8 <= M4; i += 8)
            leftover(8, kc, alpha, A, aOff + i * lda + k0, lda, 1, bp, P, w, ld, C, cOff + i * ldc + j, ldc, ws.c);
        for (; i < M4; i += 4)
          leftover(4, kc, alpha, A, aOff + i * lda + k0, lda, 1, bp, P, w, ld, C, cOff + i * ldc + j, ldc, ws.c);
      }
      // Rows past the last block of 4 in the dot-product form, over column triples from 0 (as ntSwapped).
      if (M4 < M)
        ntBlock(M - M4, N, kc, alpha, A, aOff + M4 * lda + k0, lda, B, bOff + k0, ldb, ld ? 1f : 0f, C,
            cOff + M4 * ldc, ldc, ws.lanes);
    }
  }


  /**
   * NT transposes A (and C) instead of B when that moves fewer floats: M·(K + N) &lt; N·K. Both panel
   * forms give the same bits, so the choice may depend on N (which a split cuts). Measured on Zen 5 at
   * 512 bits, the two in one JVM (% of the FMA peak, packed → swapped): 32×256×784 64 → 76,
   * 32×256×256 66 → 80, 48×256×256 73 → 90, 64×256×784 74 → 87, 64×256×256 73 → 85, 64×128×784 75 →
   * 83; 96 and 128 rows against 784 inputs even (78, 79). With 16 vector registers (AVX2) the swapped
   * form lost in 4 × 3 tiles (64×256×784 83 → 71, 32×256×256 79 → 74 of the 256-bit peak); in the
   * 6 × 2 tiles of {@link #PANEL2} it pays up to 64 rows (Zen 3, best GFLOP/s of alternating windows:
   * 32×256×784 56 → 77, 64×256×784 72 → 75, 64×256×256 72 → 77, 64×128×784 71 → 75) and not at 96
   * or 128 (77 → 73, 77 → 72).
   */
  private static boolean swapPays(int M, int N, int K) {
    return (MR8 || PANEL2 && M <= 64) && (long) M * (K + N) < (long) N * K;
  }

  /**
   * NT as (B·Aᵀ)ᵀ: each K-block of the first M4 = M − M % 4 rows of A is transposed to a panel of
   * Mp = M4 rounded up to whole vectors (zero-padded) and the rows of B are broadcast against it by
   * the NN/TN micro-kernels ({@link #blocked}), into Cᵀ kept in scratch (N × Mp) and transposed into C
   * at the end. For a batch of 32 to 64 rows against a 256-wide layer that moves a fraction of the
   * floats {@link #ntPacked} transposes (all of B, every call). Each element gets the same arithmetic
   * as in ntPacked (the same K-blocks, the same FMA chain in k, fma(acc, alpha, C) per block; the
   * rows past M4 in ntBlock's dot form, per K-block, over column triples from 0): the same bits.
   *
   * <p>With 16 registers the transposed block is laid out panel by panel, each 2-vector panel [kc ×
   * 2L] contiguous, and runs in {@link #kernel6x2Packed}. In one block of Mp floats a row, a panel's kc
   * rows lie Mp·4 bytes apart (256 at 64 rows of A): 200 lines in 16 of the 64 sets of a 32 KiB
   * 8-way L1, which hold 128, so every block of 6 rows of B fetched the panel from L2 again. Zen 3 at
   * 256 bits, both in one JVM, median ratio of 301 pairs of alternating 15 ms windows: 64×256×784
   * 1.098 (best 71.6 → 80.2 GFLOP/s), 60×256×784 1.063, 32×256×784 1.043, 64×256×256 1.041, 16 rows
   * even. Same kernels on the same K-blocks: the same bits.
   */
  static void ntSwapped(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (beta != 0f) applyBeta(M, N, beta, C, cOff, ldc);
    Scratch ws = SCRATCH.get();
    int M4 = M & ~3, Mp = panelWidth(M4), kb = kBlock(K, NT_KC);
    float[] at = ws.at(Math.min(kb, K) * Mp), ct = ws.ct(N * Mp);
    // Whole L×L blocks of C and Cᵀ move through the register transpose, the edges one float at a time.
    int iv = SimdTranspose.VECTOR ? M4 - M4 % L : 0, jv = SimdTranspose.VECTOR ? N - N % L : 0;
    boolean readC = beta != 0f;
    if (readC) {
      if (iv > 0 && jv > 0) SimdTranspose.panel(jv, C, cOff, ldc, ct, 0, Mp, iv);
      for (int i = 0; i < M4; i++)
        for (int j = i < iv ? jv : 0, c = cOff + i * ldc; j < N; j++) ct[j * Mp + i] = C[c + j];
    }
    for (int k0 = 0; k0 < K; k0 += kb) {
      int kc = Math.min(kb, K - k0);
      boolean ld = readC || k0 > 0;
      if (PANEL2) // panel by panel: each 2-vector panel of Aᵀ contiguous (see the method comment)
        for (int q = 0; q < Mp; q += 2 * L) {
          int w = Math.min(2 * L, Mp - q), o = q * kc;
          packBTPadded(kc, Math.max(0, Math.min(w, M4 - q)), w, A, aOff + q * lda + k0, lda, at, o);
          blocked(N, w, kc, alpha, B, bOff + k0, ldb, 1, at, o, w, false, ld, ct, q, Mp, NT_KC);
        }
      else { // the panel is contiguous already (Mp floats per k): no copy
        packBTPadded(kc, M4, Mp, A, aOff + k0, lda, at);
        blocked(N, Mp, kc, alpha, B, bOff + k0, ldb, 1, at, 0, Mp, false, ld, ct, 0, Mp, NT_KC);
      }
      if (M4 < M)
        ntBlock(M - M4, N, kc, alpha, A, aOff + M4 * lda + k0, lda, B, bOff + k0, ldb, ld ? 1f : 0f, C,
            cOff + M4 * ldc, ldc, ws.lanes);
    }
    if (iv > 0 && jv > 0) SimdTranspose.panel(iv, ct, 0, Mp, C, cOff, ldc, jv);
    for (int i = 0; i < M4; i++)
      for (int j = i < iv ? jv : 0, c = cOff + i * ldc; j < N; j++) C[c + j] = ct[j * Mp + i];
  }

  /** Columns of the panel that holds w (&lt; 3L) columns: whole vectors. */
  private static int panelWidth(int w) {
    return (w + L - 1) / L * L;
  }

  /**
   * bp[k·P + jj] = B[b + jj·ldb + k] for jj &lt; w, 0 for w ≤ jj &lt; P (P a multiple of L, w ≤ P),
   * k &lt; kc.
   */
  private static void packBTPadded(int kc, int w, int P, float[] B, int b, int ldb, float[] bp) {
    packBTPadded(kc, w, P, B, b, ldb, bp, 0);
  }

  /** As {@link #packBTPadded(int, int, int, float[], int, int, float[])}, into bp from p0 on. */
  private static void packBTPadded(int kc, int w, int P, float[] B, int b, int ldb, float[] bp, int p0) {
    int full = w - w % L, k = 0; // rows of B in whole groups of L go through the register transpose
    if (SimdTranspose.VECTOR && full > 0) {
      k = kc - kc % L;
      SimdTranspose.panel(k, B, b, ldb, bp, p0, P, full);
    }
    for (int jj = 0; jj < full; jj++) {
      int row = b + jj * ldb;
      for (int kk = k, o = p0 + k * P + jj; kk < kc; kk++, o += P) bp[o] = B[row + kk];
    }
    for (int jj = full; jj < P; jj++) {
      int row = b + jj * ldb;
      if (jj < w) for (int kk = 0, o = p0 + jj; kk < kc; kk++, o += P) bp[o] = B[row + kk];
      else for (int kk = 0, o = p0 + jj; kk < kc; kk++, o += P) bp[o] = 0f;
    }
  }

  /**
   * C[rows × w] += alpha·A(rows)·panel, rows 4 or 8 (8 only with 32 vector registers), the panel P =
   * 1–3 vectors wide. A(i,k) = A[a + i·ars + k·aks]. When w &lt; P the rows of C go through the tile
   * t (copied in and back), so the arithmetic is that of a full panel, fma(acc, alpha, C), and no
   * column past w is touched. Without readC, C = alpha·A·panel: C is not read (nor copied in).
   */
  private static void leftover(int rows, int kc, float alpha, float[] A, int a, int ars, int aks, float[] bp, int P,
      int w, boolean readC, float[] C, int c, int ldc, float[] t) {
    float[] out = C;
    int o = c, ld = ldc;
    if (w < P) {
      for (int r = 0; r < rows; r++) {
        if (readC) System.arraycopy(C, c + r * ldc, t, r * P, w);
        java.util.Arrays.fill(t, r * P + (readC ? w : 0), (r + 1) * P, 0f);
      }
      out = t;
      o = 0;
      ld = P;
    }
    int a4 = a + 4 * ars;
    if (rows == 8) {
      if (P == L) kernel8x1(kc, alpha, A, a, a4, ars, aks, bp, 0, P, readC, out, o, ld);
      else if (P == 2 * L) kernel8x2(kc, alpha, A, a, a4, ars, aks, bp, 0, P, readC, out, o, ld);
      else kernel8x3(kc, alpha, A, a, a4, ars, aks, bp, 0, P, readC, out, o, ld);
    } else {
      if (P == L) kernel4x1(kc, alpha, A, a, ars, aks, bp, 0, P, readC, out, o, ld);
      else if (P == 2 * L) kernel4x2(kc, alpha, A, a, ars, aks, bp, 0, P, readC, out, o, ld);
      else kernel4x3(kc, alpha, A, a, ars, aks, bp, 0, P, readC, out, o, ld);
    }
    if (w < P) for (int r = 0; r < rows; r++) System.arraycopy(t, r * P, C, c + r * ldc, w);
  }

  private static void kernel4x2(int kc, float alpha, float[] A, int a, int ars, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    int a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars;
    if (aks == 1) // A's rows read along k: C2 hoists their bounds checks (as in kernel6x2)
      for (int k = 0; k < kc; k++, b += ldb) {
        FloatVector b0 = FloatVector.fromArray(F, B, b);
        FloatVector b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector x = FloatVector.broadcast(F, A[a + k]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + k]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + k]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + k]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      }
    else
      for (int k = 0; k < kc; k++, b += ldb) {
        int ka = k * aks;
        FloatVector b0 = FloatVector.fromArray(F, B, b);
        FloatVector b1 = FloatVector.fromArray(F, B, b + L);
        FloatVector x = FloatVector.broadcast(F, A[a + ka]);
        c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
        x = FloatVector.broadcast(F, A[a1 + ka]);
        c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
        x = FloatVector.broadcast(F, A[a2 + ka]);
        c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
        x = FloatVector.broadcast(F, A[a3 + ka]);
        c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    if (alpha == 1f) { // acc + c: the bits of fma(acc, 1, c), on the FP adders (see kernel6x2)
      c00.add((readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
      c01.add((readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
      c10.add((readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
      c11.add((readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
      c20.add((readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
      c21.add((readC ? FloatVector.fromArray(F, C, c + 2 * ldc + L) : z)).intoArray(C, c + 2 * ldc + L);
      c30.add((readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
      c31.add((readC ? FloatVector.fromArray(F, C, c + 3 * ldc + L) : z)).intoArray(C, c + 3 * ldc + L);
      return;
    }
    c00.fma(va, (readC ? FloatVector.fromArray(F, C, c) : z)).intoArray(C, c);
    c01.fma(va, (readC ? FloatVector.fromArray(F, C, c + L) : z)).intoArray(C, c + L);
    c10.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc) : z)).intoArray(C, c + ldc);
    c11.fma(va, (readC ? FloatVector.fromArray(F, C, c + ldc + L) : z)).intoArray(C, c + ldc + L);
    c20.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc) : z)).intoArray(C, c + 2 * ldc);
    c21.fma(va, (readC ? FloatVector.fromArray(F, C, c + 2 * ldc + L) : z)).intoArray(C, c + 2 * ldc + L);
    c30.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc) : z)).intoArray(C, c + 3 * ldc);
    c31.fma(va, (readC ? FloatVector.fromArray(F, C, c + 3 * ldc + L) : z)).intoArray(C, c + 3 * ldc + L);
  }

  /**
   * Blocks of 5 rows ({@link #kernel5x2}) for M rows of TN in place: as many as fit, less one for each
   * of 1 to 3 rows left over, which then run as that many blocks of 6 (16 = 6 + 5 + 5, 12 = 6 + 6);
   * 4 left over run as a block of 4.
   */
  private static int fiveBlocks(int M) {
    int five = M / 5, left = M - 5 * five;
    return left < 4 && left <= five ? five - left : five;
  }

  /**
   * 5 rows × 2 vectors, 10 accumulators, with A read down its columns: A(i,k) = A[a + i + k·aks]
   * (TN in place, below {@link #TN_TRANSPOSE_MIN_ROWS} rows: the 10-wide output layer's weight
   * gradient; {@link #blocked} takes A's rows or its columns contiguous, never neither). One index
   * walks A's rows of k and the five broadcasts read it at offsets 0 to 4, so C2 checks the first
   * and the last: kernel6x2's strided loop computes and checks six indices a k step, about 45
   * instructions for 12 FMAs (seen in the disassembly), and kernel4x2's eight FMA chains wait on FMA
   * latency. Written with one index, six rows a step (kernel6x2) kept an accumulator on the stack.
   * {@link #rowwise} and {@link #panel2} run TN in place in blocks of 5 ({@link #fiveBlocks}). Zen 3 at 256
   * bits, against 6 + 4 and 6 + 6 + 4 in one JVM, median ratio of 201 pairs of alternating 15 ms
   * windows: TN 10×256×16 1.22–1.24 (best 54.7 → 66.9 GFLOP/s), 10×256×64 1.20, 10×256×256 1.18,
   * 16×256×16 1.18, 16×256×64 1.11, 64×256×64 1.08–1.11, 64×256×784 1.11; 12 rows (6 + 6) and NN
   * even. The same FMA chain in k per element as the other kernels, and the same store: the same
   * bits.
   */
  private static void kernel5x2(int kc, float alpha, float[] A, int a, int aks,
      float[] B, int b, int ldb, boolean readC, float[] C, int c, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
    for (int k = 0, p = a; k < kc; k++, b += ldb, p += aks) {
      FloatVector b0 = FloatVector.fromArray(F, B, b), b1 = FloatVector.fromArray(F, B, b + L);
      FloatVector x = FloatVector.broadcast(F, A[p]);
      c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(F, A[p + 1]);
      c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(F, A[p + 2]);
      c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(F, A[p + 3]);
      c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
      x = FloatVector.broadcast(F, A[p + 4]);
      c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
    }
    FloatVector va = FloatVector.broadcast(F, alpha), z = va.sub(va);
    if (alpha == 1f) { // acc + c: the bits of fma(acc, 1, c), on the FP adders (see kernel6x2)
      int r = c;
      c00.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c01.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c10.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c11.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c20.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c21.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c30.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c31.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      r += ldc;
      c40.add(readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
      c41.add(readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
      return;
    }
    int r = c;
    c00.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c01.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c10.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c11.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c20.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c21.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c30.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c31.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
    r += ldc;
    c40.fma(va, readC ? FloatVector.fromArray(F, C, r) : z).intoArray(C, r);
    c41.fma(va, readC ? FloatVector.fromArray(F, C, r + L) : z).intoArray(C, r + L);
  }

  /** bp[k·NB + jj] = B[b + jj·ldb + k] for jj &lt; NB, k &lt; kc: an NB-row panel of B, transposed. */
  private static void packBT(int kc, float[] B, int b, int ldb, float[] bp, int NB) {
    int k = 0;
    if (SimdTranspose.VECTOR) {
      k = kc - kc % L;
      SimdTranspose.panel(k, B, b, ldb, bp, NB);
    }
    for (int jj = 0; jj < NB; jj++) {
      int row = b + jj * ldb;
      for (int kk = k, o = k * NB + jj; kk < kc; kk++, o += NB) bp[o] = B[row + kk];
    }
  }

  private static void ntBlock(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc, float[] t) {
    int kv = F.loopBound(K);
    int i = 0;
    for (; i + 4 <= M; i += 4) {
      int j = 0;
      for (; j + 3 <= N; j += 3)
        dot4x3(K, kv, alpha, A, aOff + i * lda, lda, B, bOff + j * ldb, ldb, beta, C, cOff + i * ldc + j, ldc, t);
      for (; j < N; j++)
        for (int r = 0; r < 4; r++)
          C[cOff + (i + r) * ldc + j] = combine(alpha,
              dotTail(K, kv, A, aOff + (i + r) * lda, B, bOff + j * ldb, t), beta, C[cOff + (i + r) * ldc + j]);
    }
    for (; i < M; i++) {
      int j = 0;
      for (; j + 3 <= N; j += 3)
        dot1x3(K, kv, alpha, A, aOff + i * lda, B, bOff + j * ldb, ldb, beta, C, cOff + i * ldc + j, t);
      for (; j < N; j++)
        C[cOff + i * ldc + j] = combine(alpha, dotTail(K, kv, A, aOff + i * lda, B, bOff + j * ldb, t),
            beta, C[cOff + i * ldc + j]);
    }
  }

  private static float combine(float alpha, float s, float beta, float old) {
    return alpha * s + (beta == 0f ? 0f : beta * old);
  }

  private static float dotTail(int K, int kv, float[] A, int a, float[] B, int b, float[] t) {
    float s = 0f;
    if (kv > 0) {
      FloatVector acc = FloatVector.zero(F);
      for (int k = 0; k < kv; k += L)
        acc = FloatVector.fromArray(F, A, a + k).fma(FloatVector.fromArray(F, B, b + k), acc);
      s = VectorMath.sumLanes(acc);
    }
    for (int k = kv; k < K; k++) s += A[a + k] * B[b + k];
    return s;
  }

  private static void dot4x3(int K, int kv, float alpha, float[] A, int a, int lda, float[] B, int b,
      int ldb, float beta, float[] C, int c, int ldc, float[] t) {
    FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F);
    FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F);
    FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F);
    FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F);
    int a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, b1 = b + ldb, b2 = b + 2 * ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector y0 = FloatVector.fromArray(F, B, b + k);
      FloatVector y1 = FloatVector.fromArray(F, B, b1 + k);
      FloatVector y2 = FloatVector.fromArray(F, B, b2 + k);
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s00 = x.fma(y0, s00); s01 = x.fma(y1, s01); s02 = x.fma(y2, s02);
      x = FloatVector.fromArray(F, A, a1 + k);
      s10 = x.fma(y0, s10); s11 = x.fma(y1, s11); s12 = x.fma(y2, s12);
      x = FloatVector.fromArray(F, A, a2 + k);
      s20 = x.fma(y0, s20); s21 = x.fma(y1, s21); s22 = x.fma(y2, s22);
      x = FloatVector.fromArray(F, A, a3 + k);
      s30 = x.fma(y0, s30); s31 = x.fma(y1, s31); s32 = x.fma(y2, s32);
    }
    // Reduced in VectorMath.sumLanes' fixed order, not by reduceLanes (whose order differs between C2
    // and the interpreter): the first fold here, the rest through memory in finish3. Not by twelve
    // VectorMath calls: too many nodes for C2 to inline them all, and one left out of line boxes.
    // Accumulator j (s00, s01, s02, s10, …) has its first fold at t[j·L/2, (j+1)·L/2), two per vector.
    var h = VectorMath.HALF;
    var u = VectorMath.UPPER;
    s00.blend(s01, u).add(s01.blend(s00, u).rearrange(h)).intoArray(t, 0);
    s02.blend(s10, u).add(s10.blend(s02, u).rearrange(h)).intoArray(t, L);
    s11.blend(s12, u).add(s12.blend(s11, u).rearrange(h)).intoArray(t, 2 * L);
    s20.blend(s21, u).add(s21.blend(s20, u).rearrange(h)).intoArray(t, 3 * L);
    s22.blend(s30, u).add(s30.blend(s22, u).rearrange(h)).intoArray(t, 4 * L);
    s31.blend(s32, u).add(s32.blend(s31, u).rearrange(h)).intoArray(t, 5 * L);
    int row = 3 * (L / 2);
    finish3(K, kv, alpha, A, a, B, b, ldb, beta, C, c, t, 0);
    finish3(K, kv, alpha, A, a1, B, b, ldb, beta, C, c + ldc, t, row);
    finish3(K, kv, alpha, A, a2, B, b, ldb, beta, C, c + 2 * ldc, t, 2 * row);
    finish3(K, kv, alpha, A, a3, B, b, ldb, beta, C, c + 3 * ldc, t, 3 * row);
  }

  private static void dot1x3(int K, int kv, float alpha, float[] A, int a, float[] B, int b, int ldb,
      float beta, float[] C, int c, float[] t) {
    FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F);
    int b1 = b + ldb, b2 = b + 2 * ldb;
    for (int k = 0; k < kv; k += L) {
      FloatVector x = FloatVector.fromArray(F, A, a + k);
      s0 = x.fma(FloatVector.fromArray(F, B, b + k), s0);
      s1 = x.fma(FloatVector.fromArray(F, B, b1 + k), s1);
      s2 = x.fma(FloatVector.fromArray(F, B, b2 + k), s2);
    }
    var h = VectorMath.HALF;
    var u = VectorMath.UPPER;
    s0.blend(s1, u).add(s1.blend(s0, u).rearrange(h)).intoArray(t, 0);
    s2.add(s2.rearrange(h)).intoArray(t, L);
    finish3(K, kv, alpha, A, a, B, b, ldb, beta, C, c, t, 0);
  }

  /**
   * Sums the first folds of three accumulators stored at t[o..o+3L/2) (lane vectors of one row of A
   * against three rows of B), adds the scalar k tail and writes C[c..c+3). Takes an array, not vectors: a vector passed
   * to a method that C2 does not inline is boxed, and a kernel that does so runs several times slower.
   */
  private static void finish3(int K, int kv, float alpha, float[] A, int a, float[] B, int b, int ldb,
      float beta, float[] C, int c, float[] t, int o) {
    int half = L / 2;
    float r0 = VectorMath.sumFolded(t, o), r1 = VectorMath.sumFolded(t, o + half), r2 = VectorMath.sumFolded(t, o + 2 * half);
    int b1 = b + ldb, b2 = b + 2 * ldb;
    for (int k = kv; k < K; k++) {
      float x = A[a + k];
      r0 += x * B[b + k];
      r1 += x * B[b1 + k];
      r2 += x * B[b2 + k];
    }
    C[c] = combine(alpha, r0, beta, C[c]);
    C[c + 1] = combine(alpha, r1, beta, C[c + 1]);
    C[c + 2] = combine(alpha, r2, beta, C[c + 2]);
  }
}
