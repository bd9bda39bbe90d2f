package org.streamlearn.kernels;

/**
 * The public face of the compute kernels: every numeric inner loop of Streamlearn goes through here.
 *
 * <p>Conventions (project-wide): matrices are row-major {@code float[]} with an offset and a leading
 * dimension; a count comes first, then each array followed by its offset. Kernels never allocate,
 * never log, and state whether they overwrite or accumulate. The SIMD path is chosen once, at class
 * initialisation (see {@link Simd}); the scalar path in {@code ScalarKernels} is the definition each
 * SIMD kernel is tested against.
 */
public final class Kernels {
  private Kernels() {}

  /** True when the Vector API is in use (false: scalar fallback, or forced by a property). */
  public static boolean simd() {
    return Simd.ENABLED;
  }

  /** Vector width of the SIMD kernels in bits (0 on the scalar path), for the bench's FMA peak. */
  public static int vectorBits() {
    return Simd.ENABLED ? Simd.VectorProbe.bits() : 0;
  }

  /** Human-readable description of the chosen path, for start-up logs and the bench report. */
  public static String describe() {
    return Simd.describe();
  }

  // ---------------------------------------------------------------------------------------------
  // GEMM. alpha scales the product, beta the old C: beta = 0 overwrites (C is not read, so NaN in
  // C does not leak), beta = 1 accumulates, alpha = -1 subtracts.
  // ---------------------------------------------------------------------------------------------

