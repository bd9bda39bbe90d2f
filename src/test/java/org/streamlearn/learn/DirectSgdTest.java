package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.nn.Loss;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;
import org.streamlearn.nn.Workspace;

/**
 * Direct SGD (updates straight from activations, no gradient buffer) against its definition:
 * backward into a zeroed gradient, global norm, p −= lr·g. Same parameters to float rounding
 * (1e-5 relative: the two paths add the same products in a different order), same norm (1e-4
 * relative: the direct norm is a double sum of dot products of floats).
 */
class DirectSgdTest {
  @ParameterizedTest
  @CsvSource({"1, input(13) dense(17) relu dense(5)", "7, input(13) dense(17) tanh dense(9) sigmoid dense(5)",
      "32, input(33) dense(31) leakyrelu(0.1) dense(5)"})
  void matchesBackwardThenSgd(int B, String specText) {
    Model m = Model.of(ModelSpec.parse(specText));
    assertThat(m.supportsDirectSgd()).isTrue();
    Loss loss = Loss.of("cross_entropy");
    int n = m.paramCount(), O = m.outputSize();
    float[] p1 = new float[n];
    m.init(p1, 3);
    float[] p2 = p1.clone(), g = new float[n];
    SplittableRandom r = new SplittableRandom(4);
    float[] x = new float[B * m.inputSize() + 3], y = new float[B], dOut = new float[B * O], per = new float[B];
    Workspace w1 = m.newWorkspace(B), w2 = m.newWorkspace(B);
    for (int step = 0; step < 5; step++) {
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      for (int i = 0; i < B; i++) y[i] = r.nextInt(O);
      float lr = 0.05f;
      // reference
      loss.lossAndGrad(B, O, m.forward(B, p1, x, 3, w1), 0, y, 0, dOut, per);
      java.util.Arrays.fill(g, 0f);
      m.backward(B, p1, g, x, 3, dOut, w1);
      double sq = 0;
      for (float v : g) sq += (double) v * v;
      Kernels.sgd(0, n, p1, g, lr, 0f);
      // direct
      loss.lossAndGrad(B, O, m.forward(B, p2, x, 3, w2), 0, y, 0, dOut, per);
      float norm = m.directSgdStep(B, p2, x, 3, dOut, w2, lr);
      assertThat((double) norm).as("norm, step %d", step).isCloseTo(Math.sqrt(sq), org.assertj.core.data.Percentage.withPercentage(0.01));
      for (int i = 0; i < n; i++)
        assertThat(p2[i]).as("param %d, step %d", i, step)
            .isCloseTo(p1[i], org.assertj.core.data.Offset.offset(1e-5f * Math.max(1f, Math.abs(p1[i]))));
    }
  }

  @ParameterizedTest
  @CsvSource({"1", "8"})
  void nonFiniteNormLeavesParametersUntouched(int B) {
    Model m = Model.of(ModelSpec.parse("input(4) dense(3) relu dense(2)"));
    float[] p = new float[m.paramCount()];
    m.init(p, 1);
    float[] before = p.clone();
    Workspace ws = m.newWorkspace(B);
    float[] x = new float[B * 4], dOut = new float[B * 2];
    java.util.Arrays.fill(x, 1f);
    m.forward(B, p, x, 0, ws);
    java.util.Arrays.fill(dOut, 1f);
    dOut[1] = Float.POSITIVE_INFINITY;
    assertThat(m.directSgdStep(B, p, x, 0, dOut, ws, 0.1f)).isNotFinite();
    assertThat(p).containsExactly(before);
  }

