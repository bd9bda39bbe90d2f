package org.streamlearn.kernels;

/**
 * Plain loops: the definition of every kernel, the reference the SIMD versions are tested against,
 * and the fallback when {@code jdk.incubator.vector} is missing. Accumulation is in float, in index
 * order, exactly as written; nothing here is clever on purpose. exp, tanh and sigmoid are
 * {@link FloatMath}'s (the same bits on every JIT tier, and the same as the SIMD kernels' lanes).
 */
final class ScalarKernels {
  private ScalarKernels() {}

  /** C[M×N] = alpha·A[M×K]·B[K×N] + beta·C. */
  static void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        float s = 0f;
        for (int k = 0; k < K; k++) s += A[aOff + i * lda + k] * B[bOff + k * ldb + j];
        int c = cOff + i * ldc + j;
        C[c] = alpha * s + (beta == 0f ? 0f : beta * C[c]);
      }
    }
  }

  /** C[M×N] = alpha·A[M×K]·B[N×K]ᵀ + beta·C. */
  static void gemmNT(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        float s = 0f;
        for (int k = 0; k < K; k++) s += A[aOff + i * lda + k] * B[bOff + j * ldb + k];
        int c = cOff + i * ldc + j;
        C[c] = alpha * s + (beta == 0f ? 0f : beta * C[c]);
      }
    }
  }

  /** C[M×N] = alpha·A[K×M]ᵀ·B[K×N] + beta·C. */
  static void gemmTN(int M, int N, int K, float alpha, float[] A, int aOff, int lda,
      float[] B, int bOff, int ldb, float beta, float[] C, int cOff, int ldc) {
    for (int i = 0; i < M; i++) {
      for (int j = 0; j < N; j++) {
        float s = 0f;
        for (int k = 0; k < K; k++) s += A[aOff + k * lda + i] * B[bOff + k * ldb + j];
        int c = cOff + i * ldc + j;
        C[c] = alpha * s + (beta == 0f ? 0f : beta * C[c]);
      }
    }
  }

  static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
  }

  static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    float s = 0f;
    for (int i = 0; i < n; i++) s += x[xOff + i] * y[yOff + i];
    return s;
  }

  static void scale(int n, float a, float[] x, int xOff) {
    for (int i = 0; i < n; i++) x[xOff + i] *= a;
  }

  static float sum(int n, float[] x, int xOff) {
    float s = 0f;
    for (int i = 0; i < n; i++) s += x[xOff + i];
    return s;
  }

  static float sumSquares(int n, float[] x, int xOff) {
    float s = 0f;
    for (int i = 0; i < n; i++) s += x[xOff + i] * x[xOff + i];
    return s;
  }

  static float maxAbs(int n, float[] x, int xOff) {
    float m = 0f;
    for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(x[xOff + i]));
    return m;
  }

  static void clamp(int n, float lo, float hi, float[] x, int xOff) {
    for (int i = 0; i < n; i++) x[xOff + i] = Math.min(hi, Math.max(lo, x[xOff + i]));
  }

  static void rowSums(int rows, int cols, float[] x, int xOff, int ldx, float[] out, int outOff) {
    for (int r = 0; r < rows; r++) out[outOff + r] = sum(cols, x, xOff + r * ldx);
  }

  static void standardizeRows(int rows, int cols, float[] x, int xOff, int ldx, float[] mean, int mOff, float[] std,
      int sOff) {
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) {
        int i = xOff + r * ldx + c;
        x[i] = (x[i] - mean[mOff + c]) / std[sOff + c];
      }
  }

  static void addBias(int rows, int cols, float[] bias, int bOff, float[] y, int yOff, int ldy) {
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) y[yOff + r * ldy + c] += bias[bOff + c];
  }

  static void biasGrad(int rows, int cols, float[] dy, int dyOff, int lddy, float[] db, int dbOff) {
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) db[dbOff + c] += dy[dyOff + r * lddy + c];
  }

  static void relu(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) y[yOff + i] = Math.max(0f, x[xOff + i]);
  }

  static void reluBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) dx[dxOff + i] = 0f + (y[yOff + i] > 0f ? dy[dyOff + i] : 0f);
  }

  static void addBiasRelu(int rows, int cols, float[] bias, int bOff, float[] x, int xOff, float[] y, int yOff) {
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) y[yOff + r * cols + c] = Math.max(0f, x[xOff + r * cols + c] + bias[bOff + c]);
  }

  static void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  static void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) dx[dxOff + i] += x[xOff + i] > 0f ? dy[dyOff + i] : slope * dy[dyOff + i];
  }

  static void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) y[yOff + i] = FloatMath.exp(x[xOff + i]);
  }

  static void sigmoid(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
  }

  static void sigmoidBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) {
      float s = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * s * (1f - s);
    }
  }

  static void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < n; i++) y[yOff + i] = FloatMath.tanh(x[xOff + i]);
  }

  static void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    for (int i = 0; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * (1f - t * t);
    }
  }

  static void softmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = yOff + r * cols;
      float max = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) max = Math.max(max, x[xo + c]);
      float s = 0f;
      for (int c = 0; c < cols; c++) {
        float e = FloatMath.exp(x[xo + c] - max);
        y[yo + c] = e;
        s += e;
      }
      float inv = 1f / s;
      for (int c = 0; c < cols; c++) y[yo + c] *= inv;
    }
  }

  static void logSoftmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = yOff + r * cols;
      float max = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) max = Math.max(max, x[xo + c]);
      float s = 0f;
      for (int c = 0; c < cols; c++) s += FloatMath.exp(x[xo + c] - max);
      float lse = max + (float) StrictMath.log(s);
      for (int c = 0; c < cols; c++) y[yo + c] = x[xo + c] - lse;
    }
  }

  // ---- fused optimizer updates: one pass over p, g and the state ----

  static void sgd(int from, int to, float[] p, float[] g, float lr, float l2) {
    for (int i = from; i < to; i++) p[i] -= lr * (g[i] + l2 * p[i]);
  }

  static void momentum(int from, int to, float[] p, float[] g, float[] v, float lr, float mu, float l2,
      boolean nesterov) {
    for (int i = from; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float vi = FloatMath.flushSubnormal(mu * v[i] + gi);
      v[i] = vi;
      p[i] -= lr * (nesterov ? gi + mu * vi : vi);
    }
  }

  static void adagrad(int from, int to, float[] p, float[] g, float[] s, float lr, float eps, float l2) {
    for (int i = from; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float si = FloatMath.flushSubnormal(s[i] + gi * gi);
      s[i] = si;
      p[i] -= lr * gi / ((float) Math.sqrt(si) + eps);
    }
  }

  static void rmsprop(int from, int to, float[] p, float[] g, float[] s, float lr, float rho, float eps, float l2) {
    for (int i = from; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float si = FloatMath.flushSubnormal(rho * s[i] + (1f - rho) * gi * gi);
      s[i] = si;
      p[i] -= lr * gi / ((float) Math.sqrt(si) + eps);
    }
  }

  static void adam(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float beta1,
      float beta2, float eps, float c1, float c2, float l2, float decay) {
    for (int i = from; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float mi = FloatMath.flushSubnormal(beta1 * m[i] + (1f - beta1) * gi);
      float vi = FloatMath.flushSubnormal(beta2 * v[i] + (1f - beta2) * gi * gi);
      m[i] = mi;
      v[i] = vi;
      float mhat = mi / c1, vhat = vi / c2;
      p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + decay * p[i]);
    }
  }
}
