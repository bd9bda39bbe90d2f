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
