package org.streamlearn.codec;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights format: <a href="https://github.com/huggingface/safetensors">safetensors</a> with F32
 * tensors. Layout: an 8-byte little-endian header length N; N bytes of UTF-8 JSON, padded with spaces
 * to a multiple of 8, mapping each tensor name to {@code {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}}
 * plus {@code "__metadata__"} (string → string); then the tensors' little-endian float32 data,
 * contiguous and in header order, offsets relative to the end of the header.
 *
 * <p>Metadata the service writes: {@link #META_MODEL}, {@link #META_VERSION}, {@link #META_INCARNATION}, {@link #META_CREATED},
 * {@link #META_OFFSETS} (JSON of topic-partition → offset), {@link #META_SPEC}, {@link #META_METRICS} (JSON).
 */
public final class SafeTensors {
  public static final String META_MODEL = "model";
  public static final String META_VERSION = "version";
  /** The id of the version line: (incarnation, version) names one set of weights. */
  public static final String META_INCARNATION = "incarnation";
  public static final String META_CREATED = "created";
  public static final String META_OFFSETS = "offsets";
  public static final String META_SPEC = "spec";
  public static final String META_METRICS = "metrics";
  /** JSON saying how to apply the standardization tensors ({@code input.mean}...), when present. */
  public static final String META_NORMALIZATION = "normalization";

  static final String METADATA = "__metadata__";
  /** Larger headers are refused on read, as the reference implementation does (100 MB). */
  static final long MAX_HEADER = 100_000_000L;

  private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  private SafeTensors() {}

  /** A tensor read back. */
  public record Tensor(String name, int[] shape, float[] data) {}

  /** A file read back: tensors in header order, and the metadata. */
  public record Contents(List<Tensor> tensors, Map<String, String> metadata) {
    public Tensor tensor(String name) {
      for (Tensor t : tensors) if (t.name().equals(name)) return t;
      throw new IllegalArgumentException("no tensor " + name + " in " + tensors.stream().map(Tensor::name).toList());
    }
  }

  /** Serializes the tensors of {@code params} described by {@code refs}, in that order. */
  public static byte[] write(float[] params, List<TensorRef> refs, Map<String, String> metadata) {
    Set<String> names = new HashSet<>();
    long dataBytes = 0;
    for (TensorRef r : refs) {
      if (r.name().isEmpty() || r.name().equals(METADATA)) throw new IllegalArgumentException("bad tensor name: \"" + r.name() + "\"");
      if (!names.add(r.name())) throw new IllegalArgumentException("tensor name used twice: " + r.name());
      for (int d : r.shape()) if (d < 0) throw new IllegalArgumentException("negative dimension in " + r);
      if (!r.isZeros() && (r.offset() < 0 || r.offset() + r.size() > params.length)) {
        throw new IllegalArgumentException(r + " does not fit in " + params.length + " parameters");
      }
      dataBytes += 4 * r.size();
    }
    byte[] header = header(refs, metadata);
    long total = 8 + header.length + dataBytes;
    if (total > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("weights too large for one array: " + total + " bytes");
    ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(header.length).put(header);
    for (TensorRef r : refs) {
      if (!r.isZeros()) out.asFloatBuffer().put(params, r.offset(), (int) r.size()); // else: the buffer's zeros
      out.position(out.position() + 4 * (int) r.size());
    }
    return out.array();
  }

  /** Writes atomically: a temporary file beside {@code file}, then a rename. */
  public static void write(Path file, float[] params, List<TensorRef> refs, Map<String, String> metadata) throws IOException {
    byte[] bytes = write(params, refs, metadata);
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static byte[] header(List<TensorRef> refs, Map<String, String> metadata) {
    var buf = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(buf)) {
      g.writeStartObject();
      if (!metadata.isEmpty()) {
        g.writeObjectFieldStart(METADATA);
        for (var e : metadata.entrySet()) g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
      }
      long begin = 0;
      for (TensorRef r : refs) {
        long end = begin + 4 * r.size();
        g.writeObjectFieldStart(r.name());
        g.writeStringField("dtype", "F32");
        g.writeArrayFieldStart("shape");
        for (int d : r.shape()) g.writeNumber(d);
        g.writeEndArray();
        g.writeArrayFieldStart("data_offsets");
        g.writeNumber(begin);
        g.writeNumber(end);
        g.writeEndArray();
        g.writeEndObject();
        begin = end;
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen: writing JSON to memory", e);
    }
    int n = buf.size();
    int padded = (n + 7) & ~7;
    for (int i = n; i < padded; i++) buf.write(' ');
    return buf.toByteArray();
  }

  public static Contents read(Path file) throws IOException {
    try {
      return read(Files.readAllBytes(file));
    } catch (WeightsFormatException e) {
      throw new WeightsFormatException(file + ": " + e.getMessage());
    }
  }

  /** Parses and validates a safetensors file of F32 tensors. */
  public static Contents read(byte[] bytes) throws WeightsFormatException {
    if (bytes.length < 8) throw new WeightsFormatException("too short for a safetensors header (" + bytes.length + " bytes)");
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long n = in.getLong();
    if (n < 2 || n > MAX_HEADER || n > bytes.length - 8) {
      throw new WeightsFormatException("header length " + n + " does not fit the file of " + bytes.length + " bytes");
    }
    int dataStart = 8 + (int) n;
    long dataLen = bytes.length - dataStart;
    JsonNode root;
    try (JsonParser p = JSON.createParser(bytes, 8, (int) n)) {
      root = MAPPER.readTree(p);
      if (p.nextToken() != null) throw new WeightsFormatException("data after the header's JSON object");
    } catch (WeightsFormatException e) {
      throw e;
    } catch (IOException e) {
      throw new WeightsFormatException("header is not valid JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject()) throw new WeightsFormatException("header is not a JSON object");

    Map<String, String> metadata = new LinkedHashMap<>();
    List<Tensor> tensors = new ArrayList<>();
    List<long[]> ranges = new ArrayList<>();
    for (var it = root.properties().iterator(); it.hasNext(); ) {
      var e = it.next();
      String name = e.getKey();
      JsonNode t = e.getValue();
      if (name.equals(METADATA)) {
        if (!t.isObject()) throw new WeightsFormatException("__metadata__ is not an object");
        for (var m = t.properties().iterator(); m.hasNext(); ) {
          var me = m.next();
          if (!me.getValue().isTextual()) throw new WeightsFormatException("__metadata__." + me.getKey() + " is not a string");
          metadata.put(me.getKey(), me.getValue().textValue());
        }
        continue;
      }
      if (!t.isObject()) throw new WeightsFormatException("tensor " + name + " is not an object");
      JsonNode dtype = t.get("dtype"), shape = t.get("shape"), offs = t.get("data_offsets");
      if (dtype == null || !dtype.isTextual()) throw new WeightsFormatException("tensor " + name + " has no dtype");
      if (!dtype.textValue().equals("F32")) {
        throw new WeightsFormatException("tensor " + name + " has dtype " + dtype.textValue() + "; only F32 is supported");
      }
      if (shape == null || !shape.isArray()) throw new WeightsFormatException("tensor " + name + " has no shape array");
      int[] dims = new int[shape.size()];
      long count = 1;
      for (int i = 0; i < dims.length; i++) {
        JsonNode d = shape.get(i);
        if (!d.canConvertToInt() || !d.isIntegralNumber() || d.intValue() < 0) {
          throw new WeightsFormatException("tensor " + name + " has a bad dimension " + d);
        }
        dims[i] = d.intValue();
        try {
          count = Math.multiplyExact(count, dims[i]);
        } catch (ArithmeticException overflow) {
          throw new WeightsFormatException("tensor " + name + " has a shape too large: " + shape);
        }
      }
      if (count > Integer.MAX_VALUE / 4) throw new WeightsFormatException("tensor " + name + " is too large: " + shape);
      if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).isIntegralNumber()
          || !offs.get(1).isIntegralNumber() || !offs.get(0).canConvertToLong() || !offs.get(1).canConvertToLong()) {
        throw new WeightsFormatException("tensor " + name + " has no data_offsets [begin, end]");
      }
      long begin = offs.get(0).longValue(), end = offs.get(1).longValue();
      if (begin < 0 || end < begin || end > dataLen) {
        throw new WeightsFormatException("tensor " + name + " has data_offsets [" + begin + ", " + end
            + "] outside the " + dataLen + " data bytes");
      }
      if (end - begin != 4 * count) {
        throw new WeightsFormatException("tensor " + name + " of shape " + Arrays.toString(dims) + " needs "
            + (4 * count) + " bytes, data_offsets give " + (end - begin));
      }
      float[] data = new float[(int) count];
      ByteBuffer.wrap(bytes, dataStart + (int) begin, (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer().get(data);
      tensors.add(new Tensor(name, dims, data));
      ranges.add(new long[] {begin, end});
    }
    // As the reference implementation: the tensors must cover the data exactly, without holes or overlaps.
    ranges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    long at = 0;
    for (long[] r : ranges) {
      if (r[0] != at) throw new WeightsFormatException("tensor data has a hole or overlap at byte " + at);
      at = r[1];
    }
    if (at != dataLen) throw new WeightsFormatException("tensor data ends at byte " + at + " but the file has " + dataLen);
    return new Contents(Collections.unmodifiableList(tensors), Collections.unmodifiableMap(metadata));
  }
}
