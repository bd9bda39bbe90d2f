package org.streamlearn.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Every input either decodes or is rejected with a reason: nothing escapes as an exception. */
class RecordDecoderPropertiesTest {
  static final List<RecordDecoder> DECODERS = List.of(
      RecordDecoder.csv(3, LabelSpec.classes(4), -1),
      RecordDecoder.csv(2, LabelSpec.regression(2), 0),
      RecordDecoder.json(3, LabelSpec.classes(4), "x", "y"),
      RecordDecoder.json(2, LabelSpec.regression(2), "x", "y"),
      RecordDecoder.f32(3, LabelSpec.classes(4)),
      RecordDecoder.f32(1, LabelSpec.regression(3)));

  static void decodesOrRejects(byte[] input) {
    float[] x = new float[8], y = new float[8];
    for (RecordDecoder d : DECODERS) {
      DecodeResult r = d.decode(input, x, 1, y, 1);
      assertThat(r).isNotNull();
      if (!r.ok()) assertThat(r.detail()).isNotBlank();
      else for (float v : x) assertThat(Float.isFinite(v)).as("decoded values are finite").isTrue();
    }
  }

  @Property(tries = 2000)
  void randomBytes(@ForAll @Size(max = 64) byte[] input) {
    decodesOrRejects(input);
  }

  @Property(tries = 3000)
  void hostileText(@ForAll("hostile") String text) {
    decodesOrRejects(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Strings built from the tokens decoders look at, so they get deep into both parsers. */
  @Provide
  Arbitrary<String> hostile() {
    Arbitrary<String> token = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"x\"", "\"y\"", "\"z\"", "1", "-2.5e3",
        "1e39", "1e-50", "NaN", "Infinity", "-", ".", "e", "null", "true", "\"", "\\", " ", "\n", "\r", "3",
        "0.999999999999999999999", "99999999999999999999999", "1e99999", "\u0000", "é", "\"x\":[1,2,3]", "\"y\":1");
    return token.list().ofMaxSize(30).map(l -> String.join("", l));
  }

  @Property(tries = 1000)
  void wellFormedCsvRoundTrips(@ForAll("floats3") List<Float> xs, @ForAll("label") int label) {
    String line = xs.get(0) + "," + xs.get(1) + "," + xs.get(2) + "," + label;
    float[] x = new float[3], y = new float[1];
    DecodeResult r = DECODERS.getFirst().decode(line.getBytes(StandardCharsets.US_ASCII), x, 0, y, 0);
    assertThat(r.ok()).as(line + " -> " + r).isTrue();
    for (int i = 0; i < 3; i++) assertThat(Math.abs(x[i] - xs.get(i))).isLessThanOrEqualTo(Math.ulp(xs.get(i)));
    assertThat(y[0]).isEqualTo(label);
  }

  @Provide
  Arbitrary<List<Float>> floats3() {
    return Arbitraries.floats().between(-1e30f, 1e30f).list().ofSize(3);
  }

  @Provide
  Arbitrary<Integer> label() {
    return Arbitraries.integers().between(0, 3);
  }
}
