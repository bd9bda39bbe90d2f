package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.stream.Stream;
import org.streamlearn.kernels.Team;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hand-computed steps and optax's identities. Tolerance: float32 has a 2⁻²⁴ ≈ 6e-8 relative
 * rounding per operation and a step does ~10 of them per element, so after three steps we allow
 * 1e-6 relative (plus 1e-7 absolute for values that cross zero) against the double reference.
 */
class OptimizerTest {
  static final double REL = 1e-6, ABS = 1e-7;
  static final float LR = 0.1f;
  static final float[] P0 = {1.0f, -2.0f, 0.5f};
  // Three steps of gradients: mixed signs and sizes, and a zero in the last step.
  static final float[][] G = {{0.5f, -1.5f, 2.0f}, {-0.25f, 1.0f, 3.0f}, {1.0f, -0.5f, 0.0f}};

  /**
   * Non-default hyperparameters, each distinct, so a swapped argument (β₁ for β₂, ρ for μ) shows;
   * eps = 1e-3 is large enough that putting it inside the square root would fail the tolerance.
   */
  static OptimizerSpec spec(String name) {
    return new OptimizerSpec(name, LR, 0.8f, 0.85f, 0.99f, 1e-3f, 0.9f, 0f,
        name.equals("adamw") ? 0.1f : 0f);
  }

  static Stream<String> names() {
    return OptimizerSpec.NAMES.stream();
  }

