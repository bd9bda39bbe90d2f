package org.streamlearn.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;
import org.streamlearn.learn.OnlineLearner;

/**
 * One optimizer step of the MLP 784-256-256-10 (ReLU, softmax cross-entropy) through the online
 * learner: batch assembly, forward, loss, backward, norm check, update. With {@code -prof gc},
 * gc.alloc.rate.norm must be ~0 B/op: the hot path allocates nothing. Run:
 * {@code mvn -Pjmh test-compile exec:exec -Djmh.args="TrainStepBenchmark -prof gc"} (the gc
 * profiler counts every thread's allocations, the team's workers included).
 * Score is microseconds per step; examples/s = batch · 1e6 / score.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-XX:CompileCommand=quiet",
    "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*"})
public class TrainStepBenchmark {
  @Param({"sgd", "adam"})
  public String optimizer;

  @Param({"1", "16", "64", "256"})
  public int batch;

  /**
   * train.threads: the step's GEMMs and optimizer sweep split across this many threads (bit-identical
   * results); auto: 2 threads, used while measured faster than 1 (the service's default).
   */
  @Param({"1", "2", "auto"})
  public String threads;

  OnlineLearner learner;
  float[] x, y;

  @Setup
  public void setup() {
    learner = threads.equals("auto") ? MlpBench.autoLearner(optimizer, batch, 2)
        : MlpBench.learner(optimizer, batch, Integer.parseInt(threads));
    SplittableRandom r = new SplittableRandom(9);
    x = new float[batch * 784];
    y = new float[batch];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
    for (int i = 0; i < batch; i++) y[i] = r.nextInt(10);
  }

  @TearDown
  public void stopThreads() {
    learner.closeThreads();
  }

  @Benchmark
  public long step() {
    learner.addBlock(batch, x, 0, y, 0);
    return learner.step();
  }
}
