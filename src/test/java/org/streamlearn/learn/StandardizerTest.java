package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.streamlearn.optim.OptimizerSpec;

/** Running statistics against their definitions, computed again in double from the whole series. */
class StandardizerTest {
  static final int N = 3000, F = 5;

  /** Features of very different scales and offsets (feature j: offset 10^j, spread 10^(j-2)). Seed 11. */
  static float[] series() {
    SplittableRandom r = new SplittableRandom(11);
    float[] x = new float[N * F];
    for (int i = 0; i < N; i++)
      for (int j = 0; j < F; j++) x[i * F + j] = (float) (Math.pow(10, j) + Math.pow(10, j - 2) * r.nextGaussian());
    return x;
  }

  @Test
  void wholeStreamMeanAndVarianceEqualTwoPassDouble() {
    float[] x = series();
    Standardizer s = new Standardizer(F, 0);
    for (int i = 0; i < N; i += 7) s.update(Math.min(7, N - i), x, i * F, F); // batches of 7, a short last one
    assertThat(s.count()).isEqualTo(N);
    for (int j = 0; j < F; j++) {
      double mean = 0, var = 0;
      for (int i = 0; i < N; i++) mean += x[i * F + j];
      mean /= N;
      for (int i = 0; i < N; i++) var += (x[i * F + j] - mean) * (x[i * F + j] - mean);
      var /= N; // population variance, as scikit-learn's StandardScaler
      // Relative 1e-11: the update's rounding over 3000 steps, far below float32's 6e-8.
      assertThat(s.meanOf(j)).as("mean of feature %d", j).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-11 * Math.abs(mean)));
      assertThat(s.varianceOf(j)).as("variance of feature %d", j).isCloseTo(var, org.assertj.core.data.Offset.offset(1e-9 * var));
      assertThat(s.mean()[j]).isEqualTo((float) s.meanOf(j));
      assertThat(s.std()[j]).isEqualTo((float) Math.sqrt(s.varianceOf(j)));
    }
  }

  /**
   * Exponential: example k's weight is w_k = a_k · Π_{m>k} (1 − a_m) with a_m = max(α, 1/m); the
   * mean is Σ w_k x_k and the variance Σ w_k (x_k − mean)², computed here directly.
   */
  @Test
  void exponentialMatchesTheWeightedDefinition() {
    float[] x = series();
    double halfLife = 150;
    Standardizer s = new Standardizer(F, halfLife);
    s.update(N, x, 0, F);
    double alpha = 1 - Math.pow(0.5, 1 / halfLife);
    double[] w = new double[N];
    double tail = 1;
    for (int k = N - 1; k >= 0; k--) {
      double a = Math.max(alpha, 1.0 / (k + 1));
      w[k] = a * tail;
      tail *= 1 - a;
    }
    for (int j = 0; j < F; j++) {
      double mean = 0, var = 0;
      for (int k = 0; k < N; k++) mean += w[k] * x[k * F + j];
      for (int k = 0; k < N; k++) var += w[k] * (x[k * F + j] - mean) * (x[k * F + j] - mean);
      assertThat(s.meanOf(j)).as("mean of feature %d", j).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-11 * Math.abs(mean)));
      assertThat(s.varianceOf(j)).as("variance of feature %d", j).isCloseTo(var, org.assertj.core.data.Offset.offset(1e-8 * var));
    }
    // and it follows a shift: after 10 half-lives at a new level, the mean is within 0.1% of the shift
    float[] shifted = new float[1500 * F];
    for (int i = 0; i < 1500; i++) for (int j = 0; j < F; j++) shifted[i * F + j] = x[i * F + j] + 1000;
    s.update(1500, shifted, 0, F);
    assertThat(s.meanOf(0)).isCloseTo(1001, org.assertj.core.data.Offset.offset(1.0));
  }

  /**
   * A feature that stops varying: its variance (and a mean falling towards 0) halves every
   * half-life. It must go from the normal range straight to 0, never through the subnormals, while a
   * varying feature beside it keeps the unflushed update's bits.
   */
  @Test
  void statisticsThatDecayBelowTheNormalRangeAreStoredAsZero() {
    Standardizer s = new Standardizer(3, 1); // a half-life of one example: 1,100 examples reach 2^-1100
    SplittableRandom r = new SplittableRandom(5);
    double mean2 = 0, var2 = 0;
    boolean zeroVar = false, zeroMean = false;
    float[] row = new float[3];
    for (int k = 1; k <= 3000; k++) {
      row[0] = k == 1 ? 1e3f : 0f; // one spike, then dark: mean and variance both decay
      row[1] = 7f; // constant from the start
      row[2] = (float) r.nextGaussian();
      s.update(1, row, 0, 3);
      double a = Math.max(1 - Math.pow(0.5, 1.0), 1.0 / k), d = row[2] - mean2;
      mean2 += a * d;
      var2 = (1 - a) * (var2 + a * d * d);
      for (int j = 0; j < 2; j++) {
        assertThat(Math.abs(s.meanOf(j)) == 0 || Math.abs(s.meanOf(j)) >= Double.MIN_NORMAL).as("mean %d at %d", j, k).isTrue();
        assertThat(s.varianceOf(j) == 0 || s.varianceOf(j) >= Double.MIN_NORMAL).as("variance %d at %d", j, k).isTrue();
      }
      assertThat(s.meanOf(2)).isEqualTo(mean2);
      assertThat(s.varianceOf(2)).isEqualTo(var2);
      zeroVar |= k > 1 && s.varianceOf(0) == 0;
      zeroMean |= k > 1 && s.meanOf(0) == 0;
    }
    assertThat(zeroVar).as("the dark feature's variance reached 0").isTrue();
    assertThat(zeroMean).as("the dark feature's mean reached 0").isTrue();
    assertThat(s.std()[0]).isEqualTo(1f);
  }

  @Test
  void applyIsFloatSubtractThenDivideAndConstantFeaturesAreOnlyCentred() {
    Standardizer s = new Standardizer(2, 0);
    float[] x = {3f, 5f, 3f, 7f, 3f, 12f};
    s.update(3, x, 0, 2);
    assertThat(s.std()[0]).as("constant feature").isEqualTo(1f);
    float[] y = {4f, 6f};
    s.apply(1, y, 0, 2);
    assertThat(y[0]).isEqualTo(4f - 3f);
    assertThat(y[1]).isEqualTo((6f - s.mean()[1]) / s.std()[1]);
    float[] back = {y[0], y[1]};
    Standardizer.invert(s.mean(), s.std(), 1, back, 0, 2);
    assertThat(back[1]).isCloseTo(6f, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @Test
  void exportRestoreContinuesExactly() {
    float[] x = series();
    Standardizer a = new Standardizer(F, 40), b = new Standardizer(F, 40);
    a.update(1000, x, 0, F);
    b.restore(a.export());
    a.update(N - 1000, x, 1000 * F, F);
    b.update(N - 1000, x, 1000 * F, F);
    assertThat(b.export()).containsExactly(a.export());
    assertThatThrownBy(() -> new Standardizer(F, 0).restore(new double[3])).hasMessageContaining("expected 11");
  }

  /** The learner scores each batch standardized by statistics that include that batch. */
  @Test
  void learnerStandardizesTheBatchBeforeScoringIt() {
    var cfg = LearnerConfig.of("input(5) dense(3)", "mse", OptimizerSpec.defaults("sgd", 1e-3f), 4)
        .withAdaptation(Adaptation.STANDARD);
    OnlineLearner l = new OnlineLearner(cfg);
    float[] x = series();
    float[] y = new float[3];
    for (int i = 0; i < 4; i++) l.add(x, i * F, y, 0);
    Standardizer ref = new Standardizer(F, 0);
    ref.update(4, x, 0, F);
    assertThat(l.scaling().inputMean()).containsExactly(ref.mean());
    assertThat(l.scaling().inputStd()).containsExactly(ref.std());
    assertThat(l.snapshot().scaling().inputCount()).isEqualTo(4);
    assertThatThrownBy(() -> new OnlineLearner(LearnerConfig.of("input(5) dense(3)", "cross_entropy",
        OptimizerSpec.defaults("sgd", 0.1f), 4).withAdaptation(new Adaptation(true, true, 0))))
        .hasMessageContaining("label standardization is for regression");
  }

  /**
   * label.normalize: targets y = 1000 + 50·x (x ~ N(0, 1), seed 3) are learned standardized; the
   * published scaling turns outputs back into label units, and MAE/RMSE are in label units.
   */
  @Test
  void standardizedTargetsArePredictedAndScoredInLabelUnits() {
    var cfg = LearnerConfig.of("input(1) dense(1)", "mse", OptimizerSpec.defaults("sgd", 0.05f), 8)
        .withAdaptation(new Adaptation(true, true, 0));
    OnlineLearner l = new OnlineLearner(cfg);
    SplittableRandom r = new SplittableRandom(3);
    float[] x = new float[1], y = new float[1];
    for (int i = 0; i < 4000; i++) {
      x[0] = (float) r.nextGaussian();
      y[0] = 1000 + 50 * x[0];
      l.add(x, 0, y, 0);
    }
    Snapshot s = l.snapshot();
    assertThat(s.scaling().labelMean()[0]).isCloseTo(1000f, org.assertj.core.data.Offset.offset(5f));
    assertThat(s.scaling().labelStd()[0]).isCloseTo(50f, org.assertj.core.data.Offset.offset(2.5f));
    float[] in = {1f}, out = new float[1];
    s.scaling().applyInput(1, in, 0);
    new Predictor(l.model(), 1).predict(s.params(), 1, in, 0, out, 0);
    s.scaling().invertOutput(1, out, 0);
    assertThat(out[0]).as("prediction at x = 1 in label units").isCloseTo(1050f, org.assertj.core.data.Offset.offset(1f));
    // the error of a near-perfect fit is small in label units, and the loss (standardized units) smaller still
    assertThat(l.metrics().maeWindow()).as("MAE in label units").isLessThan(1.0);
    assertThat(l.metrics().rmseWindow()).isGreaterThan(l.metrics().maeWindow() * 0.9);
  }
}
