package org.streamlearn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.streamlearn.codec.DecodeResult.Reason.LABEL_OUT_OF_RANGE;
import static org.streamlearn.codec.DecodeResult.Reason.MALFORMED;
import static org.streamlearn.codec.DecodeResult.Reason.MISSING_LABEL;
import static org.streamlearn.codec.DecodeResult.Reason.NON_FINITE;
import static org.streamlearn.codec.DecodeResult.Reason.WRONG_LENGTH;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {
  final float[] x = new float[20];
  final float[] y = new float[8];

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  DecodeResult.Reason reason(RecordDecoder d, String s) {
    DecodeResult r = d.decode(b(s), x, 0, y, 0);
    assertThat(r.ok()).as("expected a rejection of %s", s).isFalse();
    assertThat(r.detail()).isNotBlank();
    return r.reason();
  }

  @Test
  void csvDecodesIntoOffsetsAndLeavesOtherCellsAlone() {
    RecordDecoder d = RecordDecoder.csv(3, LabelSpec.classes(4), -1);
    java.util.Arrays.fill(x, -7f);
    assertThat(d.decode(b(" 1.5, -2e1 ,3\t,2\r\n"), x, 5, y, 2)).isSameAs(DecodeResult.OK);
    assertThat(x).startsWith(-7f, -7f, -7f, -7f, -7f, 1.5f, -20f, 3f, -7f);
    assertThat(y[2]).isEqualTo(2f);
  }

  @Test
  void csvLabelColumnAndMultiTarget() {
    RecordDecoder first = RecordDecoder.csv(2, LabelSpec.regression(2), 0);
    assertThat(first.decode(b("10,20,1,2"), x, 0, y, 0).ok()).isTrue();
    assertThat(y).startsWith(10f, 20f);
    assertThat(x).startsWith(1f, 2f);
    RecordDecoder middle = RecordDecoder.csv(2, LabelSpec.classes(3), 1);
    assertThat(middle.decode(b("5,2,6"), x, 0, y, 0).ok()).isTrue();
    assertThat(x).startsWith(5f, 6f);
    assertThat(y[0]).isEqualTo(2f);
  }

  @Test
  void csvRejectionsCarryReasons() {
    RecordDecoder d = RecordDecoder.csv(3, LabelSpec.classes(4), -1);
    assertThat(reason(d, "1,2,3")).isEqualTo(WRONG_LENGTH);
    assertThat(reason(d, "1,2,3,1,5")).isEqualTo(WRONG_LENGTH);
    assertThat(reason(d, "1,,3,1")).isEqualTo(MALFORMED);
    assertThat(reason(d, "1,abc,3,1")).isEqualTo(MALFORMED);
    assertThat(reason(d, "1,2.3.4,3,1")).isEqualTo(MALFORMED);
    assertThat(reason(d, "1,NaN,3,1")).isEqualTo(NON_FINITE);
    assertThat(reason(d, "1,-Infinity,3,1")).isEqualTo(NON_FINITE);
    assertThat(reason(d, "1,1e39,3,1")).isEqualTo(NON_FINITE);
    assertThat(reason(d, "1,2,3, ")).isEqualTo(MISSING_LABEL);
    assertThat(reason(d, "1,2,3,4")).isEqualTo(LABEL_OUT_OF_RANGE);
    assertThat(reason(d, "1,2,3,1.5")).isEqualTo(LABEL_OUT_OF_RANGE);
    assertThat(reason(d, "1,2,3,-1")).isEqualTo(LABEL_OUT_OF_RANGE);
    assertThat(reason(d, "")).isEqualTo(MALFORMED);
    assertThat(d.decode(null, x, 0, y, 0).reason()).isEqualTo(MALFORMED);
    assertThat(d.decode(b("1,abc,3,1"), x, 0, y, 0).detail()).isEqualTo("not a number at column 1: 'abc'");
  }

  @Test
  void csvDecodesEveryRowOfTheDigitsDataSet() throws Exception {
    Path digits = Path.of(System.getProperty("streamlearn.datasets", "../shared/datasets"), "digits.csv.gz");
    if (!Files.exists(digits)) digits = Path.of("src/main/resources/datasets/digits.csv.gz");
    RecordDecoder d = RecordDecoder.csv(64, LabelSpec.classes(10), -1);
    float[] row = new float[64];
    int n = 0;
    try (var r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(digits)), StandardCharsets.US_ASCII))) {
      for (String line; (line = r.readLine()) != null; n++) {
        DecodeResult res = d.decode(b(line), row, 0, y, 0);
        assertThat(res.ok()).as("row %d: %s", n, res).isTrue();
        String[] f = line.split(",");
        for (int i = 0; i < 64; i++) assertThat(row[i]).isEqualTo(Float.parseFloat(f[i]));
        assertThat(y[0]).isEqualTo(Float.parseFloat(f[64]));
      }
    }
    assertThat(n).isEqualTo(1797);
  }

  @Test
  void jsonDecodesFlatNestedAndMultiTarget() {
    RecordDecoder d = RecordDecoder.json(4, LabelSpec.classes(3), "x", "y");
    assertThat(d.decode(b("{\"id\":{\"a\":[1,{}]},\"x\":[1,2.5,-3e0,4],\"y\":2}"), x, 1, y, 1)).isSameAs(DecodeResult.OK);
    assertThat(x).startsWith(0f, 1f, 2.5f, -3f, 4f);
    assertThat(y[1]).isEqualTo(2f);
    assertThat(d.decode(b("{\"y\":1, \"x\":[[1,2],[3,4]]}"), x, 0, y, 0).ok()).isTrue();
    assertThat(x).startsWith(1f, 2f, 3f, 4f);

    RecordDecoder reg = RecordDecoder.json(2, LabelSpec.regression(2), "pixels", "target");
    assertThat(reg.decode(b("{\"pixels\":[7,8],\"target\":[0.5,-1]}"), x, 0, y, 0).ok()).isTrue();
    assertThat(y).startsWith(0.5f, -1f);
  }

  @Test
  void jsonRejectionsCarryReasons() {
    RecordDecoder d = RecordDecoder.json(2, LabelSpec.classes(3), "x", "y");
    assertThat(reason(d, "{\"x\":[1,2,3],\"y\":1}")).isEqualTo(WRONG_LENGTH);
    assertThat(reason(d, "{\"x\":[1],\"y\":1}")).isEqualTo(WRONG_LENGTH);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":[1,2]}")).isEqualTo(WRONG_LENGTH);
    assertThat(reason(d, "{\"x\":[1,\"a\"],\"y\":1}")).isEqualTo(MALFORMED);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":1")).isEqualTo(MALFORMED);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":1} {}")).isEqualTo(MALFORMED);
    assertThat(reason(d, "[1,2]")).isEqualTo(MALFORMED);
    assertThat(reason(d, "{\"y\":1}")).isEqualTo(MALFORMED);
    assertThat(reason(d, "{\"x\":[1,NaN],\"y\":1}")).isEqualTo(NON_FINITE);
    assertThat(reason(d, "{\"x\":[1,1e300],\"y\":1}")).isEqualTo(NON_FINITE);
    assertThat(reason(d, "{\"x\":[1,2]}")).isEqualTo(MISSING_LABEL);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":null}")).isEqualTo(MISSING_LABEL);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":3}")).isEqualTo(LABEL_OUT_OF_RANGE);
    assertThat(reason(d, "{\"x\":[1,2],\"y\":0.5}")).isEqualTo(LABEL_OUT_OF_RANGE);
  }

  @Test
  void f32DecodesLittleEndianAndRejects() {
    RecordDecoder d = RecordDecoder.f32(3, LabelSpec.regression(1));
    ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.25f).putFloat(-2f).putFloat(3e-5f).putFloat(42f);
    assertThat(d.decode(bb.array(), x, 2, y, 3)).isSameAs(DecodeResult.OK);
    assertThat(x).startsWith(0f, 0f, 1.25f, -2f, 3e-5f);
    assertThat(y[3]).isEqualTo(42f);
    assertThat(d.decode(new byte[15], x, 0, y, 0).reason()).isEqualTo(WRONG_LENGTH);
    bb.putFloat(4, Float.NaN);
    assertThat(d.decode(bb.array(), x, 0, y, 0).reason()).isEqualTo(NON_FINITE);
    RecordDecoder c = RecordDecoder.f32(1, LabelSpec.classes(2));
    byte[] two = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0f).putFloat(2f).array();
    assertThat(c.decode(two, x, 0, y, 0).reason()).isEqualTo(LABEL_OUT_OF_RANGE);
  }

  @Test
  void successAllocatesNothingInCsvF32AndJson() {
    var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    RecordDecoder csv = RecordDecoder.csv(3, LabelSpec.classes(4), -1);
    RecordDecoder f32 = RecordDecoder.f32(3, LabelSpec.regression(1));
    RecordDecoder json = RecordDecoder.json(3, LabelSpec.classes(4), "x", "y");
    byte[] line = b("1.5,-2e1,3,2\n");
    byte[] raw = new byte[16];
    byte[] obj = b("{\"x\": [1.5, -2e1, 3], \"y\": 2}");
    for (int i = 0; i < 20_000; i++) { // warm up so the JIT has compiled (and scalar-replaced) the path
      csv.decode(line, x, 0, y, 0);
      f32.decode(raw, x, 0, y, 0);
      json.decode(obj, x, 0, y, 0);
    }
    long before = mx.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 10_000; i++) {
      csv.decode(line, x, 0, y, 0);
      f32.decode(raw, x, 0, y, 0);
      json.decode(obj, x, 0, y, 0);
    }
    // Measuring itself allocates a few bytes at most; 10,000 allocating decodes would be >= 160 kB.
    assertThat(mx.getCurrentThreadAllocatedBytes() - before).isLessThan(10_000);
  }

  /**
   * The JSON fast scanner and Jackson agree: the same verdict, reason and values (within one ulp:
   * the scanner parses digits itself, Jackson through Double.parseDouble then a float cast) on
   * valid records in many spellings and on near-misses that only Jackson may judge.
   */
  @Test
  void jsonFastPathAgreesWithJackson() {
    RecordDecoder json = RecordDecoder.json(4, LabelSpec.classes(3), "x", "y");
    RecordDecoder seq = RecordDecoder.json(4, LabelSpec.regression(2), "feat", "target");
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    for (int k = 0; k < 2000; k++) {
      float[] v = new float[4];
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < 4; j++) {
        float f = (float) ((r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(-8, 9)));
        String t = switch (r.nextInt(3)) {
          case 0 -> Float.toString(f).replace("E", "e");
          case 1 -> String.format(java.util.Locale.ROOT, "%.6e", f);
          default -> new java.math.BigDecimal(f).toPlainString();
        };
        v[j] = Float.parseFloat(t); // what the text says, correctly rounded
        sb.append(j == 0 ? "" : r.nextBoolean() ? ", " : ",").append(t);
      }
      int label = r.nextInt(3);
      String rec = r.nextBoolean() ? "{\"x\":[" + sb + "],\"y\":" + label + "}"
          : " {\n \"y\" : " + label + " ,\t\"x\" : [ " + sb + " ] }\n";
      assertThat(json.decode(b(rec), x, 0, y, 0)).as(rec).isSameAs(DecodeResult.OK);
      for (int j = 0; j < 4; j++)
        assertThat(Math.abs(x[j] - v[j])).as("%s x[%d]", rec, j).isLessThanOrEqualTo(Math.ulp(v[j]) * 1.01f);
      assertThat(y[0]).isEqualTo(label);
    }
    assertThat(seq.decode(b("{\"feat\":[[1,2],[3,4]],\"target\":[0.5,-1]}"), x, 0, y, 0)).isSameAs(DecodeResult.OK);
    assertThat(x).startsWith(1f, 2f, 3f, 4f);
    assertThat(y).startsWith(0.5f, -1f);
    // Near-misses: the scanner declines, Jackson names the reason.
    String[][] cases = {
        {"{\"x\":[1,2,3],\"y\":1}", "WRONG_LENGTH"}, {"{\"x\":[1,2,3,4,5],\"y\":1}", "WRONG_LENGTH"},
        {"{\"x\":[1,2,3,4],\"y\":3}", "LABEL_OUT_OF_RANGE"}, {"{\"x\":[1,2,3,4],\"y\":1.5}", "LABEL_OUT_OF_RANGE"},
        {"{\"x\":[1,2,3,4]}", "MISSING_LABEL"}, {"{\"x\":[1,2,3,4],\"y\":null}", "MISSING_LABEL"},
        {"{\"x\":[1,2,3,1e39],\"y\":1}", "NON_FINITE"}, {"{\"x\":[1,2,3,NaN],\"y\":1}", "NON_FINITE"},
        {"{\"x\":[1,2,3,01],\"y\":1}", "MALFORMED"}, {"{\"x\":[1,2,3,4,],\"y\":1}", "MALFORMED"},
        {"{\"x\":[1,2,3,.5],\"y\":1}", "MALFORMED"}, {"{\"x\":[1,2,3,4],\"y\":1} x", "MALFORMED"},
        {"{\"x\":[1,2,3,4],\"y\":1,}", "MALFORMED"}, {"{\"x\":[1,2,3,4] \"y\":1}", "MALFORMED"},
    };
    for (String[] c : cases) assertThat(json.decode(b(c[0]), x, 0, y, 0).reason()).as(c[0]).hasToString(c[1]);
    // Valid but outside the fast shape: Jackson accepts.
    assertThat(json.decode(b("{\"x\":[1,2,3,4],\"y\":1,\"id\":\"a\\u0041\"}"), x, 0, y, 0)).isSameAs(DecodeResult.OK);
    assertThat(json.decode(b("{\"x\":[1,2,3,4],\"y\":[2]}"), x, 0, y, 0)).isSameAs(DecodeResult.OK);
  }
}
