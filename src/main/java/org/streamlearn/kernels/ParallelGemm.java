package org.streamlearn.kernels;

/**
 * The GEMMs of {@link Kernels} split across a {@link Team}: C is cut into one range per thread, and
 * each thread runs the ordinary kernel on its range. NN and NT cut the columns of C; TN (a weight
 * gradient dyᵀ·x, one row of C per output unit) cuts its rows, by the same {@link #cut} as NT cuts
 * the columns of a forward x·Wᵀ (one column per output unit): so the thread that read a layer's
 * weight rows in the forward writes their gradient, and the optimizer sweep, cut the same way
 * (Model.sweepRanges), updates them on that thread too, without the rows crossing between cores.
 *
 * <p>The cuts fall on whole vectors and no range is narrower than the kernels' column panel (3
 * vectors), so each range takes the form the whole product takes (the forms depend on the rows, and
 * on the width only below a panel), and every element of C gets the same arithmetic, with the same k
 * order, as in the one-thread call (a panel, a narrower leftover panel and a single vector compute an
 * element alike, as do the 8-, 4-, 2- and 1-row kernels; the scalar column tail stays at the end of
 * the last range): the result is bit-identical to {@code Kernels.gemm*} whatever the team size
 * (tested). Cutting on vectors rather than panels balances the common widths: 256 split 128/128
 * where panels gave 96/160. A product too narrow for its usual cut is cut the other way: NT under
 * three vectors wide (the 10-wide output layer's forward) by its rows, TN under two panels of rows
 * (that layer's weight gradient) by its columns. Products too small to pay for a hand-over (a few
 * µs) run on the caller alone.
 *
 * <p>One instance per team and caller: the call's arguments are kept in fields (no allocation per
 * call), so it is not for concurrent use.
 */
public final class ParallelGemm implements Team.Task {
  /** Below this many multiply-adds per thread a product runs on the caller alone. */
  public static final long MIN_FMAS_PER_THREAD = 256 * 1024;

  private final Team team;
  /** Columns per vector of the SIMD kernels (1 on the scalar path) and per panel of 3 vectors. */
  private static final int UNIT = Simd.ENABLED ? Simd.VectorProbe.lanes() : 1, PANEL = 3 * UNIT;
  private final long minFmas, minUpdated;

  /**
   * Below this many weights per thread a batch-1 update fused with its product
   * ({@link #rank1ThenGemv}) runs on the caller alone. It streams its weights once at memory speed
   * (Zen 3: 256×784 in 25–30 µs on one core, 16 µs on two), so a hand-over of about a µs pays from a
   * few thousand weights per thread.
   */
  public static final int MIN_UPDATED_PER_THREAD = 16 * 1024;

  private char layout;
  private int M, N, K, aOff, lda, bOff, ldb, cOff, ldc;
  private float alpha, beta;
  private float[] A, B, C;
  private float[] D, X; // rank1ThenGemv: the update's row factors d and its x
  private int dOff, xOff;
  private float[] Y; // gemmNNReluBackward: the ReLU's output, laid out as C
  private int yOff;

  public ParallelGemm(Team team) {
    this(team, MIN_FMAS_PER_THREAD, MIN_UPDATED_PER_THREAD);
  }

  /** With one threshold for both kinds of call (tests split every product of at least two panels with 0). */
  ParallelGemm(Team team, long minPerThread) {
    this(team, minPerThread, minPerThread);
  }

  private ParallelGemm(Team team, long minFmas, long minUpdated) {
    this.team = team;
    this.minFmas = minFmas;
    this.minUpdated = minUpdated;
  }

  public Team team() {
    return team;
  }

