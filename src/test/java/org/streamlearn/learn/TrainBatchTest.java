package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.nn.ModelSpec;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.OptimizerSpec;

/**
 * {@link OnlineLearner#trainBatch} (what the trainer verticle calls on a whole batch in the row ring,
 * without copying it) takes the same step as {@link OnlineLearner#add} row by row, bit for bit: the
 * parameters, the optimizer state, the standardizers and the prequential loss, on raw unscaled
 * features with input and label standardization, at an odd offset in a larger block.
 */
class TrainBatchTest {
  static final int I = 13;

  private static LearnerConfig cfg(String loss, int targets, String optimizer, int batch, boolean labels) {
    float lr = optimizer.equals("sgd") ? 0.01f : 1e-3f;
    String spec = "input(" + I + ") dense(17) tanh dense(" + (loss.equals("mse") ? targets : 5) + ")";
    return new LearnerConfig(ModelSpec.parse(spec), loss, OptimizerSpec.defaults(optimizer, lr),
        "constant", ClipSpec.NONE, batch, 42L, 0.5f, 100, 1000, 200.0, new Adaptation(true, labels, 300));
  }

  @ParameterizedTest
  @CsvSource({"cross_entropy,1,adam,16,false", "cross_entropy,1,sgd,1,false", "mse,3,sgd,8,true",
      "mse,2,adamw,37,true"})
  void sameBitsAsAddingRowByRow(String loss, int targets, String optimizer, int batch, boolean labels) {
    int steps = 20, n = batch * steps, T = targets, pad = 3;
    var r = new SplittableRandom(7);
    float[] x = new float[pad * I + n * I], y = new float[pad * T + n * T];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (1 + i % I) * 40 + 1000 * (i % 3));
    for (int i = 0; i < y.length; i++)
      y[i] = loss.equals("mse") ? (float) (r.nextGaussian() * 50 + 300) : r.nextInt(5);

    OnlineLearner rows = new OnlineLearner(cfg(loss, T, optimizer, batch, labels));
    OnlineLearner block = new OnlineLearner(cfg(loss, T, optimizer, batch, labels));
    float[] xs = x.clone(), ys = y.clone(); // trainBatch scales its block in place
    for (int s = 0; s < steps; s++) {
      for (int k = 0; k < batch; k++) {
        int row = pad + s * batch + k;
        rows.add(x, row * I, y, row * T);
      }
      block.trainBatch(xs, (pad + s * batch) * I, ys, (pad + s * batch) * T);
      assertThat(block.lastLoss()).as("step %d loss", s).isEqualTo(rows.lastLoss());
    }
    assertThat(block.step()).isEqualTo(rows.step()).isEqualTo(steps);
    assertThat(block.examples()).isEqualTo(rows.examples()).isEqualTo(n);
    LearnerState a = rows.exportState(), b = block.exportState();
    assertThat(bits(b.params())).isEqualTo(bits(a.params()));
    for (int i = 0; i < a.optimizerState().length; i++)
      assertThat(bits(b.optimizerState()[i])).as("optimizer state %d", i).isEqualTo(bits(a.optimizerState()[i]));
    Scaling sa = rows.scaling(), sb = block.scaling();
    assertThat(bits(sb.inputMean())).isEqualTo(bits(sa.inputMean()));
    assertThat(bits(sb.inputStd())).isEqualTo(bits(sa.inputStd()));
    if (labels) assertThat(bits(sb.labelMean())).isEqualTo(bits(sa.labelMean()));
    assertThat(Arrays.equals(x, 0, pad * I, xs, 0, pad * I)).as("rows outside the batch untouched").isTrue();

    if (batch > 1) {
      block.add(x, 0, y, 0);
      assertThatThrownBy(() -> block.trainBatch(xs, 0, ys, 0)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("1 rows pending");
    }
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) out[i] = Float.floatToRawIntBits(v[i]);
    return out;
  }
}
