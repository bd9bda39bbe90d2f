package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;
import org.streamlearn.optim.OptimizerSpec;

/** Continual backprop against a case worked by hand, and the adaptive state through a checkpoint. */
class PlasticityTest {

  /**
   * input(2) dense(3) relu dense(1); W1 = [[1,0],[0,1],[1,1]], b1 = 0, W2 = [[2,-1,0.5]]; rows
   * (1, 2) and (3, -1). h = relu(x·W1ᵀ) = (1, 2, 3) and (3, 0, 2): mean |h| = (2, 1, 2.5); Σ|w_out| =
   * (2, 1, 0.5); contributions (4, 1, 1.25). With η = 0.5: u = (2, 0.5, 0.625) after one batch,
   * (3, 0.75, 0.9375) after two. rate 0.5, maturity 1: after step 1 every age is 1 (none eligible);
   * after step 2 all three are (age 2), 1.5 units are due: one is replaced, the lowest bias-corrected
   * utility u / (1 − 0.5²): unit 1.
   */
  @Test
  void contributionUtilityAndReplacementAsWorkedByHand() {
    Model m = Model.of(ModelSpec.parse("input(2) dense(3) relu dense(1)"));
    assertThat(m.hiddenUnits()).hasSize(1);
    Model.Hidden h = m.hiddenUnits().getFirst();
    assertThat(h).isEqualTo(new Model.Hidden(1, 3, 2, 0, 6, 9, 1, true));
    float[] p = {1, 0, 0, 1, 1, 1, 0, 0, 0, 2, -1, 0.5f, 0};
    float[] x = {1, 2, 3, -1};
    var ws = m.newWorkspace(2);
    float[][] state = {new float[13], new float[13]};
    for (float[] s : state) java.util.Arrays.fill(s, 7f);
    Plasticity pl = new Plasticity(new PlasticitySpec(PlasticitySpec.Kind.CBP, 0.5, 1, 0.5, 0, 0), m, 42);
    m.forward(2, p, x, 0, ws);
    pl.afterForward(2, m, ws, p);
    assertThat(new double[] {pl.utility(0, 0), pl.utility(0, 1), pl.utility(0, 2)}).containsExactly(2, 0.5, 0.625);
    pl.afterStep(p, state);
    assertThat(pl.replaced()).isZero();
    m.forward(2, p, x, 0, ws);
    pl.afterForward(2, m, ws, p);
    assertThat(new double[] {pl.utility(0, 0), pl.utility(0, 1), pl.utility(0, 2)}).containsExactly(3, 0.75, 0.9375);
    float[] before = p.clone();
    pl.afterStep(p, state);
    assertThat(pl.replaced()).isEqualTo(1);
    // unit 1: incoming row (indices 2, 3) drawn again, bias (7) and outgoing weight (10) zero
    assertThat(p[2] != before[2] || p[3] != before[3]).as("new incoming weights").isTrue();
    assertThat(p[7]).isZero();
    assertThat(p[10]).isZero();
    for (int i : new int[] {0, 1, 4, 5, 6, 8, 9, 11, 12}) assertThat(p[i]).as("param %d untouched", i).isEqualTo(before[i]);
    for (float[] s : state)
      for (int i = 0; i < 13; i++) assertThat(s[i]).as("optimizer state %d", i).isEqualTo(i == 2 || i == 3 || i == 7 || i == 10 ? 0f : 7f);
    assertThat(pl.utility(0, 1)).isZero();
    // the network's function is unchanged by the replacement: the unit's outgoing weight is 0
    float[] y1 = m.forward(2, before, x, 0, ws).clone();
    float[] y2 = m.forward(2, p, x, 0, ws);
    assertThat(y2[0]).isCloseTo(y1[0] + 1f * 2 * 1, offset(0f)); // unit 1 gave -1·h1: row 1 h1 = 2
    assertThat(y2[1]).isCloseTo(y1[1], offset(0f)); // row 2: h1 = 0
  }

