package org.streamlearn.kernels;

/**
 * The scalar definitions of the GEMMs, public for benchmarks that report SIMD as a ratio to them.
 * Same contracts as the {@link Kernels} methods of the same names.
 */
public final class Reference {
  private Reference() {}

  public static void gemmNN(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff,
      int ldb, float beta, float[] C, int cOff, int ldc) {
    ScalarKernels.gemmNN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  public static void gemmNT(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff,
      int ldb, float beta, float[] C, int cOff, int ldc) {
    ScalarKernels.gemmNT(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  public static void gemmTN(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff,
      int ldb, float beta, float[] C, int cOff, int ldc) {
    ScalarKernels.gemmTN(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  /** True when the SIMD kernels run as their own compilation roots (see Kernels.describe()). */
  public static boolean kernelsAreRoots() {
    return Simd.healthy();
  }
}
