package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamlearn.optim.OptimizerSpec;

class LearnerTest {
  static final String MLP = "input(5) dense(8) relu dense(3)";

  static LearnerConfig cfg(int batch) {
    return LearnerConfig.of(MLP, "cross_entropy", OptimizerSpec.defaults("sgd", 0.1f), batch);
  }

  static float[] row(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
    return x;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 16, 1024})
  void assemblesBatchesOfTheConfiguredSize(int batch) {
    OnlineLearner l = new OnlineLearner(cfg(batch));
    SplittableRandom r = new SplittableRandom(1);
    int n = 2 * batch;
    int steps = 0;
    for (int i = 0; i < n; i++) if (l.add(row(r, 5), 0, new float[] {i % 3}, 0)) steps++;
    assertThat(steps).isEqualTo(2);
    assertThat(l.step()).isEqualTo(2);
    assertThat(l.pending()).isZero();
    assertThat(l.examples()).isEqualTo(2L * batch);
    if (batch > 1) {
      assertThat(l.add(row(r, 5), 0, new float[] {1}, 0)).isFalse();
      n++;
      assertThat(l.pending()).isEqualTo(1);
      assertThat(l.flush()).as("a partial batch is trained on flush").isTrue();
      assertThat(l.step()).isEqualTo(3);
      assertThat(l.examples()).isEqualTo(2L * batch + 1);
    }
    assertThat(l.pending()).isZero();
    assertThat(l.flush()).as("nothing pending").isFalse();
    assertThat(l.metrics().examples()).isEqualTo(n);
  }

  @Test
  void blocksEqualSingleExamples() {
    SplittableRandom r = new SplittableRandom(2);
    int n = 40;
    float[] x = row(r, n * 5), y = new float[n];
    for (int i = 0; i < n; i++) y[i] = i % 3;
    OnlineLearner a = new OnlineLearner(cfg(8)), b = new OnlineLearner(cfg(8));
    for (int i = 0; i < n; i++) a.add(x, i * 5, y, i);
    assertThat(b.addBlock(n, x, 0, y, 0)).isEqualTo(5);
    assertThat(b.liveParams()).containsExactly(a.liveParams());
  }

  /** Each example is scored by the model before it is trained on: batch 1, a constant example. */
  @Test
  void scoresBeforeTraining() {
    OnlineLearner l = new OnlineLearner(LearnerConfig.of("input(2) dense(1)", "mse", OptimizerSpec.defaults("sgd", 0.1f), 1)
        .withMetrics(1, 1.0));
    float[] x = {1f, 2f}, y = {3f};
    for (int i = 0; i < 5; i++) {
      float[] p = l.liveParams().clone();
      float pred = p[0] * x[0] + p[1] * x[1] + p[2];
      l.add(x, 0, y, 0);
      // window of 1: the loss of this example, computed with the parameters before its own update
      assertThat(l.metrics().lossWindow()).isCloseTo((pred - 3f) * (pred - 3f), within(1e-4));
      assertThat(l.liveParams()).isNotEqualTo(p);
    }
  }

  @Test
  void regressionMetricsAreMaeAndRmse() {
    OnlineLearner l = new OnlineLearner(LearnerConfig.of("input(1) dense(1)", "mse", OptimizerSpec.defaults("sgd", 1e-9f), 1)
        .withMetrics(4, 1.0));
    float[] p = l.liveParams();
    p[0] = 0f; // weight
    p[1] = 0f; // bias: predicts 0
    float[] errs = {1f, -2f, 3f, -4f};
    for (float e : errs) l.add(new float[] {1f}, 0, new float[] {e}, 0);
    Metrics m = l.metrics();
    assertThat(m.maeWindow()).isCloseTo(2.5, within(1e-5));
    assertThat(m.rmseWindow()).isCloseTo(Math.sqrt((1 + 4 + 9 + 16) / 4.0), within(1e-5));
    assertThat(m.accuracyWindow()).isNaN();
  }

  @Test
  void injectedNanNeverReachesTheParameters() {
    OnlineLearner l = new OnlineLearner(cfg(4).withGuard(0.5f, 1));
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 40; i++) l.add(row(r, 5), 0, new float[] {i % 3}, 0);
    float lr0 = l.learningRate();
    long step0 = l.step();
    float[] before = l.liveParams().clone();
    float[] bad = row(r, 5);
    bad[2] = Float.NaN;
    l.add(bad, 0, new float[] {1}, 0);
    for (int i = 0; i < 3; i++) l.add(row(r, 5), 0, new float[] {i % 3}, 0);
    assertThat(l.divergences()).isEqualTo(1);
    assertThat(l.step()).as("the failed batch takes a version: the rolled-back weights").isEqualTo(step0 + 1);
    assertThat(l.liveParams()).containsExactly(before);
    assertThat(l.learningRate()).isEqualTo(lr0 * 0.5f);
    assertThat(l.metrics().skipped()).isEqualTo(4);
    // training goes on
    for (int i = 0; i < 8; i++) l.add(row(r, 5), 0, new float[] {i % 3}, 0);
    assertThat(l.step()).isEqualTo(step0 + 3);
    for (float v : l.snapshot().params()) assertThat(v).isFinite();
  }

  @Test
  void infiniteGradientRollsBackToTheLastGoodState() {
    // A huge target makes the MSE finite but the gradient overflow only through the guard's norm.
    OnlineLearner l = new OnlineLearner(LearnerConfig.of("input(3) dense(4) dense(1)", "mse",
        OptimizerSpec.defaults("momentum", 0.01f), 1).withGuard(0.25f, 2));
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 10; i++) l.add(row(r, 3), 0, new float[] {1f}, 0);
    float[] good = l.liveParams().clone();
    float[] v = l.optimizer().stateBuffers()[0].clone();
    long t = l.step();
    l.add(new float[] {1e30f, 1e30f, 1e30f}, 0, new float[] {0f}, 0);
    assertThat(l.divergences()).isEqualTo(1);
    assertThat(l.step()).isEqualTo(t + 1);
    assertThat(l.liveParams()).containsExactly(good);
    assertThat(l.optimizer().stateBuffers()[0]).containsExactly(v);
    assertThat(l.learningRate()).isEqualTo(0.01f * 0.25f);
  }

  @Test
  void snapshotIsACopy() {
    OnlineLearner l = new OnlineLearner(cfg(2));
    SplittableRandom r = new SplittableRandom(5);
    l.add(row(r, 5), 0, new float[] {0}, 0);
    l.add(row(r, 5), 0, new float[] {1}, 0);
    Snapshot s = l.snapshot();
    float[] copy = s.params().clone();
    for (int i = 0; i < 20; i++) l.add(row(r, 5), 0, new float[] {2}, 0);
    assertThat(s.params()).containsExactly(copy);
    assertThat(s.version()).isEqualTo(1);
    assertThat(s.spec()).isEqualTo(MLP);
    assertThat(s.metrics().examples()).isEqualTo(2);
    assertThat(l.snapshot().version()).isEqualTo(11);
  }

  /**
   * The benchmark's MLP 784-256-256-10 with Adam at batch 16, the shape at which JMH -prof gc saw
   * 12.7 KB per step: the softmax's exp and the gradient norm's lane sums were vector helpers C2 left
   * out of line at cold call sites, so every vector passed to them was boxed (fixed by the pom's
   * inline flag for VectorMath). A round of 10 warmed-up steps must allocate nothing.
   */
  @Test
  void mlpAdamStepAllocatesNothing() {
    OnlineLearner l = new OnlineLearner(LearnerConfig.of("input(784) dense(256) relu dense(256) relu dense(10)",
        "cross_entropy", OptimizerSpec.defaults("adam", 1e-3f), 16));
    SplittableRandom r = new SplittableRandom(9);
    float[] x = row(r, 784 * 16), y = new float[16];
    for (int i = 0; i < 16; i++) y[i] = i % 10;
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 6000; i++) l.addBlock(16, x, 0, y, 0);
    long bytes = -1;
    for (int round = 0; round < 100 && bytes != 0; round++) {
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 10; i++) l.addBlock(16, x, 0, y, 0);
      bytes = mx.getCurrentThreadAllocatedBytes() - before;
    }
    assertThat(bytes).as("bytes allocated by 10 warmed-up Adam steps of the MLP at batch 16").isZero();
  }

  /**
   * The warmed-up training path (add → batch full → standardize, forward, loss, backward, step)
   * allocates nothing; the input statistics are on (exponential at batch 16, whole-stream at 1).
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 16})
  void trainingAllocatesNothing(int batch) {
    var cfg = LearnerConfig.of("input(20) dense(32) relu dense(16) tanh dense(4)", "cross_entropy",
        OptimizerSpec.defaults("adam", 1e-3f), batch).withGuard(0.5f, 7)
        .withAdaptation(new Adaptation(true, false, batch == 1 ? 0 : 500));
    OnlineLearner l = new OnlineLearner(cfg);
    SplittableRandom r = new SplittableRandom(6);
    float[] x = row(r, 20 * 64), y = new float[64];
    for (int i = 0; i < 64; i++) y[i] = i % 4;
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 2000; i++) l.addBlock(64, x, 0, y, 0);
    long bytes = -1;
    // Rounds until one allocates nothing, for up to 10 s: each round takes about a millisecond, and
    // on a loaded machine C2 may still be compiling a kernel after a few hundred of them.
    for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end && bytes != 0; ) {
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 10; i++) l.addBlock(64, x, 0, y, 0);
      bytes = mx.getCurrentThreadAllocatedBytes() - before;
    }
    assertThat(bytes).as("bytes allocated by 640 warmed-up examples at batch %d", batch).isZero();
  }
}