  static void assertClose(float[] actual, double[] expected, String what) {
    for (int i = 0; i < expected.length; i++) {
      double tol = REL * Math.abs(expected[i]) + ABS;
      assertThat((double) actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i],
          offset(tol));
    }
  }

  @ParameterizedTest
  @MethodSource("names")
  void threeStepsMatchTheFormulaInDouble(String name) {
    runAgainstReference(spec(name), P0, G);
  }

  /** 37 = 4·8 + 5 elements: the SIMD body at every width plus a scalar tail, against the formula. */
  @ParameterizedTest
  @MethodSource("names")
  void threeStepsOnASimdSizedVectorMatchTheFormula(String name) {
    int n = 37;
    float[] p = new float[n];
    float[][] g = new float[3][n];
    for (int i = 0; i < n; i++) {
      p[i] = (float) Math.sin(i + 1) * 2;
      for (int s = 0; s < 3; s++) g[s][i] = (float) Math.cos(3 * i + s) * (s + 1);
    }
    runAgainstReference(spec(name).withL2(0.05f), p, g);
  }

  static void runAgainstReference(OptimizerSpec h, float[] p0, float[][] grads) {
    Optimizer opt = Optimizer.create(h, p0.length);
    Reference ref = new Reference(h, p0);
    float[] p = p0.clone();
    for (int s = 0; s < grads.length; s++) {
      float[] g = grads[s].clone();
      opt.step(p, g, LR);
      ref.step(grads[s], LR);
      assertThat(g).as("g is read-only").containsExactly(grads[s]);
      assertClose(p, ref.p, h.name() + " p after step " + (s + 1));
      float[][] st = opt.stateBuffers();
      if (st.length > 0) assertClose(st[0], ref.a, h.name() + " state[0] after step " + (s + 1));
      if (st.length > 1) assertClose(st[1], ref.b, h.name() + " state[1] after step " + (s + 1));
    }
    assertThat(opt.t()).isEqualTo(grads.length);
  }

  /**
   * A step split across a team (2 and 3 threads) writes the bits of the one-thread step into p and
   * every state array, over three steps, for every optimizer: 3·MIN_PER_THREAD + 45 elements, so the
   * ranges cut inside the array and the last one ends in a scalar tail.
   */
  @ParameterizedTest
  @MethodSource("names")
  void aStepSplitAcrossATeamGivesTheBitsOfOneThread(String name) {
    int n = 3 * Optimizer.MIN_PER_THREAD + 45;
    var r = new java.util.SplittableRandom(7);
    float[] p0 = new float[n];
    float[][] g = new float[3][n];
    for (int i = 0; i < n; i++) {
      p0[i] = (float) (r.nextDouble() * 4 - 2);
      for (float[] gs : g) gs[i] = (float) (r.nextGaussian() * Math.exp(r.nextDouble() * 6 - 3));
    }
    OptimizerSpec h = spec(name).withL2(0.01f);
    Optimizer one = Optimizer.create(h, n);
    float[] p1 = p0.clone();
    for (float[] gs : g) one.step(p1, gs, LR);
    for (int size : new int[] {2, 3}) {
      try (var team = new Team(size, "optimizer-test")) {
        Optimizer split = Optimizer.create(h, n);
        float[] p2 = p0.clone();
        for (float[] gs : g) split.step(p2, gs, LR, team);
        assertThat(split.t()).isEqualTo(3);
        assertThat(p2).as("%s, %d threads: p", name, size).containsExactly(p1);
        for (int s = 0; s < one.stateBuffers().length; s++)
          assertThat(split.stateBuffers()[s]).as("%s, %d threads: state %d", name, size, s)
              .containsExactly(one.stateBuffers()[s]);
      }
    }
  }

  @Test
  void rangesCutOnWholeBlocksAndCoverEveryElement() {
    int n = 5 * Optimizer.CUT + 7;
    for (int parts = 1; parts <= 4; parts++) {
      assertThat(Team.cut(n, Optimizer.CUT, 0, parts)).isZero();
      assertThat(Team.cut(n, Optimizer.CUT, parts, parts)).isEqualTo(n);
      for (int p = 1; p < parts; p++) {
        assertThat(Team.cut(n, Optimizer.CUT, p, parts) % Optimizer.CUT).isZero();
        assertThat(Team.cut(n, Optimizer.CUT, p, parts)).isGreaterThanOrEqualTo(Team.cut(n, Optimizer.CUT, p - 1, parts));
      }
    }
  }

  @Test
  void sgdByHand() {
    Optimizer sgd = Optimizer.create(spec("sgd"), 3);
    float[] p = P0.clone();
    // p − 0.1·g, step by step: (1, −2, 0.5) → (0.95, −1.85, 0.3) → (0.975, −1.95, 0) → (0.875, −1.9, 0)
    double[][] expected = {{0.95, -1.85, 0.3}, {0.975, -1.95, 0.0}, {0.875, -1.9, 0.0}};
    for (int s = 0; s < 3; s++) {
      sgd.step(p, G[s], LR);
      assertClose(p, expected[s], "sgd step " + (s + 1));
    }
  }

  @Test
  void adamFirstStepIsLrTimesGOverAbsGPlusEps() {
    // Bias correction makes m̂ = g and v̂ = g² at t = 1, so Δp = −lr·g/(|g| + eps).
    Optimizer adam = Optimizer.create(spec("adam"), 3);
    float[] p = P0.clone();
    adam.step(p, G[0], LR);
    assertClose(p, new double[] {1 - 0.1 * 0.5 / 0.501, -2 + 0.1 * 1.5 / 1.501, 0.5 - 0.1 * 2 / 2.001},
        "adam step 1");
  }

  @Test
  void momentumZeroEqualsSgd() {
    Optimizer mom = Optimizer.create(spec("momentum").withMomentum(0f).withL2(0.05f), 3);
    Optimizer sgd = Optimizer.create(spec("sgd").withL2(0.05f), 3);
    float[] pm = P0.clone(), ps = P0.clone();
    for (int s = 0; s < 3; s++) {
      mom.step(pm, G[s], LR);
      sgd.step(ps, G[s], LR);
      for (int i = 0; i < 3; i++) assertThat(pm[i]).isCloseTo(ps[i], offset(1e-7f));
    }
  }

  @Test
  void adamWWithoutDecayEqualsAdam() {
    Optimizer adamw = Optimizer.create(spec("adamw").withWeightDecay(0f), 3);
    Optimizer adam = Optimizer.create(spec("adam"), 3);
    float[] pw = P0.clone(), pa = P0.clone();
    for (int s = 0; s < 3; s++) {
      adamw.step(pw, G[s], LR);
      adam.step(pa, G[s], LR);
      assertThat(pw).containsExactly(pa);
    }
  }

  @Test
  void nesterovLooksAheadByMuTimesVelocity() {
    float mu = 0.8f;
    Optimizer classic = Optimizer.create(spec("momentum"), 3);
    Optimizer nesterov = Optimizer.create(spec("nesterov"), 3);
    float[] pc = P0.clone(), pn = P0.clone();
    classic.step(pc, G[0], LR);
    nesterov.step(pn, G[0], LR);
    // Step 1 from v = 0: v = g; classical moves lr·g, Nesterov lr·(g + μ·g) = lr·(1 + μ)·g.
    double[] c1 = new double[3], n1 = new double[3];
    for (int i = 0; i < 3; i++) {
      c1[i] = P0[i] - 0.1 * G[0][i];
      n1[i] = P0[i] - 0.1 * (1 + (double) mu) * G[0][i];
    }
    assertClose(pc, c1, "classical step 1");
    assertClose(pn, n1, "nesterov step 1");
    classic.step(pc, G[1], LR);
    nesterov.step(pn, G[1], LR);
    // Step 2: v = μ·g₀ + g₁; classical moves lr·v, Nesterov lr·(g₁ + μ·v).
    double[] c2 = new double[3], n2 = new double[3];
    for (int i = 0; i < 3; i++) {
      double v = mu * G[0][i] + (double) G[1][i];
      c2[i] = c1[i] - 0.1 * v;
      n2[i] = n1[i] - 0.1 * (G[1][i] + mu * v);
    }
    assertClose(pc, c2, "classical step 2");
    assertClose(pn, n2, "nesterov step 2");
    assertThat(pn[0]).isNotEqualTo(pc[0]);
  }

  @Test
  void coupledL2AddsL2TimesPToTheGradient() {
    float l2 = 0.05f;
    Optimizer sgd = Optimizer.create(spec("sgd").withL2(l2), 3);
    float[] p = P0.clone();
    double[] e = {1, -2, 0.5};
    for (int s = 0; s < 3; s++) {
      sgd.step(p, G[s], LR);
      for (int i = 0; i < 3; i++) e[i] = e[i] - 0.1 * (G[s][i] + (double) l2 * e[i]);
      assertClose(p, e, "sgd+l2 step " + (s + 1));
    }
    // Step 1 of element 0 by hand: 1 − 0.1·(0.5 + 0.05·1) = 0.945.
    float[] q = P0.clone();
    Optimizer.create(spec("sgd").withL2(l2), 3).step(q, G[0], LR);
    assertThat(q[0]).isCloseTo(0.945f, offset(1e-7f));
  }

  @Test
  void coupledL2GoesThroughAdamsMomentsButDecoupledDecayDoesNot() {
    float[] zero = new float[3];
    // Adam + l2 with g = 0: g' = l2·p, so m̂/√v̂ = l2·p/(|l2·p| + eps) at t = 1: a normalised step.
    OptimizerSpec adamL2 = spec("adam").withL2(0.05f);
    Optimizer adam = Optimizer.create(adamL2, 3);
    Reference ref = new Reference(adamL2, P0);
    float[] pa = P0.clone();
    adam.step(pa, zero, LR);
    double gp = (double) 0.05f * 1.0; // element 0 at step 1
    assertThat((double) pa[0]).isCloseTo(1 - 0.1 * gp / (gp + 1e-3), offset(1e-6));
    ref.step(zero, LR);
    for (int s = 1; s < 3; s++) {
      adam.step(pa, zero, LR);
      ref.step(zero, LR);
      assertClose(pa, ref.p, "adam+l2 step " + (s + 1));
    }
    // AdamW with g = 0: m = v = 0, only the decay acts: p·(1 − lr·w)ᵗ = p·0.99ᵗ exactly.
    Optimizer adamw = Optimizer.create(spec("adamw"), 3);
    float[] pw = P0.clone();
    for (int s = 1; s <= 3; s++) {
      adamw.step(pw, zero, LR);
      double f = Math.pow(1 - 0.1 * (double) 0.1f, s);
      assertClose(pw, new double[] {f, -2 * f, 0.5 * f}, "adamw decay-only step " + s);
    }
    assertThat(adamw.stateBuffers()[0]).containsOnly(0f);
    assertThat(adamw.stateBuffers()[1]).containsOnly(0f);
  }

  @Test
  void decoupledDecayAgainstHandComputedSteps() {
    // Each step: p ← p − lr·(m̂/(√v̂ + eps) + w·p_old), with w = 0.1, via the double reference,
    // and step 1 by hand for element 0: 1 − 0.1·(0.5/0.501 + 0.1·1).
    Optimizer adamw = Optimizer.create(spec("adamw"), 3);
    float[] p = P0.clone();
    adamw.step(p, G[0], LR);
    assertThat((double) p[0]).isCloseTo(1 - 0.1 * (0.5 / 0.501 + (double) 0.1f * 1.0),
        offset(1e-6));
    runAgainstReference(spec("adamw"), P0, G);
  }

  @Test
  void stateBuffersAreLiveAndStable() {
    Optimizer adam = Optimizer.create(spec("adam"), 3);
    float[][] st = adam.stateBuffers();
    assertThat(st).hasNumberOfRows(2);
    assertThat(adam.stateBuffers()).isSameAs(st);
    adam.step(P0.clone(), G[0], LR);
    assertThat(st[0][0]).isNotZero(); // the arrays we hold are the ones updated
    assertThat(Optimizer.create(spec("sgd"), 3).stateBuffers()).isEmpty();
    assertThat(Optimizer.create(spec("momentum"), 3).stateBuffers()).hasNumberOfRows(1);
    assertThat(Optimizer.create(spec("rmsprop"), 3).stateBuffers()[0]).hasSize(3);
  }

  @Test
  void restoringStateAndTRepeatsTheSameStep() {
    Optimizer adam = Optimizer.create(spec("adam"), 3);
    float[] p = P0.clone();
    adam.step(p, G[0], LR);
    float[] pBackup = p.clone();
    float[][] backup = {adam.stateBuffers()[0].clone(), adam.stateBuffers()[1].clone()};
    long tBackup = adam.t();
    adam.step(p, G[1], LR);
    float[] after = p.clone();
    System.arraycopy(pBackup, 0, p, 0, 3);
    for (int k = 0; k < 2; k++) System.arraycopy(backup[k], 0, adam.stateBuffers()[k], 0, 3);
    adam.setT(tBackup);
    adam.step(p, G[1], LR);
    assertThat(p).containsExactly(after);
    assertThat(adam.t()).isEqualTo(2);
  }

  @Test
  void badArgumentsNameTheParameter() {
    Optimizer sgd = Optimizer.create(spec("sgd"), 3);
    assertThatThrownBy(() -> sgd.step(new float[2], new float[3], LR)).hasMessageContaining("p.length");
    assertThatThrownBy(() -> sgd.step(new float[3], new float[2], LR)).hasMessageContaining("g.length");
    assertThatThrownBy(() -> sgd.step(new float[3], new float[3], Float.NaN)).hasMessageContaining("lr");
    assertThatThrownBy(() -> sgd.setT(-1)).hasMessageContaining("t = -1");
    assertThatThrownBy(() -> Optimizer.create(spec("sgd"), -1)).hasMessageContaining("paramCount");
    assertThat(sgd.t()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"})
  void nameComesFromTheSpec(String name) {
    assertThat(Optimizer.create(OptimizerSpec.defaults(name), 5).name()).isEqualTo(name);
  }
}
