package org.streamlearn.bench;

import java.util.Locale;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;

/** GFLOP/s of each GEMM layout at the shapes a dense layer uses; validated before it is timed. */
public final class GemmBench {
  private GemmBench() {}

  public enum Layout { NN, NT, TN }

  public record Result(Layout layout, int M, int N, int K, double gflops) {
    @Override public String toString() {
      return String.format(Locale.ROOT, "gemm%s %4d×%4d×%4d  %7.1f GFLOP/s", layout, M, N, K, gflops);
    }
  }

  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n + 64]; // padded: masked tails never run past the end
    for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() - 0.5);
    return a;
  }

  static void run(Layout l, int M, int N, int K, float[] A, float[] B, float[] C) {
    switch (l) {
      case NN -> Kernels.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
      case NT -> Kernels.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N);
      case TN -> Kernels.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N);
    }
  }

  /** Times C = A·B in the given layout; minimum time over repetitions of about {@code ms} ms. */
  public static Result measure(Layout l, int M, int N, int K, int ms) {
    float[] A = random(M * K, 1), B = random(K * N, 2), C = new float[M * N + 64];
    // Validate one element against a plain dot product before timing.
    run(l, M, N, K, A, B, C);
    int i = M / 2, j = N / 2;
    double ref = 0;
    for (int k = 0; k < K; k++) {
      float a = l == Layout.TN ? A[k * M + i] : A[i * K + k];
      float b = l == Layout.NT ? B[j * K + k] : B[k * N + j];
      ref += (double) a * b;
    }
    if (Math.abs(ref - C[i * N + j]) > 1e-3 * Math.sqrt(K))
      throw new IllegalStateException("gemm" + l + " gives " + C[i * N + j] + ", expected " + ref);
    double flops = 2.0 * M * N * K;
    // Warm up by time, not by count: C2 must have compiled the micro-kernels before timing starts.
    long warmEnd = System.nanoTime() + 400_000_000L;
    int inner = 0;
    while (System.nanoTime() < warmEnd) { run(l, M, N, K, A, B, C); inner++; }
    inner = Math.max(1, (int) (inner / 400.0 * ms)); // calls per repetition of about ms
    long best = Long.MAX_VALUE;
    for (int rep = 0; rep < 7; rep++) {
      long t0 = System.nanoTime();
      for (int r = 0; r < inner; r++) run(l, M, N, K, A, B, C);
      best = Math.min(best, System.nanoTime() - t0);
    }
    return new Result(l, M, N, K, flops * inner / best);
  }

  public static void main(String[] args) {
    System.out.println(Kernels.describe());
    System.out.printf(Locale.ROOT, "FMA peak %.1f GFLOP/s%n", FmaPeak.gflops(5));
    int[][] shapes = {{64, 256, 784}, {256, 256, 256}, {16, 256, 784}, {1, 256, 784}};
    for (int[] s : shapes) for (Layout l : Layout.values()) System.out.println(measure(l, s[0], s[1], s[2], 50));
  }
}
