package org.streamlearn.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Central finite-difference checks (see {@link GradCheck} for h, the bound and why) of every layer
 * through {@link Model#forward}/{@link Model#backward}, for parameters and inputs, on tiny models
 * with odd widths and B = 3, and of every loss. Every check also proves that it would reject the
 * analytic gradient with a 1e-3 relative error or one flipped sign. The numeric side of a loss is its
 * definition computed in double ({@link #definition}), not the float value the loss returns.
 */
class GradientCheckTest {
  static final int B = 3;
  static final int X_OFF = 2; // inputs start at a nonzero offset

  /** Objective Σ R ⊙ out (R fixed random), so dOut = R reaches every output with a distinct weight. */
  static void checkModel(String text, long seed, boolean inputsAwayFromZero) {
    System.out.println("gradient check " + text + " seed " + seed);
    Model m = Model.of(ModelSpec.parse(text));
    var r = new SplittableRandom(seed);
    float[] p = new float[m.paramCount()];
    m.init(p, seed);
    // Nudge every parameter so biases are nonzero and LayerNorm gains differ from 1: a gradient
    // term that vanishes at the initial values would otherwise go unchecked.
    for (int i = 0; i < p.length; i++) p[i] += (float) (0.2 * (r.nextDouble() - 0.5));
    int I = m.inputSize(), O = m.outputSize();
    float[] x = new float[X_OFF + B * I + 1];
    float[] body = inputsAwayFromZero ? GradCheck.awayFromZero(B * I, 0.1, 1, r) : GradCheck.uniform(B * I, -1, 1, r);
    System.arraycopy(body, 0, x, X_OFF, B * I);
    float[] R = GradCheck.uniform(B * O, -1, 1, r);
    Workspace ws = m.newWorkspace(B + 2); // larger than B: offsets must not assume B == maxBatch
    DoubleSupplier loss = () -> {
      float[] out = m.forward(B, p, x, X_OFF, ws);
      double s = 0;
      for (int k = 0; k < B * O; k++) s += (double) R[k] * out[k];
      return s;
    };
    float[] g = new float[m.paramCount()];
    m.forward(B, p, x, X_OFF, ws);
    m.backward(B, p, g, x, X_OFF, R, ws, true);
    float[] dx = Arrays.copyOf(ws.inputGrad(), B * I);
    if (p.length > 0) System.out.println("  " + GradCheck.check("params of " + text, p, 0, p.length, g, 0, loss));
    System.out.println("  " + GradCheck.check("input of " + text, x, X_OFF, B * I, dx, 0, loss));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "input(5) dense(3)",
      "input(7) dense(5, init=he) dense(3)",
      "input(5) sigmoid",
      "input(5) tanh",
      "input(4) dense(5) sigmoid",
      "input(4) dense(5) tanh",
      "input(5) softmax",
      "input(4) dense(5) softmax",
      "input(3x5) softmax",
      "input(4) dense(7) layernorm",
      "input(7) layernorm(0.001)",
      "input(3x5) layernorm",
      "input(6x3) lstm(5)",
      "input(6x3) lstm(5, seq)",
      "input(5x2) lstm(4, seq) lstm(3) dense(2)",
      "input(5x3) lstm(5, seq) layernorm tanh dense(3)",
  })
  void smoothLayers(String spec) {
    checkModel(spec, 42, false);
  }

  /** ReLU kinks at 0: inputs are kept in ±[0.1, 1], five times the widest step (2·2H = 0.02) from the kink. */
  @ParameterizedTest
  @ValueSource(strings = {"input(5) relu", "input(5) leakyrelu(0.1)", "input(3x3) leakyrelu(0.3)"})
  void kinkedActivations(String spec) {
    checkModel(spec, 7, true);
  }

  @Test
  void composedModel() {
    checkModel("input(7) dense(9) relu dense(5) tanh dense(4) layernorm leakyrelu(0.05) dense(3) sigmoid", 11, false);
  }

  /** The whole training objective: model then loss, analytic dOut from the loss fed to backward. */
  @ParameterizedTest
  @ValueSource(strings = {"cross_entropy", "mse", "bce_with_logits", "huber(0.5)"})
  void composedModelThroughLoss(String lossName) {
    Model m = Model.of(ModelSpec.parse("input(7) dense(9) relu dense(5) tanh dense(3)"));
    Loss loss = Loss.of(lossName);
    var r = new SplittableRandom(5);
    float[] p = new float[m.paramCount()];
    m.init(p, 5);
    float[] x = GradCheck.uniform(B * 7, -1, 1, r);
    int O = m.outputSize(), ts = loss.targetSize(O);
    float[] y = new float[B * ts];
    for (int k = 0; k < y.length; k++)
      y[k] = lossName.equals("cross_entropy") ? r.nextInt(O) : lossName.equals("bce_with_logits")
          ? r.nextInt(2) : (float) r.nextDouble(-1, 1);
    Workspace ws = m.newWorkspace(B);
    float[] dOut = new float[B * O], per = new float[B];
    loss.lossAndGrad(B, O, m.forward(B, p, x, 0, ws), 0, y, 0, dOut, per);
    // The summed loss (the mean times the count it averages over): gradients of order 1, as
    // GradCheck's floor is budgeted for; the rounding noise of the float forward scales with them.
    double n = count(loss, O);
    DoubleSupplier objective = () -> n * definition(loss.name(), B, O, m.forward(B, p, x, 0, ws), 0, y, 0);
    for (int k = 0; k < dOut.length; k++) dOut[k] *= (float) n;
    float[] g = new float[p.length];
    m.backward(B, p, g, x, 0, dOut, ws, true);
    float[] dx = ws.inputGrad().clone();
    System.out.println(GradCheck.check(lossName + " params", p, 0, p.length, g, 0, objective));
    System.out.println(GradCheck.check(lossName + " input", x, 0, B * 7, dx, 0, objective));
  }

  // ---- losses on their own: d(mean loss)/d out against dOut ----

  static void checkLoss(Loss loss, int O, float[] outBody, float[] yBody) {
    float[] out = new float[1 + outBody.length];
    System.arraycopy(outBody, 0, out, 1, outBody.length);
    float[] y = new float[2 + yBody.length];
    System.arraycopy(yBody, 0, y, 2, yBody.length);
    float[] dOut = new float[B * O], per = new float[B];
    float mean = loss.lossAndGrad(B, O, out, 1, y, 2, dOut, per);
    assertThat((double) mean).as("mean of per-example losses").isCloseTo((per[0] + per[1] + per[2]) / 3.0,
        org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(mean))));
    double def = definition(loss.name(), B, O, out, 1, y, 2);
    assertThat((double) mean).as("%s against its definition in double", loss.name())
        .isCloseTo(def, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(def))));
    // Of the summed loss, as in composedModelThroughLoss: d(n·mean)/d out = n·dOut (n a power of
    // two or a small integer, so the scaling is exact or within an ulp).
    double n = count(loss, O);
    for (int k = 0; k < dOut.length; k++) dOut[k] *= (float) n;
    System.out.println(GradCheck.check(loss.name(), out, 1, B * O, dOut, 0,
        () -> n * definition(loss.name(), B, O, out, 1, y, 2)));
  }

  /** What the loss averages over: B examples (cross-entropy) or B·O elements. */
  static double count(Loss loss, int O) {
    return loss.targetSize(O) == 1 && loss.classification() ? B : B * O;
  }

  /**
   * The mean loss over the batch from the definitions, in double: mse (z − y)², cross-entropy
   * −log(e^{z_k} / Σ e^{z_j}), binary cross-entropy −(t·log σ(z) + (1 − t)·log(1 − σ(z))), huber
   * ½d² for |d| ≤ δ else δ·(|d| − ½δ); element-wise ones averaged over all B·O elements (PyTorch's
   * reduction 'mean'), cross-entropy over the B examples.
   */
  static double definition(String name, int B, int O, float[] out, int outOff, float[] y, int yOff) {
    double sum = 0;
    if (name.equals("cross_entropy")) {
      for (int b = 0; b < B; b++) {
        double z = 0;
        for (int j = 0; j < O; j++) z += Math.exp(out[outOff + b * O + j]);
        sum -= Math.log(Math.exp(out[outOff + b * O + (int) y[yOff + b]]) / z);
      }
      return sum / B;
    }
    double delta = name.equals("huber") ? 1 : name.startsWith("huber(") ? Double.parseDouble(name.substring(6, name.length() - 1)) : 0;
    for (int k = 0; k < B * O; k++) {
      double z = out[outOff + k], t = y[yOff + k], d = z - t;
      sum += switch (name) {
        case "mse" -> d * d;
        case "bce_with_logits" -> {
          double sig = 1 / (1 + Math.exp(-z));
          yield -(t * Math.log(sig) + (1 - t) * Math.log(1 - sig));
        }
        default -> Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
      };
    }
    return sum / (B * O);
  }

  @Test
  void mse() {
    var r = new SplittableRandom(1);
    checkLoss(Loss.of("mse"), 3, GradCheck.uniform(9, -2, 2, r), GradCheck.uniform(9, -2, 2, r));
  }

  @Test
  void crossEntropy() {
    var r = new SplittableRandom(2);
    checkLoss(Loss.of("cross_entropy"), 5, GradCheck.uniform(15, -3, 3, r), new float[] {0, 4, 2});
  }

  @Test
  void bceWithLogits() {
    var r = new SplittableRandom(3);
    float[] z = GradCheck.uniform(9, -4, 4, r);
    checkLoss(Loss.of("bce_with_logits"), 3, z, new float[] {0, 1, 1, 0, 0.3f, 1, 0, 1, 0.7f});
  }

  /** |out − y| on both sides of delta, each at least 0.2 (ten times the widest step) away from it. */
  @ParameterizedTest
  @ValueSource(floats = {1f, 1.5f})
  void huberBothSidesOfDelta(float delta) {
    Loss loss = Loss.of(delta == 1f ? "huber" : "huber(" + delta + ")");
    float[] diff = {0.3f, -0.5f, 0.8f * delta, 1.2f * delta + 0.2f, -(2f * delta), 3f, -0.1f, 0.6f * delta, -1.7f * delta};
    float[] y = GradCheck.uniform(9, -1, 1, new SplittableRandom(4));
    float[] out = new float[9];
    for (int i = 0; i < 9; i++) out[i] = y[i] + diff[i];
    checkLoss(loss, 3, out, y);
  }

  static float maxAbs(float[] a) {
    return org.streamlearn.kernels.Kernels.maxAbs(a.length, a, 0);
  }

  // ---- the checker itself, and backward's contract ----

  /**
   * A gradient check that cannot fail proves nothing: a 1e-3 relative error in one element, and a
   * flipped sign, must be caught (every check also proves this on its own tensor: see GradCheck).
   */
  @Test
  void checkerCatchesAWrongGradient() {
    float[] v = {0.3f, -0.7f, 1.1f};
    DoubleSupplier f = () -> v[0] * v[0] + Math.sin(v[1]) + v[2] * v[0];
    float[] right = {2 * v[0] + v[2], (float) Math.cos(v[1]), v[0]};
    GradCheck.check("right", v, 0, 3, right, 0, f);
    float[] scaled = right.clone(), flipped = right.clone();
    scaled[1] *= 1.001f;
    flipped[2] = -flipped[2];
    assertThatThrownBy(() -> GradCheck.check("scaled", v, 0, 3, scaled, 0, f))
        .isInstanceOf(AssertionError.class).hasMessageContaining("worst element 1");
    assertThatThrownBy(() -> GradCheck.check("flipped", v, 0, 3, flipped, 0, f))
        .isInstanceOf(AssertionError.class).hasMessageContaining("worst element 2");
    // The same error in a model's gradient: the first weight of a dense layer's gradient, scaled.
    Model m = Model.of(ModelSpec.parse("input(5) dense(3)"));
    float[] p = new float[m.paramCount()];
    m.init(p, 1);
    float[] x = GradCheck.uniform(B * 5, -1, 1, new SplittableRandom(1)), R = GradCheck.uniform(B * 3, -1, 1, new SplittableRandom(2));
    Workspace ws = m.newWorkspace(B);
    DoubleSupplier loss = () -> {
      float[] out = m.forward(B, p, x, 0, ws);
      double s = 0;
      for (int k = 0; k < B * 3; k++) s += (double) R[k] * out[k];
      return s;
    };
    float[] g = new float[p.length];
    m.forward(B, p, x, 0, ws);
    m.backward(B, p, g, x, 0, R, ws, false);
    GradCheck.check("dense", p, 0, p.length, g, 0, loss);
    int big = 0;
    for (int i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[big])) big = i;
    g[big] *= 1.001f;
    int at = big;
    assertThatThrownBy(() -> GradCheck.check("dense, one weight off by 1e-3", p, 0, p.length, g, 0, loss))
        .isInstanceOf(AssertionError.class).hasMessageContaining("worst element " + at + " ");
  }

  @Test
  void backwardAccumulatesAndSkipsTheInputGradientUnlessAsked() {
    Model m = Model.of(ModelSpec.parse("input(4x3) lstm(5) dense(3) tanh dense(2)"));
    float[] p = new float[m.paramCount()];
    m.init(p, 3);
    var r = new SplittableRandom(3);
    float[] x = GradCheck.uniform(B * m.inputSize(), -1, 1, r), dOut = GradCheck.uniform(B * 2, -1, 1, r);
    Workspace ws = m.newWorkspace(B);
    float[] once = new float[p.length], twice = new float[p.length];
    m.forward(B, p, x, 0, ws);
    Arrays.fill(ws.inputGrad(), Float.NaN);
    m.backward(B, p, once, x, 0, dOut, ws);
    assertThat(ws.inputGrad()).as("input gradient must be skipped by default").containsOnly(Float.NaN);
    m.backward(B, p, twice, x, 0, dOut, ws);
    m.backward(B, p, twice, x, 0, dOut, ws);
    for (int i = 0; i < p.length; i++)
      assertThat(twice[i]).as("grad %d accumulates", i).isCloseTo(2 * once[i], org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(maxAbs(once)).as("some gradient is nonzero").isGreaterThan(0f);
  }
}
