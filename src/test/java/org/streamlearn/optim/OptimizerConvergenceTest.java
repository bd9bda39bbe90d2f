package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every optimizer, from one table, minimises f(x) = Σ aᵢ(xᵢ − cᵢ)² on 33 elements (SIMD body plus
 * a tail at every width) from x = 0. Curvatures aᵢ span [0.5, 2] so the problem is not isotropic.
 */
class OptimizerConvergenceTest {
  static final int N = 33;

  /**
   * name, base lr, schedule, steps, tolerance on max|x − c|. Sign-like methods (rmsprop, adam,
   * adamw) hover within ~lr of the optimum at a constant lr, hence a cosine decay to a small lr;
   * AdamW's decoupled decay moves the optimum to where 2a(x − c)/√v̂ ≈ −w·x, ~w·|c| away, hence its
   * looser tolerance with w = 1e-3.
   */
  static Stream<Arguments> table() {
    return Stream.of(
        Arguments.of(OptimizerSpec.defaults("sgd", 0.2f), "constant", 300, 1e-4),
        Arguments.of(OptimizerSpec.defaults("momentum", 0.05f), "constant", 400, 1e-4),
        Arguments.of(OptimizerSpec.defaults("nesterov", 0.05f), "constant", 400, 1e-4),
        Arguments.of(OptimizerSpec.defaults("adagrad", 1f), "constant", 2000, 1e-3),
        Arguments.of(OptimizerSpec.defaults("rmsprop", 0.05f), "cosine(warmup=0,total=3000,min=1e-5)",
            3000, 1e-3),
        Arguments.of(OptimizerSpec.defaults("adam", 0.1f), "cosine(warmup=10,total=3000,min=1e-5)",
            3000, 1e-3),
        Arguments.of(OptimizerSpec.defaults("adamw", 0.1f).withWeightDecay(1e-3f),
            "cosine(warmup=10,total=3000,min=1e-5)", 3000, 1e-2));
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("table")
  void convergesOnAQuadratic(OptimizerSpec spec, String schedule, int steps, double tol) {
    float[] a = new float[N], c = new float[N], x = new float[N], g = new float[N];
    for (int i = 0; i < N; i++) {
      a[i] = 0.5f + 1.5f * i / (N - 1);
      c[i] = (float) (3 * Math.sin(0.7 * i + 0.3));
    }
    Optimizer opt = Optimizer.create(spec, N);
    Schedule lr = Schedule.parse(schedule, spec.lr());
    for (int s = 0; s < steps; s++) {
      for (int i = 0; i < N; i++) g[i] = 2 * a[i] * (x[i] - c[i]);
      opt.step(x, g, lr.lr(opt.t()));
    }
    double worst = 0;
    for (int i = 0; i < N; i++) worst = Math.max(worst, Math.abs(x[i] - c[i]));
    assertThat(worst).as("%s max|x − c| after %d steps", spec.name(), steps).isLessThan(tol);
  }
}
