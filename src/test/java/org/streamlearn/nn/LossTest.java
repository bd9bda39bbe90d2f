package org.streamlearn.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/** Values, stability and names of the losses (their gradients: GradientCheckTest). */
class LossTest {

  @Test
  void namesAndTargets() {
    assertThat(Loss.of("mse").name()).isEqualTo("mse");
    assertThat(Loss.of("Cross_Entropy").name()).isEqualTo("cross_entropy");
    assertThat(Loss.of("huber").name()).isEqualTo("huber");
    assertThat(Loss.of("huber(1.5)").name()).isEqualTo("huber(1.5)");
    assertThat(Loss.of("cross_entropy").targetSize(10)).isEqualTo(1);
    assertThat(Loss.of("bce_with_logits").targetSize(10)).isEqualTo(10);
    assertThat(Loss.of("cross_entropy").classification()).isTrue();
    assertThat(Loss.of("bce_with_logits").classification()).isTrue();
    assertThat(Loss.of("mse").classification()).isFalse();
    assertThatThrownBy(() -> Loss.of("mae")).hasMessageContaining("unknown loss 'mae'");
    assertThatThrownBy(() -> Loss.of("huber(-1)")).hasMessageContaining("bad delta '-1'");
  }

  @Test
  void handComputedValues() {
    float[] d = new float[2], per = new float[2];
    // mse: ((1-0)² + (3-1)²)/2 per example of O = 2, B = 1
    assertThat(Loss.of("mse").lossAndGrad(1, 2, new float[] {1, 3}, 0, new float[] {0, 1}, 0, d, per)).isEqualTo(2.5f);
    assertThat(d).containsExactly(1f, 2f);
    // cross entropy of uniform logits over 2 classes: log 2
    assertThat(Loss.of("cross_entropy").lossAndGrad(1, 2, new float[] {0, 0}, 0, new float[] {1}, 0, d, per))
        .isCloseTo((float) Math.log(2), offset(1e-6f));
    assertThat(d).containsExactly(0.5f, -0.5f);
    // huber(1): d = 0.5 → 0.125; d = −3 → 2.5
    assertThat(Loss.of("huber").lossAndGrad(1, 2, new float[] {0.5f, -3}, 0, new float[] {0, 0}, 0, d, per))
        .isEqualTo((0.125f + 2.5f) / 2);
    assertThat(d).containsExactly(0.25f, -0.5f);
    // bce with logits at z = 0: log 2 whatever the label
    assertThat(Loss.of("bce_with_logits").lossAndGrad(1, 2, new float[] {0, 0}, 0, new float[] {1, 0}, 0, d, per))
        .isCloseTo((float) Math.log(2), offset(1e-6f));
  }

  /** Logits of ±1000 must give finite losses and gradients (log-sum-exp, the stable BCE form). */
  @Test
  void stableForHugeLogits() {
    float[] d = new float[6], per = new float[2];
    float l = Loss.of("cross_entropy").lossAndGrad(2, 3, new float[] {1000, 0, -1000, -1000, 1000, 0}, 0,
        new float[] {2, 1}, 0, d, per);
    assertThat(l).isCloseTo(1000f, offset(1e-2f)); // example 0: lse 1000 − (−1000) = 2000, example 1: 0
    assertThat(per[0]).isCloseTo(2000f, offset(1e-2f));
    assertThat(Float.isFinite(org.streamlearn.kernels.Kernels.maxAbs(6, d, 0))).as("gradients finite").isTrue();
    float b = Loss.of("bce_with_logits").lossAndGrad(1, 2, new float[] {1000, -1000}, 0, new float[] {0, 1}, 0, d, per);
    assertThat(b).isCloseTo(1000f, offset(1e-2f));
    assertThat(d[0]).isCloseTo(0.5f, offset(1e-6f));
    assertThat(d[1]).isCloseTo(-0.5f, offset(1e-6f));
  }
}
