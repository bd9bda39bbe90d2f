package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Expected values are written out by hand; tolerance 1e-6 relative (float result, double math). */
class ScheduleTest {
  static final float BASE = 0.1f;

  static void assertLr(Schedule s, long step, double expected) {
    assertThat((double) s.lr(step)).as("%s at step %d", s, step)
        .isCloseTo(expected, offset(1e-6 * expected + 1e-12));
  }

  @Test
  void constant() {
    Schedule s = Schedule.parse("constant", BASE);
    assertLr(s, 0, 0.1);
    assertLr(s, 7, 0.1);
    assertLr(s, 1_000_000_000L, 0.1);
  }

  @Test
  void stepHalvesEveryTenSteps() {
    Schedule s = Schedule.parse("step(every=10,gamma=0.5)", BASE);
    assertLr(s, 0, 0.1);
    assertLr(s, 9, 0.1); // last step of the first block
    assertLr(s, 10, 0.05); // boundary
    assertLr(s, 19, 0.05);
    assertLr(s, 20, 0.025);
    assertLr(s, 35, 0.0125);
  }

  @Test
  void exponential() {
    Schedule s = Schedule.parse("exponential(gamma=0.9)", BASE);
    assertLr(s, 0, 0.1);
    assertLr(s, 1, 0.09);
    assertLr(s, 2, 0.081);
    assertLr(s, 10, 0.1 * 0.3486784401); // 0.9^10
  }

  @Test
  void cosineWithWarmup() {
    Schedule s = Schedule.parse("cosine(warmup=4,total=14,min=0.01)", BASE);
    assertLr(s, 0, 0.025); // base·1/4: warm-up starts near, not at, 0
    assertLr(s, 1, 0.05);
    assertLr(s, 3, 0.1); // last warm-up step reaches base
    assertLr(s, 4, 0.1); // decay starts at base: cos(0) = 1
    assertLr(s, 9, 0.055); // halfway: min + (base − min)·½ = 0.01 + 0.045
    assertLr(s, 13, 0.01 + 0.045 * (1 - 0.9510565162951535)); // cos(0.9π) = −0.95105…
    assertLr(s, 14, 0.01); // total: min
    assertLr(s, 1_000_000, 0.01); // after total: stays at min
  }

  @Test
  void cosineSeriesMatchesStrictMath() {
    double worst = 0;
    for (int i = 0; i <= 100_000; i++) {
      double f = i / 100_000.0;
      worst = Math.max(worst, Math.abs(Schedule.Cosine.cosPi(f) - StrictMath.cos(Math.PI * f)));
    }
    assertThat(worst).isLessThan(1e-14);
    assertThat(Schedule.Cosine.cosPi(0)).isEqualTo(1.0);
    assertThat(Schedule.Cosine.cosPi(1)).isEqualTo(-1.0);
  }

  @Test
  void cosineWithoutWarmupStartsAtBase() {
    Schedule s = Schedule.parse("cosine(warmup=0,total=10,min=0)", BASE);
    assertLr(s, 0, 0.1);
    assertLr(s, 5, 0.05);
    assertThat(s.lr(10)).isZero();
    assertThat(s.lr(11)).isZero();
  }

  @Test
  void invsqrt() {
    Schedule s = Schedule.parse("invsqrt(warmup=4)", BASE);
    assertLr(s, 0, 0.025);
    assertLr(s, 3, 0.1);
    assertLr(s, 4, 0.1); // √4/√4
    assertLr(s, 16, 0.05); // √4/√16
    assertLr(s, 100, 0.02); // √4/√100
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "constant | constant",
      "constant() | constant",
      "step | step(every=1000,gamma=0.5)",
      "step( gamma = 0.25 , every = 7 ) | step(every=7,gamma=0.25)",
      "exponential | exponential(gamma=0.999)",
      "cosine | cosine(warmup=100,total=10000,min=0)",
      "cosine(total=500,min=1e-5,warmup=0) | cosine(warmup=0,total=500,min=1.0E-5)",
      "invsqrt | invsqrt(warmup=100)",
      "invsqrt(warmup=4000) | invsqrt(warmup=4000)"})
  void canonicalTextRoundTrips(String text, String canonical) {
    Schedule s = Schedule.parse(text, BASE);
    assertThat(s).hasToString(canonical);
    assertThat(Schedule.parse(s.toString(), BASE)).isEqualTo(s);
    assertThat(s.base()).isEqualTo(BASE);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "linear | token \"linear\": expected one of constant, step(",
      "step(every=0) | token \"every=0\": expected an integer >= 1 for every",
      "step(every=ten) | token \"every=ten\": expected an integer",
      "step(gamma=1.5) | token \"gamma=1.5\": expected a number in (0, 1] for gamma",
      "step(every=10,every=20) | token \"every\": expected each key at most once",
      "exponential(rate=0.9) | token \"rate\": expected one of [gamma]",
      "exponential(gamma) | token \"gamma\": expected key=value",
      "exponential(gamma=) | token \"gamma=\": expected a value",
      "cosine(warmup=5 | expected a closing ')'",
      "cosine(warmup=100,total=50) | total = 50: must be > warmup = 100",
      "cosine(min=0.5) | min = 0.5: must be in [0, base lr",
      "cosine(min=-1) | token \"min=-1\": expected a number in [0, inf) for min",
      "invsqrt(warmup=0) | token \"warmup=0\": expected an integer >= 1 for warmup"})
  void badSpecsNameTheTokenAndWhatWasExpected(String text, String message) {
    assertThatThrownBy(() -> Schedule.parse(text, BASE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("schedule \"" + text + "\"")
        .hasMessageContaining(message);
  }

  @ParameterizedTest
  @ValueSource(floats = {0f, -0.1f, Float.NaN, Float.POSITIVE_INFINITY})
  void badBaseLr(float base) {
    assertThatThrownBy(() -> Schedule.parse("constant", base)).hasMessageStartingWith("baseLr = ");
  }

  @Test
  void negativeStepIsRejected() {
    assertThatThrownBy(() -> Schedule.parse("constant", BASE).lr(-1)).hasMessageContaining("step = -1");
  }
}