  @Test
  void cbpNeedsHiddenDenseUnitsAndSpecsAreChecked() {
    assertThatThrownBy(() -> new OnlineLearner(LearnerConfig.of("input(3) dense(2)", "mse",
        OptimizerSpec.defaults("sgd", 0.1f), 1).withAdaptation(Adaptation.NONE.withPlasticity(PlasticitySpec.parse("cbp")))))
        .hasMessageContaining("cbp needs a dense layer feeding another dense layer");
    assertThatThrownBy(() -> PlasticitySpec.parse("cbp(rate=2)")).hasMessageContaining("rate=2");
    assertThat(PlasticitySpec.parse("cbp").toString()).isEqualTo("cbp(rate=1.0E-4, maturity=100, decay=0.99)");
  }

  /** Standardizer, drift detector and continual backprop state go through a checkpoint: the restored learner continues bit for bit. */
  @Test
  void adaptiveStateSurvivesACheckpoint(@TempDir Path dir) throws Exception {
    var cfg = LearnerConfig.of("input(6) dense(9) relu dense(4)", "cross_entropy", OptimizerSpec.defaults("adam", 0.01f), 4)
        .withAdaptation(new Adaptation(true, false, 50, DriftSpec.parse("adwin(clock=4)", "lr(factor=2, steps=5)"),
            PlasticitySpec.parse("cbp(rate=0.05, maturity=5)")));
    OnlineLearner a = new OnlineLearner(cfg);
    feed(a, new SplittableRandom(1), 403, 0);
    assertThat(a.unitsReplaced()).isPositive();
    Checkpoints ck = new Checkpoints(dir, "m", 2);
    ck.write(a.exportState(), Map.of());
    OnlineLearner b = new OnlineLearner(cfg);
    b.importState(ck.latest().latest().orElseThrow().state());
    feed(a, new SplittableRandom(2), 600, 2); // the labels change: drifts and an lr boost happen after the restore
    feed(b, new SplittableRandom(2), 600, 2);
    assertThat(a.drifts()).isPositive();
    assertThat(b.drifts()).isEqualTo(a.drifts());
    assertThat(b.unitsReplaced()).isEqualTo(a.unitsReplaced());
    assertThat(b.liveParams()).containsExactly(a.liveParams());
    assertThat(b.metrics()).isEqualTo(a.metrics());
    assertThat(b.exportState().scalers()).isDeepEqualTo(a.exportState().scalers());
    // a learner configured without them refuses the state, naming the keys
    OnlineLearner plain = new OnlineLearner(cfg.withAdaptation(Adaptation.STANDARD));
    assertThatThrownBy(() -> plain.importState(a.exportState())).hasMessageContaining("drift.detector or plasticity changed?");
  }

  /**
   * Warmed-up training with standardization, a drift detector and plasticity allocates nothing,
   * measured in a fresh JVM (as nn's AllocationTest does): in a JVM that had run LearnerTest's other
   * cases first, 192 bytes per step were seen with plasticity on, whose source was not found.
   */
  @Test
  void adaptiveTrainingAllocatesNothingInAFreshJvm() throws Exception {
    var cmd = new java.util.ArrayList<>(java.util.List.of(
        System.getProperty("java.home") + java.io.File.separator + "bin" + java.io.File.separator + "java",
        "--add-modules", "jdk.incubator.vector", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        AdaptationAllocationProbe.class.getName()));
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(proc.waitFor(180, java.util.concurrent.TimeUnit.SECONDS)).as("probe finished").isTrue();
    assertThat(proc.exitValue()).as("probe exit code; output:%n%s", out).isZero();
    System.out.print(out);
    for (String[] c : AdaptationAllocationProbe.CASES) {
      String prefix = c[0] + "|" + c[1] + "|" + c[2] + "|";
      String line = out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
      assertThat(line).as("probe output for %s:%n%s", prefix, out).isNotNull();
      assertThat(line.substring(prefix.length())).as("bytes allocated by 640 warmed-up examples, %s", prefix).startsWith("0|");
    }
  }

  static void feed(OnlineLearner l, SplittableRandom r, int n, int shift) {
    float[] x = new float[6], y = new float[1];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 6; j++) x[j] = (float) (r.nextGaussian() * (j + 1) + 3 * j);
      int c = r.nextInt(4);
      x[c] += 8; // a learnable class signal
      y[0] = (c + shift) % 4;
      l.add(x, 0, y, 0);
    }
  }
}
