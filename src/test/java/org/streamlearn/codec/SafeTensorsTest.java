package org.streamlearn.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  /** params: 2 guard cells, W [3×2], b [2], 1 guard cell. */
  static final float[] PARAMS = {99, 99, 0.5f, -1.25f, 3e-7f, 1e20f, -0f, 7, 0.1f, -0.2f, 99};
  static final List<TensorRef> REFS = List.of(new TensorRef("dense0.W", 2, new int[] {3, 2}),
      new TensorRef("dense0.b", 8, new int[] {2}));
  static final Map<String, String> META = new LinkedHashMap<>();

  static {
    META.put(SafeTensors.META_MODEL, "digits");
    META.put(SafeTensors.META_VERSION, "42");
    META.put(SafeTensors.META_CREATED, "2026-11-22T19:00:00Z");
    META.put(SafeTensors.META_OFFSETS, "{\"digits.train-0\":1234}");
    META.put(SafeTensors.META_SPEC, "input(3) dense(2)");
    META.put(SafeTensors.META_METRICS, "{\"loss\":0.25,\"accuracy\":0.9}");
  }

  @Test
  void layoutFollowsTheSpec() throws Exception {
    byte[] bytes = SafeTensors.write(PARAMS, REFS, META);
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = in.getLong();
    assertThat(n % 8).isZero();
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{\"__metadata__\":{\"model\":\"digits\"");
    assertThat(header.stripTrailing()).endsWith("}");
    JsonNode h = new ObjectMapper().readTree(header);
    assertThat(h.get("dense0.W").toString()).isEqualTo("{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}");
    assertThat(h.get("dense0.b").toString()).isEqualTo("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}");
    assertThat(bytes.length).isEqualTo(8 + n + 32);
    in.position(8 + (int) n);
    for (int i = 2; i < 10; i++) assertThat(in.getFloat()).isEqualTo(PARAMS[i]);
  }

  @Test
  void roundTripsThroughAFile(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("w/digits-42.safetensors");
    SafeTensors.write(f, PARAMS, REFS, META);
    SafeTensors.Contents c = SafeTensors.read(f);
    assertThat(c.metadata()).containsExactlyEntriesOf(META);
    assertThat(c.tensors()).extracting(SafeTensors.Tensor::name).containsExactly("dense0.W", "dense0.b");
    assertThat(c.tensor("dense0.W").shape()).containsExactly(3, 2);
    assertThat(c.tensor("dense0.W").data()).containsExactly(0.5f, -1.25f, 3e-7f, 1e20f, -0f, 7);
    assertThat(c.tensor("dense0.b").data()).containsExactly(0.1f, -0.2f);
    assertThat(Files.list(f.getParent())).hasSize(1); // no temporary file left behind
  }

  /** The reader src/site/markdown/formats.md shows: Python's standard library only. */
  static final String PYTHON = """
      import json, struct, sys
      with open(sys.argv[1], "rb") as f:
          n = struct.unpack("<Q", f.read(8))[0]
          header = json.loads(f.read(n))
          data = f.read()
      meta = header.pop("__metadata__", {})
      tensors = {}
      for name, t in header.items():
          begin, end = t["data_offsets"]
          tensors[name] = (t["shape"], struct.unpack("<%df" % ((end - begin) // 4), data[begin:end]))
      print(json.dumps({"meta": meta, "tensors": {k: {"shape": s, "values": v} for k, (s, v) in tensors.items()}}))
      """;

  @Test
  void formatsPageShowsTheSamePythonLines() throws Exception {
    String doc = Files.readString(Path.of("src/site/markdown/formats.md"));
    String reader = PYTHON.substring(0, PYTHON.indexOf("print("));
    assertThat(doc).contains("```python\n" + reader + "```");
  }

  @Test
  void pythonStandardLibraryReadsIt(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("digits-42.safetensors");
    SafeTensors.write(f, PARAMS, REFS, META);
    Path script = dir.resolve("read.py");
    Files.writeString(script, PYTHON);
    Process p = new ProcessBuilder("python3", script.toString(), f.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    JsonNode r = new ObjectMapper().readTree(out);
    for (var e : META.entrySet()) assertThat(r.at("/meta/" + e.getKey()).asText()).isEqualTo(e.getValue());
    assertThat(r.get("tensors").size()).isEqualTo(2);
    assertThat(r.at("/tensors/dense0.W/shape").toString()).isEqualTo("[3,2]");
    assertThat(r.at("/tensors/dense0.b/shape").toString()).isEqualTo("[2]");
    JsonNode w = r.at("/tensors/dense0.W/values");
    for (int i = 0; i < 6; i++) assertThat((float) w.get(i).asDouble()).isEqualTo(PARAMS[2 + i]);
    JsonNode b = r.at("/tensors/dense0.b/values");
    assertThat((float) b.get(0).asDouble()).isEqualTo(0.1f);
    assertThat((float) b.get(1).asDouble()).isEqualTo(-0.2f);
  }

  @Test
  void scalarsEmptyTensorsAndNoMetadata() throws Exception {
    float[] p = {1, 2};
    var refs = List.of(new TensorRef("step", 0, new int[0]), new TensorRef("empty", 1, new int[] {0, 4}),
        new TensorRef("last", 1, new int[] {1}));
    SafeTensors.Contents c = SafeTensors.read(SafeTensors.write(p, refs, Map.of()));
    assertThat(c.metadata()).isEmpty();
    assertThat(c.tensor("step").shape()).isEmpty();
    assertThat(c.tensor("step").data()).containsExactly(1f);
    assertThat(c.tensor("empty").data()).isEmpty();
    assertThat(c.tensor("last").data()).containsExactly(2f);
  }

  /** A zeros ref (an LSTM's folded bias_hh_l0) is written as zeros and reads no parameter. */
  @Test
  void zerosRefIsWrittenAsZeros() throws Exception {
    float[] p = {1, 2, 3};
    var refs = List.of(new TensorRef("b_ih", 0, new int[] {3}), TensorRef.zeros("b_hh", new int[] {3}),
        new TensorRef("tail", 2, new int[] {1}));
    SafeTensors.Contents c = SafeTensors.read(SafeTensors.write(p, refs, Map.of()));
    assertThat(c.tensor("b_ih").data()).containsExactly(1f, 2f, 3f);
    assertThat(c.tensor("b_hh").data()).containsExactly(0f, 0f, 0f);
    assertThat(c.tensor("tail").data()).containsExactly(3f);
  }

  @Test
  void writeRejectsBadRefs() {
    assertThatThrownBy(() -> SafeTensors.write(PARAMS, List.of(new TensorRef("a", 8, new int[] {4})), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    assertThatThrownBy(() -> SafeTensors.write(PARAMS, List.of(new TensorRef("a", 0, new int[] {1}),
        new TensorRef("a", 1, new int[] {1})), Map.of())).hasMessageContaining("used twice");
    assertThatThrownBy(() -> SafeTensors.write(PARAMS, List.of(new TensorRef("__metadata__", 0, new int[] {1})), Map.of()))
        .hasMessageContaining("bad tensor name");
  }

  static byte[] file(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
  }

  @Test
  void readRejectsInvalidFilesWithReasons() {
    assertThatThrownBy(() -> SafeTensors.read(new byte[5])).isInstanceOf(WeightsFormatException.class).hasMessageContaining("too short");
    assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array()))
        .hasMessageContaining("header length 1000");
    assertThatThrownBy(() -> SafeTensors.read(file("[1,2]   ", 0))).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2)))
        .hasMessageContaining("dtype F16");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4)))
        .hasMessageContaining("needs 8 bytes");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8)))
        .hasMessageContaining("ends at byte 4");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8)))
        .hasMessageContaining("hole");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", 4)))
        .hasMessageContaining("outside");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"__metadata__\":{\"v\":1}}", 0))).hasMessageContaining("not a string");
    assertThatThrownBy(() -> SafeTensors.read(file("{\"a\":{},\"a\":{}}", 0))).hasMessageContaining("not valid JSON");
  }
}