  /** C[M×N] = alpha·A[M×K]·B[K×N] + beta·C. */
  public static void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (M == 0 || N == 0) return;
    if (Simd.ENABLED) SimdGemm.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else ScalarKernels.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /**
   * C[M×N] = relu'(Y) ⊙ (alpha·A[M×K]·B[K×N] + beta·C): gemmNN, then ReLU's backward on C in place,
   * C(i,j) = 0 + (Y(i,j) &gt; 0 ? C(i,j) : 0), with Y (a ReLU's output) laid out as C
   * (Y[yOff + i·ldc + j]). The bits of gemmNN followed by {@link #reluBackward}; the SIMD path masks
   * each part of C as soon as it is written, while it is in cache.
   */
  public static void gemmNNReluBackward(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc, float[] Y, int yOff) {
    if (M == 0 || N == 0) return;
    if (Simd.ENABLED) SimdGemm.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc, Y, yOff);
    else {
      ScalarKernels.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
      for (int i = 0; i < M; i++)
        ScalarKernels.reluBackward(N, Y, yOff + i * ldc, C, cOff + i * ldc, C, cOff + i * ldc);
    }
  }

  /** C[M×N] = alpha·A[M×K]·B[N×K]ᵀ + beta·C. */
  public static void gemmNT(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (M == 0 || N == 0) return;
    if (Simd.ENABLED) SimdGemm.gemmNT(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else ScalarKernels.gemmNT(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /** C[M×N] = alpha·A[K×M]ᵀ·B[K×N] + beta·C (A is stored K rows of M, leading dimension lda). */
  public static void gemmTN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    if (M == 0 || N == 0) return;
    if (Simd.ENABLED) SimdGemm.gemmTN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    else ScalarKernels.gemmTN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /**
   * W[N×K] += lr·d·xpᵀ (a rank-1 update: d[dOff..+N), xp[xpOff..+K)), then y[yOff..+N) = W·x
   * (x[xOff..+K)): a dense layer's deferred batch-1 SGD step fused with the next example's forward.
   * The bits of {@code gemmTN(N, K, 1, lr, d, dOff, N, xp, xpOff, K, 1, W, wOff, ldw)} followed by
   * {@code gemmNT(1, N, K, 1, x, xOff, K, W, wOff, ldw, 0, y, yOff, N)}, with W read and written once.
   */
  public static void rank1ThenGemv(int N, int K, float lr, float[] d, int dOff, float[] xp, int xpOff, float[] W,
      int wOff, int ldw, float[] x, int xOff, float[] y, int yOff) {
    if (N == 0) return;
    if (Simd.ENABLED) SimdGemm.rank1ThenGemv(N, K, lr, d, dOff, xp, xpOff, W, wOff, ldw, x, xOff, y, yOff);
    else {
      ScalarKernels.gemmTN(N, K, 1, lr, d, dOff, N, xp, xpOff, K, 1f, W, wOff, ldw);
      ScalarKernels.gemmNT(1, N, K, 1f, x, xOff, K, W, wOff, ldw, 0f, y, yOff, N);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // BLAS-1 and reductions
  // ---------------------------------------------------------------------------------------------

  /** base^n for n ≥ 0 in double, the same bits in every JIT tier and allocation-free: see FloatMath.powInt. */
  public static double powInt(double base, long n) {
    return FloatMath.powInt(base, n);
  }

  /**
   * x, or +0 where x is a subnormal double (or ±0): running statistics stored through this never sit
   * among the subnormals (see FloatMath.flushSubnormal, the optimizers' float version).
   */
  public static double flushSubnormal(double x) {
    return FloatMath.flushSubnormal(x);
  }

  /** y[0..n) += a·x[0..n). */
  public static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.axpy(n, a, x, xOff, y, yOff);
    else ScalarKernels.axpy(n, a, x, xOff, y, yOff);
  }

  /** Σ x[i]·y[i]. */
  public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    return Simd.ENABLED ? SimdKernels.dot(n, x, xOff, y, yOff) : ScalarKernels.dot(n, x, xOff, y, yOff);
  }

  /** x[0..n) *= a, in place. */
  public static void scale(int n, float a, float[] x, int xOff) {
    if (Simd.ENABLED) SimdKernels.scale(n, a, x, xOff);
    else ScalarKernels.scale(n, a, x, xOff);
  }

  /** Σ x[i]. */
  public static float sum(int n, float[] x, int xOff) {
    return Simd.ENABLED ? SimdKernels.sum(n, x, xOff) : ScalarKernels.sum(n, x, xOff);
  }

  /** Σ x[i]², for norms (gradient clipping, replica divergence). */
  public static float sumSquares(int n, float[] x, int xOff) {
    return Simd.ENABLED ? SimdKernels.sumSquares(n, x, xOff) : ScalarKernels.sumSquares(n, x, xOff);
  }

  /** max |x[i]| (0 for n = 0); NaN anywhere gives NaN, so it doubles as a finiteness check. */
  public static float maxAbs(int n, float[] x, int xOff) {
    return Simd.ENABLED ? SimdKernels.maxAbs(n, x, xOff) : ScalarKernels.maxAbs(n, x, xOff);
  }

  /** x[i] = min(hi, max(lo, x[i])), in place (gradient clipping by value). */
  public static void clamp(int n, float lo, float hi, float[] x, int xOff) {
    if (Simd.ENABLED) SimdKernels.clamp(n, lo, hi, x, xOff);
    else ScalarKernels.clamp(n, lo, hi, x, xOff);
  }

  /** out[r] = Σ_c x[r·ldx + c], overwrites out[0..rows). */
  public static void rowSums(int rows, int cols, float[] x, int xOff, int ldx, float[] out, int outOff) {
    if (Simd.ENABLED) SimdKernels.rowSums(rows, cols, x, xOff, ldx, out, outOff);
    else ScalarKernels.rowSums(rows, cols, x, xOff, ldx, out, outOff);
  }

  /** y[r·ldy + c] += bias[c] for every row r (the bias add of a dense layer). */
  public static void addBias(int rows, int cols, float[] bias, int bOff, float[] y, int yOff, int ldy) {
    if (Simd.ENABLED) SimdKernels.addBias(rows, cols, bias, bOff, y, yOff, ldy);
    else ScalarKernels.addBias(rows, cols, bias, bOff, y, yOff, ldy);
  }

  /**
   * x[r·ldx + c] = (x[r·ldx + c] − mean[c]) / std[c] for every row r, in place: one float subtraction
   * and one float division per value, so the same bits on every path (input standardization).
   */
  public static void standardizeRows(int rows, int cols, float[] x, int xOff, int ldx, float[] mean, int mOff,
      float[] std, int sOff) {
    if (Simd.ENABLED) SimdKernels.standardizeRows(rows, cols, x, xOff, ldx, mean, mOff, std, sOff);
    else ScalarKernels.standardizeRows(rows, cols, x, xOff, ldx, mean, mOff, std, sOff);
  }

  /** db[c] += Σ_r dy[r·lddy + c] (the bias gradient: a column reduction, accumulates). */
  public static void biasGrad(int rows, int cols, float[] dy, int dyOff, int lddy, float[] db, int dbOff) {
    if (Simd.ENABLED) SimdKernels.biasGrad(rows, cols, dy, dyOff, lddy, db, dbOff);
    else ScalarKernels.biasGrad(rows, cols, dy, dyOff, lddy, db, dbOff);
  }

  // ---------------------------------------------------------------------------------------------
  // Activations. Forward overwrites y (y may be x: in place is allowed). Backward ACCUMULATES into
  // dx (dx += dy·f'), taking whichever of x or y defines the derivative most cheaply.
  // ---------------------------------------------------------------------------------------------

  public static void relu(int n, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.relu(n, x, xOff, y, yOff);
    else ScalarKernels.relu(n, x, xOff, y, yOff);
  }

  /**
   * dx = dy where y &gt; 0, else 0 (y is the ReLU output; dx overwritten, in one pass): the bits of
   * adding that to a zeroed dx, 0 + dy (a −0 gradient becomes +0).
   */
  public static void reluBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    if (Simd.ENABLED) SimdKernels.reluBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    else ScalarKernels.reluBackward(n, y, yOff, dy, dyOff, dx, dxOff);
  }

  /**
   * y[r·cols + c] = max(0, x[r·cols + c] + bias[c]) for r &lt; rows: a dense layer's bias and the ReLU
   * after it in one pass, with the bits of {@link #addBias} then {@link #relu} (x is not written).
   */
  public static void addBiasRelu(int rows, int cols, float[] bias, int bOff, float[] x, int xOff, float[] y,
      int yOff) {
    if (Simd.ENABLED) SimdKernels.addBiasRelu(rows, cols, bias, bOff, x, xOff, y, yOff);
    else ScalarKernels.addBiasRelu(rows, cols, bias, bOff, x, xOff, y, yOff);
  }

  public static void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.leakyRelu(n, slope, x, xOff, y, yOff);
    else ScalarKernels.leakyRelu(n, slope, x, xOff, y, yOff);
  }

  /** dx += dy·(x &gt; 0 ? 1 : slope), x the layer input. */
  public static void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    if (Simd.ENABLED) SimdKernels.leakyReluBackward(n, slope, x, xOff, dy, dyOff, dx, dxOff);
    else ScalarKernels.leakyReluBackward(n, slope, x, xOff, dy, dyOff, dx, dxOff);
  }

  /**
   * y = e^x element-wise (y may be x), as {@code FloatMath}: within 1.01 ulp, +0 below −86.98, the
   * same bits on every JIT tier and path.
   */
  public static void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.exp(n, x, xOff, y, yOff);
    else ScalarKernels.exp(n, x, xOff, y, yOff);
  }

  public static void sigmoid(int n, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.sigmoid(n, x, xOff, y, yOff);
    else ScalarKernels.sigmoid(n, x, xOff, y, yOff);
  }

  /** dx += dy·y·(1−y), y the sigmoid output. */
  public static void sigmoidBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    if (Simd.ENABLED) SimdKernels.sigmoidBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    else ScalarKernels.sigmoidBackward(n, y, yOff, dy, dyOff, dx, dxOff);
  }

  public static void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.tanh(n, x, xOff, y, yOff);
    else ScalarKernels.tanh(n, x, xOff, y, yOff);
  }

  /** dx += dy·(1−y²), y the tanh output. */
  public static void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    if (Simd.ENABLED) SimdKernels.tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    else ScalarKernels.tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
  }

  /** Row-wise stable softmax of x[rows×cols] into y (max subtracted; y may be x). */
  public static void softmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.softmaxRows(rows, cols, x, xOff, y, yOff);
    else ScalarKernels.softmaxRows(rows, cols, x, xOff, y, yOff);
  }

  /** Row-wise stable log-softmax: y = x − max − log Σ exp(x − max) (y may be x). */
  public static void logSoftmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    if (Simd.ENABLED) SimdKernels.logSoftmaxRows(rows, cols, x, xOff, y, yOff);
    else ScalarKernels.logSoftmaxRows(rows, cols, x, xOff, y, yOff);
  }

  // ---------------------------------------------------------------------------------------------
  // Fused optimizer updates: one sweep over [from, to) of p, g and the state arrays, each element read
  // and written once. Element-wise, so sweeps over ranges that cut on whole vectors give the bits of
  // one sweep (the vector body and the scalar tail round differently). l2 adds l2·p to the gradient
  // (coupled L2); decay is AdamW's decoupled weight decay, applied as p −= lr·decay·p. g is not
  // modified.
  // ---------------------------------------------------------------------------------------------

  /** p −= lr·(g + l2·p). */
  public static void sgd(int from, int to, float[] p, float[] g, float lr, float l2) {
    if (Simd.ENABLED) SimdKernels.sgd(from, to, p, g, lr, l2);
    else ScalarKernels.sgd(from, to, p, g, lr, l2);
  }

  // The optimizers' state (v, s, m) is stored through FloatMath.flushSubnormal: a value below 2^−126
  // is kept as +0, so a state that decays while a weight's gradient is 0 never sits among the
  // subnormals, where every instruction costs a microcode assist on Intel cores.

  /**
   * Classical momentum (PyTorch form): v = mu·v + g'; p −= lr·v; Nesterov: p −= lr·(g' + mu·v),
   * with g' = g + l2·p.
   */
  public static void momentum(int from, int to, float[] p, float[] g, float[] v, float lr, float mu, float l2,
      boolean nesterov) {
    if (Simd.ENABLED) SimdKernels.momentum(from, to, p, g, v, lr, mu, l2, nesterov);
    else ScalarKernels.momentum(from, to, p, g, v, lr, mu, l2, nesterov);
  }

  /** AdaGrad: s += g'²; p −= lr·g'/(√s + eps). */
  public static void adagrad(int from, int to, float[] p, float[] g, float[] s, float lr, float eps, float l2) {
    if (Simd.ENABLED) SimdKernels.adagrad(from, to, p, g, s, lr, eps, l2);
    else ScalarKernels.adagrad(from, to, p, g, s, lr, eps, l2);
  }

  /** RMSProp: s = rho·s + (1−rho)·g'²; p −= lr·g'/(√s + eps). */
  public static void rmsprop(int from, int to, float[] p, float[] g, float[] s, float lr, float rho, float eps,
      float l2) {
    if (Simd.ENABLED) SimdKernels.rmsprop(from, to, p, g, s, lr, rho, eps, l2);
    else ScalarKernels.rmsprop(from, to, p, g, s, lr, rho, eps, l2);
  }

  /**
   * Adam / AdamW: m = b1·m + (1−b1)·g'; v = b2·v + (1−b2)·g'²; p −= lr·((m/c1)/(√(v/c2) + eps) +
   * decay·p), where c1 = 1−b1^t and c2 = 1−b2^t are the bias corrections computed once per step by
   * the caller.
   */
  public static void adam(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float beta1,
      float beta2, float eps, float c1, float c2, float l2, float decay) {
    if (Simd.ENABLED) SimdKernels.adam(from, to, p, g, m, v, lr, beta1, beta2, eps, c1, c2, l2, decay);
    else ScalarKernels.adam(from, to, p, g, m, v, lr, beta1, beta2, eps, c1, c2, l2, decay);
  }
}
