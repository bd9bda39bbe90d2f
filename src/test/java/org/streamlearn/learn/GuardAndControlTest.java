package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.optim.OptimizerSpec;

/**
 * The divergence guard's cases beyond a non-finite loss or gradient (an update that overflows the
 * weights), the monotonic version line across rollbacks, and the two learner-side controls of the
 * HTTP API: {@link OnlineLearner#reset()} and {@link OnlineLearner#setLearningRate}. Seeds fixed.
 */
class GuardAndControlTest {
  static final String MLP = "input(5) dense(8) relu dense(3)";

  static OnlineLearner learner(String optimizer, float lr, int batch, int backupEvery) {
    return new OnlineLearner(LearnerConfig.of(MLP, "cross_entropy", OptimizerSpec.defaults(optimizer, lr), batch)
        .withGuard(0.5f, backupEvery));
  }

  /** Feeds n examples of a fixed stream (seeded) into the learner. */
  static void feed(OnlineLearner l, SplittableRandom r, int n) {
    feed(l, r, n, 1f);
  }

  /** Features scaled by {@code scale}: 1e4 gives gradients in the thousands, finite loss. */
  static void feed(OnlineLearner l, SplittableRandom r, int n, float scale) {
    for (int i = 0; i < n; i++) {
      float[] x = new float[5];
      for (int j = 0; j < 5; j++) x[j] = scale * (float) r.nextGaussian();
      l.add(x, 0, new float[] {i % 3}, 0);
    }
  }

  static boolean allFinite(float[] a) {
    for (float v : a) if (!Float.isFinite(v)) return false;
    return true;
  }

  @Test
  void anUpdateThatOverflowsTheWeightsIsRolledBackBeforeTheBackup() {
    // Momentum (not the direct-SGD path): a finite gradient times a huge rate overflows to ±Inf.
    OnlineLearner l = learner("momentum", 0.01f, 4, 1);
    SplittableRandom r = new SplittableRandom(21);
    feed(l, r, 40);
    float[] good = l.liveParams().clone();
    long v = l.step();
    l.setLearningRate(1e36); // × a gradient in the thousands: past Float.MAX_VALUE
    feed(l, r, 4, 1e4f);
    assertThat(l.divergences()).isEqualTo(1);
    Divergence d = l.lastDivergence();
    assertThat(d.cause()).isEqualTo("parameters");
    assertThat(d.step()).isEqualTo(v + 1);
    assertThat(d.rolledBackTo()).isEqualTo(v);
    assertThat(d.lrBefore()).isBetween(0.99e36f, 1.01e36f);
    assertThat(d.lrAfter()).isEqualTo(d.lrBefore() * 0.5f);
    assertThat(d.loss()).isNaN();
    assertThat(d.gradNorm()).isFinite();
    assertThat(l.liveParams()).containsExactly(good);
    assertThat(l.step()).as("versions never go back").isEqualTo(v + 1);
    assertThat(d.versionAfter()).isEqualTo(v + 1);
    assertThat(l.rolledBackExamples()).as("the overflowed step's batch").isEqualTo(4);
    assertThat(allFinite(l.snapshot().params())).isTrue();
  }

  @Test
  void overflowOnTheDirectSgdPathIsCaughtToo() {
    OnlineLearner l = learner("sgd", 0.1f, 4, 1);
    assertThat(l.usesDirectSgd()).isTrue();
    SplittableRandom r = new SplittableRandom(22);
    feed(l, r, 20);
    l.setLearningRate(1e36);
    feed(l, r, 4, 1e4f);
    assertThat(l.divergences()).isPositive();
    assertThat(allFinite(l.liveParams())).isTrue();
  }

  @Test
  void aSnapshotBetweenBackupsNeverCarriesAnOverflowedWeight() {
    OnlineLearner l = learner("momentum", 0.01f, 4, 1000); // backups far apart: the snapshot must catch it
    SplittableRandom r = new SplittableRandom(23);
    feed(l, r, 40);
    l.setLearningRate(1e36);
    feed(l, r, 4, 1e4f);
    assertThat(allFinite(l.liveParams())).as("live params overflowed (the setup works)").isFalse();
    Snapshot s = l.snapshot();
    assertThat(allFinite(s.params())).isTrue();
    assertThat(l.lastDivergence().cause()).isEqualTo("parameters");
    assertThat(l.lastDivergence().rolledBackTo()).isZero(); // the initial state was the only good copy
    assertThat(s.version()).isEqualTo(11);
  }

