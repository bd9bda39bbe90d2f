package org.streamlearn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The CSV float parser against Float.parseFloat: within 1 ulp (see AsciiFloat's precision note). */
class AsciiFloatTest {
  static float parse(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return (float) AsciiFloat.parse(b, 0, b.length);
  }

  static void withinOneUlp(String s) {
    float expected = Float.parseFloat(s), actual = parse(s);
    assertThat(Math.abs(actual - expected)).as(s + ": " + actual + " vs " + expected).isLessThanOrEqualTo(Math.ulp(expected));
  }

  @Test
  void examples() {
    assertThat(parse("0")).isEqualTo(0f);
    assertThat(parse("-0.0")).isEqualTo(-0f);
    assertThat(parse("16")).isEqualTo(16f);
    assertThat(parse("+1.5")).isEqualTo(1.5f);
    assertThat(parse(".5")).isEqualTo(0.5f);
    assertThat(parse("5.")).isEqualTo(5f);
    assertThat(parse("316.1")).isEqualTo(316.1f);
    assertThat(parse("1E3")).isEqualTo(1000f);
    assertThat(parse("3.4028235e38")).isEqualTo(Float.MAX_VALUE);
    assertThat(parse("1.4e-45")).isEqualTo(Float.MIN_VALUE);
    assertThat(parse("1e-60")).isEqualTo(0f);
    assertThat(Float.isInfinite(parse("1e39"))).isTrue();
    assertThat(parse("0.000000000000000000000000000001234567")).isEqualTo(1.234567e-30f);
    assertThat(parse("123456789012345678901234567890")).isEqualTo(1.2345679e29f);
    for (String bad : new String[] {"", "-", ".", "e5", "1e", "1e+", "1.2.3", "1,2", "0x10", "NaN", "inf", " 1", "1 "}) {
      assertThat(Double.isNaN(AsciiFloat.parse(bad.getBytes(StandardCharsets.US_ASCII), 0, bad.length()))).as(bad).isTrue();
    }
  }

  @Property(tries = 5000)
  void shortestFloatStrings(@ForAll float f) {
    if (Float.isFinite(f)) withinOneUlp(Float.toString(f));
  }

  @Property(tries = 3000)
  void fixedDecimals(@ForAll @DoubleRange(min = -1e6, max = 1e6) double d, @ForAll @IntRange(min = 0, max = 9) int places) {
    withinOneUlp(String.format(java.util.Locale.ROOT, "%." + places + "f", d));
  }

  @Property(tries = 2000)
  void integersUpTo2pow24AreExact(@ForAll @IntRange(min = -(1 << 24), max = 1 << 24) int i) {
    assertThat(parse(Integer.toString(i))).isEqualTo((float) i);
  }
}