  /**
   * A deferred batch-1 step, applied by the next forward (fused) or early by applyDeferred (at
   * random steps, as snapshots do), gives the bits of the step applied at once: every forward's
   * outputs and the final parameters. Widths around the row tiles (8 rows at 16 lanes, 4 at 8) and
   * odd input sizes (vector tails of k).
   */
  @ParameterizedTest
  @CsvSource({"input(13) dense(17) relu dense(5)", "input(37) dense(100) relu dense(97) tanh dense(10)",
      "input(784) dense(24) sigmoid dense(3)"})
  void deferredStepsHaveTheBitsOfImmediateOnes(String specText) {
    Model m = Model.of(ModelSpec.parse(specText));
    Loss loss = Loss.of("cross_entropy");
    int n = m.paramCount(), O = m.outputSize(), I = m.inputSize();
    float[] p1 = new float[n];
    m.init(p1, 5);
    float[] p2 = p1.clone();
    Workspace w1 = m.newWorkspace(1), w2 = m.newWorkspace(1);
    SplittableRandom r = new SplittableRandom(6);
    float[] x = new float[I + 2], y = new float[1], d1 = new float[O], d2 = new float[O], per = new float[1];
    int fused = 0;
    for (int step = 0; step < 40; step++) {
      for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * 3);
      y[0] = r.nextInt(O);
      float lr = 0.02f + 0.001f * step;
      float[] o1 = m.forward(1, p1, x, 2, w1);
      boolean pending = m.hasDeferred(w2);
      float[] o2 = m.forward(1, p2, x, 2, w2);
      if (pending) fused++;
      for (int j = 0; j < O; j++)
        assertThat(Float.floatToRawIntBits(o2[j])).as("output %d, step %d", j, step).isEqualTo(Float.floatToRawIntBits(o1[j]));
      loss.lossAndGrad(1, O, o1, 0, y, 0, d1, per);
      loss.lossAndGrad(1, O, o2, 0, y, 0, d2, per);
      float n1 = m.directSgdStep(1, p1, x, 2, d1, w1, lr);
      float n2 = m.directSgdStepDeferred(p2, x, 2, d2, w2, lr);
      assertThat(n2).isEqualTo(n1);
      assertThat(m.hasDeferred(w2)).isTrue();
      if (r.nextInt(4) == 0) m.applyDeferred(w2); // a snapshot or a backup between steps
    }
    m.applyDeferred(w2);
    assertThat(fused).as("steps applied by the fused forward").isGreaterThan(20);
    for (int i = 0; i < n; i++)
      assertThat(Float.floatToRawIntBits(p2[i])).as("param %d", i).isEqualTo(Float.floatToRawIntBits(p1[i]));
  }

  /**
   * The learner defers at batch 1: snapshots, exported states and backups taken between steps apply
   * the pending update early, yet training goes on with the same bits as a learner never asked.
   */
  @org.junit.jupiter.api.Test
  void snapshotsBetweenDeferredStepsChangeNoBit() {
    var cfg = LearnerConfig.of("input(20) dense(50) relu dense(4)", "cross_entropy",
        org.streamlearn.optim.OptimizerSpec.defaults("sgd", 0.05f), 1);
    OnlineLearner quiet = new OnlineLearner(cfg), watched = new OnlineLearner(cfg);
    assertThat(quiet.defersSgd()).isTrue();
    SplittableRandom r = new SplittableRandom(8), pick = new SplittableRandom(9);
    float[] x = new float[20], y = new float[1];
    for (int e = 0; e < 300; e++) {
      for (int i = 0; i < 20; i++) x[i] = (float) (r.nextGaussian() * 5 + i);
      y[0] = r.nextInt(4);
      quiet.add(x.clone(), 0, y, 0);
      watched.add(x, 0, y, 0);
      switch (pick.nextInt(6)) {
        case 0 -> watched.snapshot();
        case 1 -> watched.exportState();
        case 2 -> watched.liveParams();
        default -> { }
      }
    }
    assertThat(watched.metrics().lossWindow()).isEqualTo(quiet.metrics().lossWindow());
    float[] a = quiet.liveParams(), b = watched.liveParams();
    for (int i = 0; i < a.length; i++)
      assertThat(Float.floatToRawIntBits(b[i])).as("param %d", i).isEqualTo(Float.floatToRawIntBits(a[i]));
    // A checkpoint taken with an update pending resumes exactly.
    OnlineLearner resumed = new OnlineLearner(cfg);
    resumed.importState(quiet.exportState());
    for (int e = 0; e < 50; e++) {
      for (int i = 0; i < 20; i++) x[i] = (float) (r.nextGaussian() * 5 + i);
      y[0] = r.nextInt(4);
      quiet.add(x.clone(), 0, y, 0);
      resumed.add(x, 0, y, 0);
    }
    assertThat(resumed.liveParams()).containsExactly(quiet.liveParams());
  }

  @ParameterizedTest
  @CsvSource({"1, true", "32, true", "33, false"})
  void learnerTakesTheDirectPathForSmallPlainSgd(int B, boolean direct) {
    var cfg = LearnerConfig.of("input(5) dense(4) relu dense(3)", "cross_entropy",
        org.streamlearn.optim.OptimizerSpec.defaults("sgd", 0.1f), B);
    assertThat(new OnlineLearner(cfg).usesDirectSgd()).isEqualTo(direct);
    assertThat(new OnlineLearner(cfg.withClip(org.streamlearn.optim.ClipSpec.norm(1f))).usesDirectSgd()).isFalse();
    var adam = LearnerConfig.of("input(5) dense(4) relu dense(3)", "cross_entropy",
        org.streamlearn.optim.OptimizerSpec.defaults("adam", 0.1f), B);
    assertThat(new OnlineLearner(adam).usesDirectSgd()).isFalse();
  }
}
