package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptimizerSpecTest {
  @Test
  void pyTorchDefaultsPerOptimizer() {
    OptimizerSpec adam = OptimizerSpec.defaults("adam");
    assertThat(adam.lr()).isEqualTo(1e-3f);
    assertThat(adam.beta1()).isEqualTo(0.9f);
    assertThat(adam.beta2()).isEqualTo(0.999f);
    assertThat(adam.eps()).isEqualTo(1e-8f);
    assertThat(adam.weightDecay()).isZero();
    assertThat(adam.l2()).isZero();
    assertThat(OptimizerSpec.defaults("adamw").weightDecay()).isEqualTo(0.01f);
    assertThat(OptimizerSpec.defaults("adagrad").eps()).isEqualTo(1e-10f);
    assertThat(OptimizerSpec.defaults("adagrad").lr()).isEqualTo(1e-2f);
    assertThat(OptimizerSpec.defaults("rmsprop").eps()).isEqualTo(1e-8f);
    assertThat(OptimizerSpec.defaults("rmsprop").rho()).isEqualTo(0.99f);
    assertThat(OptimizerSpec.defaults("momentum").momentum()).isEqualTo(0.9f);
    assertThat(OptimizerSpec.defaults("sgd", 0.5f).lr()).isEqualTo(0.5f);
  }

  @Test
  void badHyperparametersNameTheField() {
    OptimizerSpec ok = OptimizerSpec.defaults("adam");
    assertThatThrownBy(() -> OptimizerSpec.defaults("lion")).hasMessageStartingWith("name = lion");
    assertThatThrownBy(() -> ok.withLr(0f)).hasMessageStartingWith("lr = 0.0");
    assertThatThrownBy(() -> ok.withLr(Float.NaN)).hasMessageStartingWith("lr = NaN");
    assertThatThrownBy(() -> ok.withMomentum(1f)).hasMessageStartingWith("momentum = 1.0");
    assertThatThrownBy(() -> ok.withMomentum(-0.1f)).hasMessageStartingWith("momentum = -0.1");
    assertThatThrownBy(() -> ok.withBetas(1f, 0.999f)).hasMessageStartingWith("beta1 = 1.0");
    assertThatThrownBy(() -> ok.withBetas(0.9f, 1f)).hasMessageStartingWith("beta2 = 1.0");
    assertThatThrownBy(() -> ok.withEps(0f)).hasMessageStartingWith("eps = 0.0");
    assertThatThrownBy(() -> ok.withRho(1.5f)).hasMessageStartingWith("rho = 1.5");
    assertThatThrownBy(() -> ok.withL2(-1f)).hasMessageStartingWith("l2 = -1.0");
    assertThatThrownBy(() -> ok.withWeightDecay(0.01f))
        .hasMessageStartingWith("weightDecay = 0.01").hasMessageContaining("only adamw");
    assertThatThrownBy(() -> OptimizerSpec.defaults("adamw").withWeightDecay(-1f))
        .hasMessageStartingWith("weightDecay = -1.0");
    assertThatThrownBy(() -> OptimizerSpec.defaults("nesterov").withMomentum(0f))
        .hasMessageContaining("nesterov needs momentum > 0");
    assertThat(OptimizerSpec.defaults("momentum").withMomentum(0f).momentum()).isZero();
  }
}
