package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Page-Hinkley and ADWIN (River's defaults) on synthetic loss series: Gaussian, sd 0.2, mean 0.5 up
 * to a known change point, then 1.5. Each must detect the rise within a stated delay and raise no
 * alarm on a stationary series of 50,000 values (seeds 11-13). Longer stationary series do make
 * Page-Hinkley with River's defaults alarm: at 100,000 values seed 12 had a first alarm at value
 * 81,389 (the forgetting α = 0.9999 lets the cumulative sum wander past λ = 50 now and then).
 */
class DriftDetectorTest {
  static final int CHANGE = 3000;

  static double[] series(long seed, int n, int change, double before, double after) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = (i < change ? before : after) + 0.2 * r.nextGaussian();
    return x;
  }

  static DriftDetector detector(String spec) {
    return DriftSpec.newDetector(spec);
  }

  /** Index of the first detection, or -1. */
  static int first(DriftDetector d, double[] x) {
    for (int i = 0; i < x.length; i++) if (d.update(x[i])) return i;
    return -1;
  }

  @ParameterizedTest
  @ValueSource(strings = {"page_hinkley", "adwin"})
  void detectsARiseWithin100Values(String spec) {
    for (long seed = 1; seed <= 5; seed++) {
      double[] x = series(seed, CHANGE + 1000, CHANGE, 0.5, 1.5);
      int at = first(detector(spec), x);
      System.out.printf("%s seed %d: change at %d, detected at %d (delay %d)%n", spec, seed, CHANGE, at, at - CHANGE);
      assertThat(at).as("%s seed %d: detection index (change at %d)", spec, seed, CHANGE)
          .isGreaterThanOrEqualTo(CHANGE).isLessThan(CHANGE + 100);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"page_hinkley", "adwin"})
  void noFalseAlarmOnAStationarySeriesOf50000(String spec) {
    for (long seed = 11; seed <= 13; seed++) {
      DriftDetector d = detector(spec);
      double[] x = series(seed, 50_000, Integer.MAX_VALUE, 0.5, 0.5);
      assertThat(first(d, x)).as("%s seed %d: first alarm on a stationary series", spec, seed).isEqualTo(-1);
      if (d instanceof Adwin a) assertThat(a.changes()).as("adwin changes either way").isZero();
    }
  }

  /** A falling loss (the learner improving) is a change for ADWIN but not a drift to report. */
  @Test
  void aFallIsNotReported() {
    double[] x = series(3, CHANGE + 1000, CHANGE, 1.5, 0.5);
    Adwin a = new Adwin(0.002, 32);
    assertThat(first(a, x)).isEqualTo(-1);
    assertThat(a.changes()).isPositive();
    assertThat(a.width()).as("the window dropped the old level").isLessThan(CHANGE);
    assertThat(first(detector("page_hinkley"), x)).isEqualTo(-1);
  }

  /** Page-Hinkley by hand on five values (δ = 0.1, λ = 1, α = 1, min_instances 1). */
  @Test
  void pageHinkleyHandWorked() {
    PageHinkley ph = new PageHinkley(0.1, 1, 1, 1);
    // x: 0, 0, 0 -> mean 0, S = -0.1, -0.2, -0.3 (M follows). x = 2: mean 0.5, S = -0.3 + 2 - 0.5 - 0.1 = 1.1;
    // S - M = 1.4 > 1: drift.
    assertThat(ph.update(0)).isFalse();
    assertThat(ph.update(0)).isFalse();
    assertThat(ph.update(0)).isFalse();
    assertThat(ph.update(2)).isTrue();
    // the next value starts afresh: one value, S = -0.1, no drift
    assertThat(ph.update(5)).isFalse();
    assertThat(ph.statistic()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"page_hinkley(threshold=20)", "adwin(clock=8)"})
  void exportRestoreContinuesExactly(String spec) {
    double[] x = series(9, 6000, 2500, 0.5, 1.2);
    DriftDetector a = detector(spec), b = detector(spec);
    for (int i = 0; i < 2600; i++) a.update(x[i]);
    b.restore(a.export());
    for (int i = 2600; i < x.length; i++) assertThat(b.update(x[i])).as("value %d", i).isEqualTo(a.update(x[i]));
    assertThat(b.export()).containsExactly(a.export());
  }

  @Test
  void specsAreCheckedWithTheBadTokenNamed() {
    assertThatThrownBy(() -> DriftSpec.parse("adwin(delta=2)", "none")).hasMessageContaining("delta=2");
    assertThatThrownBy(() -> DriftSpec.parse("cusum", "none")).hasMessageContaining("\"cusum\"");
    assertThatThrownBy(() -> DriftSpec.parse("adwin", "lr(factor=0.5)")).hasMessageContaining("factor=0.5");
    var s = DriftSpec.parse("page_hinkley(threshold=25)", "lr(factor=4, steps=50)");
    assertThat(s.action()).isEqualTo(DriftSpec.Action.LR);
    assertThat(s.lrFactor()).isEqualTo(4);
    assertThat(s.lrSteps()).isEqualTo(50);
    assertThat(DriftSpec.parse("none", "reset_optimizer").enabled()).isFalse();
  }
}
