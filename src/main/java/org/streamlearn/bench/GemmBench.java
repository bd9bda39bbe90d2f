package org.streamlearn.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.Reference;

/** GFLOP/s of each GEMM layout at the shapes a dense layer uses; validated before it is timed. */
public final class GemmBench {
  private GemmBench() {}

  public enum Layout { NN, NT, TN }

  public record Result(Layout layout, int M, int N, int K, double gflops, double scalarGflops) {}

  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n + 64];
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() - 0.5);
    return a;
  }

  static void run(boolean simd, Layout l, int M, int N, int K, float[] A, float[] B, float[] C) {
    if (simd) {
      switch (l) {
        case NN -> Kernels.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
        case NT -> Kernels.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N);
        case TN -> Kernels.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N);
      }
    } else {
      switch (l) {
        case NN -> Reference.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
        case NT -> Reference.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N);
        case TN -> Reference.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N);
      }
    }
  }

  /** C = A·B in the layout; GFLOP/s of the best of 5 repetitions of about {@code ms} ms each. */
  static double time(boolean simd, Layout l, int M, int N, int K, float[] A, float[] B, float[] C, int ms) {
    double flops = 2.0 * M * N * K;
    long warmEnd = System.nanoTime() + ms * 3_000_000L; // C2 must have compiled the kernels first
    int calls = 0;
    while (System.nanoTime() < warmEnd) { run(simd, l, M, N, K, A, B, C); calls++; }
    int inner = Math.max(1, calls / 3);
    long best = Long.MAX_VALUE;
    for (int rep = 0; rep < 5; rep++) {
      long t0 = System.nanoTime();
      for (int r = 0; r < inner; r++) run(simd, l, M, N, K, A, B, C);
      best = Math.min(best, System.nanoTime() - t0);
    }
    return flops * inner / best;
  }

  public static Result measure(Layout l, int M, int N, int K, int ms) {
    return measure(l, M, N, K, ms, true);
  }

  /** As {@link #measure(Layout, int, int, int, int)}; without {@code scalar}, scalarGflops is NaN (not timed). */
  public static Result measure(Layout l, int M, int N, int K, int ms, boolean scalar) {
    float[] A = random(M * K, 1), B = random(K * N, 2), C = new float[M * N + 64], R = new float[M * N + 64];
    run(true, l, M, N, K, A, B, C);
    run(false, l, M, N, K, A, B, R);
    for (int i = 0; i < M * N; i++)
      if (Math.abs(C[i] - R[i]) > 1e-4 * K)
        throw new IllegalStateException("gemm" + l + " differs from the reference at " + i + ": " + C[i] + " vs " + R[i]);
    double simd = time(true, l, M, N, K, A, B, C, ms);
    double ref = scalar ? time(false, l, M, N, K, A, B, R, Math.max(50, ms / 2)) : Double.NaN;
    return new Result(l, M, N, K, simd, ref);
  }

  public static String format(Result r, double peak) {
    return String.format(Locale.ROOT, "  gemm%s %4d×%4d×%4d  %7.1f GFLOP/s  %5.1f%% of FMA peak  %6.1f× scalar",
        r.layout(), r.M(), r.N(), r.K(), r.gflops(), 100 * r.gflops() / peak, r.gflops() / r.scalarGflops());
  }
}
