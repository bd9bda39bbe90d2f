package org.streamlearn.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.Reference;

/**
 * GEMM layouts at the shapes a dense layer of the benchmark MLP uses, SIMD beside the scalar
 * reference (Lucene's VectorUtilBenchmark style). Run:
 * {@code mvn -Pjmh test-compile exec:exec -Djmh.args="GemmBenchmark -prof gc"}.
 * Score is microseconds per call; GFLOP/s = 2·M·N·K / (score · 1000).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:CompileCommand=quiet",
    "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*"})
public class GemmBenchmark {
  @Param({"NN", "NT", "TN"})
  public String layout;

  /** M×N×K. */
  @Param({"64x256x784", "256x256x256", "16x256x784", "1x256x784"})
  public String shape;

  int M, N, K;
  float[] A, B, C;

  @Setup
  public void setup() {
    String[] d = shape.split("x");
    M = Integer.parseInt(d[0]);
    N = Integer.parseInt(d[1]);
    K = Integer.parseInt(d[2]);
    A = GemmBench.random(M * K, 1);
    B = GemmBench.random(K * N, 2);
    C = new float[M * N + 64];
  }

  @Benchmark
  public float simd(Blackhole bh) {
    switch (layout) {
      case "NN" -> Kernels.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
      case "NT" -> Kernels.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N);
      default -> Kernels.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N);
    }
    return C[0];
  }

  @Benchmark
  public float scalar() {
    switch (layout) {
      case "NN" -> Reference.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
      case "NT" -> Reference.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N);
      default -> Reference.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N);
    }
    return C[0];
  }
}