  /** As {@link Kernels#gemmNN}. */
  public void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    long fmas = (long) M * N * K;
    if (serial(fmas, minFmas, N)) Kernels.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else start('N', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /** As {@link Kernels#gemmNNReluBackward}: the columns of C (and of Y) cut as {@link #gemmNN} cuts them. */
  public void gemmNNReluBackward(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc, float[] Y, int yOff) {
    long fmas = (long) M * N * K;
    if (serial(fmas, minFmas, N))
      Kernels.gemmNNReluBackward(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, Y, yOff);
    else {
      this.Y = Y;
      this.yOff = yOff;
      start('R', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    }
  }

  /** As {@link Kernels#gemmNT}. */
  public void gemmNT(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    long fmas = (long) M * N * K;
    if (!serial(fmas, minFmas, N)) start('T', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    // Narrower than three vectors (the 10-wide output layer): its rows instead, which the dot form
    // computes alike in any number (its choice depends on M only below 4 rows, and a part has 3 vectors).
    else if (N < 3 * UNIT && !serial(fmas, minFmas, M))
      start('t', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else Kernels.gemmNT(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /** As {@link Kernels#gemmTN}. */
  public void gemmTN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    long fmas = (long) M * N * K;
    if (!serial(fmas, minFmas, M)) start('A', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    // Fewer than two panels of rows (the 10-unit output layer's weight gradient): its columns instead,
    // cut as NN cuts them (the same kernels, the same forms per column).
    else if (!serial(fmas, minFmas, N)) start('a', M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else Kernels.gemmTN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /**
   * As {@link Kernels#rank1ThenGemv}: the rows of W (and of d and y) cut as {@link #gemmNT} cuts the
   * columns of its C, each thread updating and multiplying its rows. Every row's update and dot product
   * are computed as in the one-thread call (row tiles have the same arithmetic wherever they start, and
   * the rows past the last whole tile stay at the end of the last range), so the bits are the same.
   */
  public void rank1ThenGemv(int N, int K, float lr, float[] d, int dOff, float[] xp, int xpOff, float[] W,
      int wOff, int ldw, float[] x, int xOff, float[] y, int yOff) {
    if (serial((long) N * K, minUpdated, N)) {
      Kernels.rank1ThenGemv(N, K, lr, d, dOff, xp, xpOff, W, wOff, ldw, x, xOff, y, yOff);
      return;
    }
    this.D = d; this.dOff = dOff; this.X = x; this.xOff = xOff;
    start('U', 1, N, K, lr, xp, xpOff, 0, W, wOff, ldw, 0f, y, yOff, 0);
  }

  /**
   * True when a call runs on the caller: a team of one, too little work per thread (multiply-adds of
   * a product, weights of a fused update), or fewer than two panels to cut. The choice never changes
   * the result, only who computes it.
   */
  private boolean serial(long work, long minPerThread, int cut) {
    int t = team.size();
    return t == 1 || work < minPerThread * t || cut < 2 * PANEL;
  }

  /**
   * Where part {@code part} of {@code parts} starts when n columns (rows for TN) are split: on whole
   * vectors, into at most n / panel non-empty parts, so each is at least a panel wide; n for parts
   * past the last non-empty one.
   */
  public static int cut(int n, int part, int parts) {
    int used = Math.min(parts, n / PANEL);
    return used == 0 ? (part == 0 ? 0 : n) : Team.cut(n, UNIT, Math.min(part, used), used);
  }

  private void start(char layout, int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    this.layout = layout;
    this.M = M; this.N = N; this.K = K; this.alpha = alpha; this.beta = beta;
    this.A = A; this.aOff = aOff; this.lda = lda;
    this.B = B; this.bOff = bOff; this.ldb = ldb;
    this.C = C; this.cOff = cOff; this.ldc = ldc;
    try {
      team.run(this);
    } finally {
      this.A = this.B = this.C = this.D = this.X = this.Y = null; // keep no caller arrays alive between calls
    }
  }

  @Override
  public void run(int p, int parts) {
    int whole = layout == 'A' || layout == 't' ? M : N;
    int from = cut(whole, p, parts), to = cut(whole, p + 1, parts);
    int n = to - from;
    if (n <= 0) return;
    switch (layout) {
      // NN: B[K×N], columns j of C use B's columns j. NT: B[N×K], rows j. TN: A[K×M], rows i of C use A's columns i.
      case 'N' -> Kernels.gemmNN(M, n, K, alpha, A, aOff, lda, B, bOff + from, ldb, beta, C, cOff + from, ldc);
      case 'R' -> Kernels.gemmNNReluBackward(M, n, K, alpha, A, aOff, lda, B, bOff + from, ldb, beta, C, cOff + from,
          ldc, Y, yOff + from);
      case 'T' -> Kernels.gemmNT(M, n, K, alpha, A, aOff, lda, B, bOff + from * ldb, ldb, beta, C, cOff + from, ldc);
      case 't' -> Kernels.gemmNT(n, N, K, alpha, A, aOff + from * lda, lda, B, bOff, ldb, beta, C, cOff + from * ldc,
          ldc);
      case 'a' -> Kernels.gemmTN(M, n, K, alpha, A, aOff, lda, B, bOff + from, ldb, beta, C, cOff + from, ldc);
      // rank1ThenGemv: A = xp, B = W, C = y, alpha = lr; rows j of W go with d[j] and y[j].
      case 'U' -> Kernels.rank1ThenGemv(n, K, alpha, D, dOff + from, A, aOff, B, bOff + from * ldb, ldb, X, xOff,
          C, cOff + from);
      default -> Kernels.gemmTN(n, N, K, alpha, A, aOff + from, lda, B, bOff, ldb, beta, C, cOff + from * ldc, ldc);
    }
  }
}
