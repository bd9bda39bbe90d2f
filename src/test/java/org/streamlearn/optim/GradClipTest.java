package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tolerances: 1e-6 relative, a few float roundings of a norm and one multiply per element. */
class GradClipTest {
  @Test
  void clipsByGlobalNormAboveTheThreshold() {
    float[] g = {3f, 4f, 0f, 99f, -99f}; // n = 3; the last two are guard cells
    float norm = GradClip.clipByGlobalNorm(g, 3, 1f);
    assertThat(norm).isCloseTo(5f, offset(1e-6f)); // √(9 + 16)
    assertThat(g[0]).isCloseTo(0.6f, offset(1e-6f)); // 3·1/5
    assertThat(g[1]).isCloseTo(0.8f, offset(1e-6f)); // 4·1/5
    assertThat(g[2]).isZero();
    assertThat(g[3]).isEqualTo(99f);
    assertThat(g[4]).isEqualTo(-99f);
  }

  @Test
  void leavesGradientAloneAtOrBelowTheThreshold() {
    float[] g = {3f, 4f, 0f};
    assertThat(GradClip.clipByGlobalNorm(g, 3, 10f)).isCloseTo(5f, offset(1e-6f));
    assertThat(g).containsExactly(3f, 4f, 0f);
    assertThat(GradClip.clipByGlobalNorm(g, 3, 5f)).isCloseTo(5f, offset(1e-6f));
    assertThat(g).containsExactly(3f, 4f, 0f);
  }

  @Test
  void clipsASimdSizedVector() {
    // gᵢ = i − 18 for i in [0, 37): ‖g‖² = 2·Σ_{k=1..18} k² = 2·18·19·37/6 = 4218.
    float[] g = new float[37];
    for (int i = 0; i < 37; i++) g[i] = i - 18;
    float norm = GradClip.clipByGlobalNorm(g, 37, 2f);
    assertThat((double) norm).isCloseTo(Math.sqrt(4218), offset(1e-6 * 65));
    for (int i = 0; i < 37; i++)
      assertThat((double) g[i]).as("g[%d]", i).isCloseTo((i - 18) * 2 / Math.sqrt(4218), offset(1e-6));
  }

  @Test
  void normOfHugeGradientDoesNotOverflow() {
    float[] g = {1e20f, -1e20f, 0f}; // squares overflow float; the norm, 1.414e20, does not
    float norm = GradClip.clipByGlobalNorm(g, 3, 1f);
    assertThat((double) norm).isCloseTo(Math.sqrt(2) * 1e20, offset(1e-6 * 1.5e20));
    assertThat((double) g[0]).isCloseTo(Math.sqrt(0.5), offset(1e-6));
    assertThat((double) g[1]).isCloseTo(-Math.sqrt(0.5), offset(1e-6));
  }

  @Test
  void nonFiniteGradientIsReportedNotScaled() {
    float[] inf = {Float.POSITIVE_INFINITY, 1f, 2f};
    assertThat(GradClip.clipByGlobalNorm(inf, 3, 1f)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(inf).containsExactly(Float.POSITIVE_INFINITY, 1f, 2f);
    float[] nan = {Float.NaN, 1f, 2f};
    assertThat(GradClip.clipByGlobalNorm(nan, 3, 1f)).isNaN();
    assertThat(nan[1]).isEqualTo(1f);
  }

  @Test
  void clipsByValue() {
    float[] g = {-3f, 0.5f, 2f, -0.25f, 7f, 42f}; // n = 5; g[5] is a guard cell
    GradClip.clipByValue(g, 5, 1f);
    assertThat(g).containsExactly(-1f, 0.5f, 1f, -0.25f, 1f, 42f);
  }

  @Test
  void badArgumentsNameTheParameter() {
    assertThatThrownBy(() -> GradClip.clipByGlobalNorm(new float[3], 3, 0f)).hasMessageStartingWith("maxNorm = 0.0");
    assertThatThrownBy(() -> GradClip.clipByValue(new float[3], 3, -1f)).hasMessageStartingWith("limit = -1.0");
    assertThatThrownBy(() -> GradClip.clipByValue(new float[3], 4, 1f)).hasMessageStartingWith("n = 4");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "none | none", " none | none", "norm(1) | norm(1)", "norm( 2.5 ) | norm(2.5)",
      "value(0.5) | value(0.5)", "value(1e-3) | value(0.001)"})
  void clipSpecRoundTrips(String text, String canonical) {
    ClipSpec c = ClipSpec.parse(text);
    assertThat(c).hasToString(canonical);
    assertThat(ClipSpec.parse(c.toString())).isEqualTo(c);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "norm | expected none, norm(x) or value(x)",
      "clip(1) | token \"clip\": expected none, norm or value",
      "norm() | token \"\": expected a positive number",
      "norm(abc) | token \"abc\": expected a positive number",
      "value(-1) | token \"-1\": expected a positive finite number",
      "norm(Infinity) | token \"Infinity\": expected a positive finite number"})
  void badClipSpecs(String text, String message) {
    assertThatThrownBy(() -> ClipSpec.parse(text)).hasMessageStartingWith("clip \"" + text + "\"")
        .hasMessageContaining(message);
  }

  @Test
  void clipSpecApplies() {
    float[] g = {3f, 4f};
    assertThat(ClipSpec.NONE.apply(g, 2)).isNaN();
    assertThat(g).containsExactly(3f, 4f);
    assertThat(ClipSpec.parse("norm(1)").apply(g, 2)).isCloseTo(5f, offset(1e-6f));
    assertThat(g[0]).isCloseTo(0.6f, offset(1e-6f));
    ClipSpec.parse("value(0.7)").apply(g, 2);
    assertThat(g).containsExactly(0.6f, 0.7f);
  }
}