  @Test
  void versionsGoOnAfterARollbackWhileTheOptimizerRewinds() {
    OnlineLearner l = learner("adam", 0.01f, 2, 5);
    SplittableRandom r = new SplittableRandom(24);
    feed(l, r, 14); // 7 steps; the good copy is from step 5
    assertThat(l.step()).isEqualTo(7);
    l.add(new float[] {Float.NaN, 0, 0, 0, 0}, 0, new float[] {1}, 0);
    l.add(new float[] {0, 0, 0, 0, 0}, 0, new float[] {1}, 0);
    assertThat(l.divergences()).isEqualTo(1);
    assertThat(l.lastDivergence().cause()).isEqualTo("loss");
    assertThat(l.lastDivergence().rolledBackTo()).isEqualTo(5);
    // The failed batch takes version 8, which names the rolled-back weights (version 7 may have
    // been published with the discarded ones): a version never names two sets of weights.
    assertThat(l.step()).isEqualTo(8);
    assertThat(l.lastDivergence().versionAfter()).isEqualTo(8);
    assertThat(l.optimizer().t()).isEqualTo(5);
    assertThat(l.rolledBackExamples()).as("steps 6 and 7, and the failed batch").isEqualTo(6);
    assertThat(l.examples()).isEqualTo(14);
    feed(l, r, 2);
    assertThat(l.step()).isEqualTo(9);
    assertThat(l.lastDivergenceStep()).isEqualTo(7);
    // A second rollback to the same good copy counts only what came after the first.
    l.add(new float[] {Float.NaN, 0, 0, 0, 0}, 0, new float[] {1}, 0);
    l.add(new float[] {0, 0, 0, 0, 0}, 0, new float[] {1}, 0);
    assertThat(l.lastDivergence().rolledBackTo()).isEqualTo(5);
    assertThat(l.step()).isEqualTo(10);
    assertThat(l.rolledBackExamples()).isEqualTo(6 + 2 + 2);
  }

  @Test
  void resetStartsTheModelAgainButKeepsTheVersionLine() {
    OnlineLearner l = learner("adam", 0.01f, 4, 3);
    OnlineLearner fresh = learner("adam", 0.01f, 4, 3);
    float[] init = fresh.liveParams().clone();
    feed(l, new SplittableRandom(25), 80); // 20 steps
    l.setLearningRate(0.5);
    l.add(new float[] {1, 2, 3, 4, 5}, 0, new float[] {2}, 0); // a row in the batch being assembled
    long examples = l.examples();
    l.reset();
    assertThat(l.liveParams()).containsExactly(init);
    assertThat(l.step()).isEqualTo(20);
    assertThat(l.optimizer().t()).isZero();
    for (float[] s : l.optimizer().stateBuffers()) assertThat(allFinite(s) && java.util.Arrays.equals(s, new float[s.length])).isTrue();
    assertThat(l.learningRate()).isEqualTo(0.01f);
    assertThat(l.pending()).isEqualTo(1);
    assertThat(l.examples()).isEqualTo(examples);
    // From here it trains exactly as a new learner given the same rows: bias corrections restart.
    fresh.add(new float[] {1, 2, 3, 4, 5}, 0, new float[] {2}, 0);
    feed(l, new SplittableRandom(26), 39);
    feed(fresh, new SplittableRandom(26), 39);
    assertThat(l.liveParams()).containsExactly(fresh.liveParams());
    assertThat(l.step()).isEqualTo(30);
    assertThat(fresh.step()).isEqualTo(10);
  }

  @Test
  void setLearningRateSetsTheBaseTheScheduleScales() {
    OnlineLearner c = learner("sgd", 0.1f, 1, 100);
    assertThat(c.setLearningRate(0.025)).isEqualTo(0.025f);
    OnlineLearner warm = new OnlineLearner(LearnerConfig.of(MLP, "cross_entropy", OptimizerSpec.defaults("sgd", 0.1f), 1)
        .withSchedule("cosine(warmup=10,total=100)"));
    float before = warm.learningRate(); // first warm-up step: base / 10
    assertThat(warm.setLearningRate(0.2)).isCloseTo(before * 2, org.assertj.core.api.Assertions.within(1e-7f));
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300})
      assertThatThrownBy(() -> c.setLearningRate(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("value = ");
    assertThat(c.learningRate()).isEqualTo(0.025f);
  }

  /** Origin, good version and lr override go through a checkpoint file: the copy continues bit for bit. */
  @Test
  void resetsRollbacksAndRateOverridesSurviveACheckpoint(@TempDir Path dir) throws Exception {
    OnlineLearner l = learner("adam", 0.01f, 2, 4);
    SplittableRandom r = new SplittableRandom(27);
    feed(l, r, 20);
    l.reset();
    feed(l, r, 10);
    l.add(new float[] {Float.POSITIVE_INFINITY, 0, 0, 0, 0}, 0, new float[] {0}, 0);
    l.add(new float[] {0, 0, 0, 0, 0}, 0, new float[] {0}, 0);
    l.setLearningRate(0.003);
    feed(l, r, 3);
    var ck = new Checkpoints(dir, "g", 2);
    var file = ck.write(l.exportState(), Map.of("t-0", 33L));
    OnlineLearner copy = learner("adam", 0.01f, 2, 4);
    copy.importState(Checkpoints.read(file).state());
    assertThat(copy.step()).isEqualTo(l.step());
    assertThat(copy.learningRate()).isEqualTo(0.003f);
    var r1 = new SplittableRandom(28);
    var r2 = new SplittableRandom(28);
    feed(l, r1, 21);
    feed(copy, r2, 21);
    assertThat(copy.liveParams()).containsExactly(l.liveParams());
    assertThat(copy.step()).isEqualTo(l.step());
    assertThat(copy.optimizer().t()).isEqualTo(l.optimizer().t());
  }
}
