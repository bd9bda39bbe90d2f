package org.streamlearn.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.*;
import org.streamlearn.kernels.Kernels;

/**
 * One optimizer sweep over n weights: what each optimizer adds to a training step beyond its GEMMs.
 * n = 269,322 is the MLP 784-256-256-10's weights and biases (each array 1 MiB: p, g and the state
 * live in L3), 2048 fits L1. Run:
 * {@code mvn -Pjmh test-compile exec:exec -Djmh.args="OptimizerBenchmark"}. Score is microseconds
 * per sweep.
 *
 * <p>{@code adamNoDivide} is a bound, not an optimizer: Adam's moment updates and a weight step
 * without the square root and the division, the least arithmetic and memory traffic any Adam sweep
 * has (four arrays read, three written, against SGD's two and one). Adam's rate at a batch can be at
 * most step / (step + adamNoDivide − sgd) of SGD's, with step SGD's whole training step at that batch
 * ({@link TrainStepBenchmark}), however its sweep is fused or scheduled.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:CompileCommand=quiet",
    "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*"})
public class OptimizerBenchmark {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  @Param({"2048", "269322"})
  public int n;

  float[] p, g, m, v;

  @Setup
  public void setup() {
    SplittableRandom r = new SplittableRandom(7);
    p = new float[n];
    g = new float[n];
    m = new float[n];
    v = new float[n];
    for (int i = 0; i < n; i++) {
      p[i] = (float) r.nextGaussian() * 0.05f;
      g[i] = (float) r.nextGaussian() * 0.01f;
      v[i] = 1e-4f;
    }
  }

  @Benchmark
  public float sgd() {
    Kernels.sgd(0, n, p, g, 1e-9f, 0f);
    return p[0];
  }

  @Benchmark
  public float momentum() {
    Kernels.momentum(0, n, p, g, m, 1e-9f, 0.9f, 0f, false);
    return p[0];
  }

  @Benchmark
  public float adam() {
    Kernels.adam(0, n, p, g, m, v, 1e-9f, 0.9f, 0.999f, 1e-8f, 0.5f, 0.5f, 0f, 0f);
    return p[0];
  }

  @Benchmark
  public float adamw() {
    Kernels.adam(0, n, p, g, m, v, 1e-9f, 0.9f, 0.999f, 1e-8f, 0.5f, 0.5f, 0f, 0.01f);
    return p[0];
  }

  @Benchmark
  public float adamNoDivide() {
    FloatVector b1 = FloatVector.broadcast(F, 0.9f), c1 = FloatVector.broadcast(F, 0.1f);
    FloatVector b2 = FloatVector.broadcast(F, 0.999f), c2 = FloatVector.broadcast(F, 0.001f);
    FloatVector lr = FloatVector.broadcast(F, -1e-9f);
    int i = 0;
    for (; i <= n - F.length(); i += F.length()) {
      FloatVector gi = FloatVector.fromArray(F, g, i);
      FloatVector mi = FloatVector.fromArray(F, m, i).mul(b1).add(gi.mul(c1));
      FloatVector vi = FloatVector.fromArray(F, v, i).mul(b2).add(gi.mul(gi).mul(c2));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      mi.fma(lr, FloatVector.fromArray(F, p, i)).intoArray(p, i);
    }
    for (; i < n; i++) {
      m[i] = 0.9f * m[i] + 0.1f * g[i];
      v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
      p[i] -= 1e-9f * m[i];
    }
    return p[0];
  }
}
