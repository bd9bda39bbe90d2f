package org.streamlearn.codec;

import static org.streamlearn.codec.DecodeResult.Reason.MALFORMED;
import static org.streamlearn.codec.DecodeResult.Reason.MISSING_LABEL;
import static org.streamlearn.codec.DecodeResult.Reason.NON_FINITE;
import static org.streamlearn.codec.DecodeResult.Reason.WRONG_LENGTH;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.IOException;

/**
 * JSON objects. A byte-level scanner takes the common shape first: one object holding only the x
 * and y fields, numbers (x flat or one level of rows), plain field names. It checks JSON's grammar
 * strictly and parses numbers with {@link AsciiFloat} straight into the buffers, allocating
 * nothing; Jackson's {@code getDoubleValue} parsed each number through the JDK and made JSON ingest
 * about 3× slower than training. Anything else (other fields, escapes, whitespace oddities, any
 * error) goes to Jackson's streaming parser, which decides and names the reason, so the scanner can
 * only make the common case fast, never change a verdict. In Jackson's path NaN and Infinity tokens
 * are accepted by the parser so they can be rejected as NON_FINITE rather than MALFORMED.
 */
final class JsonDecoder implements RecordDecoder {
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private final int features;
  private final LabelSpec label;
  private final int width;
  private final String xField;
  private final String yField;
  private final byte[] xName, yName;
  /** One scanner per thread and decoder: the decoder stays thread-safe and a decode allocates nothing. */
  private final ThreadLocal<Scanner> scanners = ThreadLocal.withInitial(Scanner::new);

  JsonDecoder(int features, LabelSpec label, String xField, String yField) {
    if (features < 1) throw new IllegalArgumentException("features must be >= 1: " + features);
    if (xField.equals(yField)) throw new IllegalArgumentException("x and y fields are both \"" + xField + "\"");
    this.features = features;
    this.label = label;
    this.width = label.targets();
    this.xField = xField;
    this.yField = yField;
    this.xName = xField.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.yName = yField.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override public int features() {
    return features;
  }

  @Override public int labelWidth() {
    return width;
  }

  @Override
  public DecodeResult decode(byte[] value, float[] x, int xOff, float[] y, int yOff) {
    if (value == null || value.length == 0) return DecodeResult.reject(MALFORMED, "empty record");
    if (scanners.get().reset(value).object(x, xOff, y, yOff)) {
      DecodeResult bad = label.check(y, yOff);
      if (bad == null) return DecodeResult.OK;
    }
    try (JsonParser p = FACTORY.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return DecodeResult.reject(MALFORMED, "not a JSON object");
      boolean haveX = false, haveY = false;
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals(xField)) {
          DecodeResult r = readX(p, v, x, xOff);
          if (r != null) return r;
          haveX = true;
        } else if (name.equals(yField)) {
          DecodeResult r = readY(p, v, y, yOff);
          if (r != null) return r;
          haveY = true;
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) return DecodeResult.reject(MALFORMED, "data after the JSON object");
      if (!haveX) return DecodeResult.reject(MALFORMED, "no \"" + xField + "\" field");
      if (!haveY) return DecodeResult.reject(MISSING_LABEL, "no \"" + yField + "\" field");
    } catch (JsonProcessingException e) {
      return DecodeResult.reject(MALFORMED, "invalid JSON: " + String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse(""));
    } catch (IOException e) {
      return DecodeResult.reject(MALFORMED, "invalid JSON: " + e);
    }
    DecodeResult bad = label.check(y, yOff);
    return bad != null ? bad : DecodeResult.OK;
  }

  /** Features: an array of numbers, or of arrays of numbers (sequence rows), flattened row-major. */
  private DecodeResult readX(JsonParser p, JsonToken t, float[] x, int xOff) throws IOException {
    if (t != JsonToken.START_ARRAY) return DecodeResult.reject(MALFORMED, "\"" + xField + "\" is not an array");
    int n = 0, depth = 1;
    while (depth > 0) {
      t = p.nextToken();
      if (t == JsonToken.END_ARRAY) {
        depth--;
      } else if (t == JsonToken.START_ARRAY && depth == 1) {
        depth++;
      } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
        float f = (float) p.getDoubleValue();
        if (!Float.isFinite(f)) return DecodeResult.reject(NON_FINITE, xField + "[" + n + "] is " + p.getText());
        if (n < features) x[xOff + n] = f;
        n++;
      } else {
        return DecodeResult.reject(MALFORMED, xField + "[" + n + "] is not a number (" + t + ")");
      }
    }
    return n == features ? null
        : DecodeResult.reject(WRONG_LENGTH, "expected " + features + " features, got " + n);
  }

  /** Label: a number, or an array of exactly {@code width} numbers. */
  private DecodeResult readY(JsonParser p, JsonToken t, float[] y, int yOff) throws IOException {
    if (t == JsonToken.VALUE_NULL) return DecodeResult.reject(MISSING_LABEL, "\"" + yField + "\" is null");
    if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
      if (width != 1) return DecodeResult.reject(WRONG_LENGTH, "expected " + width + " targets, got one number");
      float f = (float) p.getDoubleValue();
      if (!Float.isFinite(f)) return DecodeResult.reject(NON_FINITE, yField + " is " + p.getText());
      y[yOff] = f;
      return null;
    }
    if (t != JsonToken.START_ARRAY) return DecodeResult.reject(MALFORMED, "\"" + yField + "\" is not a number or array");
    int n = 0;
    for (t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
        return DecodeResult.reject(MALFORMED, yField + "[" + n + "] is not a number (" + t + ")");
      }
      float f = (float) p.getDoubleValue();
      if (!Float.isFinite(f)) return DecodeResult.reject(NON_FINITE, yField + "[" + n + "] is " + p.getText());
      if (n < width) y[yOff + n] = f;
      n++;
    }
    if (n == 0) return DecodeResult.reject(MISSING_LABEL, "\"" + yField + "\" is empty");
    return n == width ? null : DecodeResult.reject(WRONG_LENGTH, "expected " + width + " targets, got " + n);
  }

  /**
   * The fast path: true when value is exactly {ws "x" ws : ws X ws , ws "y" ws : ws Y ws} (either
   * order) with X an array of numbers or of arrays of numbers holding {@code features} numbers and
   * Y a number or an array of {@code width} numbers, all finite as float. False means "ask Jackson",
   * not "invalid".
   */
  private final class Scanner {
    byte[] b;
    int i;

    Scanner reset(byte[] value) {
      b = value;
      i = 0;
      return this;
    }

    boolean object(float[] x, int xOff, float[] y, int yOff) {
      ws();
      if (!eat('{')) return false;
      boolean haveX = false, haveY = false;
      for (int field = 0; field < 2; field++) {
        ws();
        if (field > 0 && !(eat(',') && ws())) return false;
        int nameStart = i + 1;
        if (!string()) return false;
        int nameEnd = i - 1;
        ws();
        if (!eat(':')) return false;
        ws();
        if (!haveX && same(xName, nameStart, nameEnd)) {
          if (!features(x, xOff)) return false;
          haveX = true;
        } else if (!haveY && same(yName, nameStart, nameEnd)) {
          if (!label(y, yOff)) return false;
          haveY = true;
        } else {
          return false;
        }
      }
      ws();
      if (!eat('}')) return false;
      ws();
      return i == b.length;
    }

    private boolean ws() {
      while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
      return true;
    }

    private boolean eat(char c) {
      if (i < b.length && b[i] == c) {
        i++;
        return true;
      }
      return false;
    }

    /** A string without escapes or control characters; i ends after the closing quote. */
    private boolean string() {
      if (!eat('"')) return false;
      for (; i < b.length; i++) {
        byte c = b[i];
        if (c == '"') {
          i++;
          return true;
        }
        if (c == '\\' || (c >= 0 && c < 0x20)) return false;
      }
      return false;
    }

    private boolean same(byte[] name, int from, int to) {
      return java.util.Arrays.equals(b, from, to, name, 0, name.length);
    }

    /** A JSON number (strict grammar) that is finite as a float, written to out[at]. */
    private boolean number(float[] out, int at, boolean store) {
      int from = i;
      eat('-');
      if (eat('0')) {
        // no leading zeros
      } else {
        if (i >= b.length || b[i] < '1' || b[i] > '9') return false;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') i++;
      }
      if (eat('.')) {
        if (i >= b.length || b[i] < '0' || b[i] > '9') return false;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') i++;
      }
      if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
        i++;
        if (!eat('+')) eat('-');
        if (i >= b.length || b[i] < '0' || b[i] > '9') return false;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') i++;
      }
      float f = (float) AsciiFloat.parse(b, from, i);
      if (!Float.isFinite(f)) return false;
      if (store) out[at] = f;
      return true;
    }

    /** Numbers separated by commas up to ']' (the '[' already eaten); returns the count or -1. */
    private int numbers(float[] out, int off, int n0, int max) {
      ws();
      if (eat(']')) return n0;
      int n = n0;
      while (true) {
        ws();
        if (!number(out, off + n, n < max)) return -1;
        n++;
        ws();
        if (eat(']')) return n;
        if (!eat(',')) return -1;
      }
    }

    private boolean features(float[] x, int xOff) {
      if (!eat('[')) return false;
      ws();
      int n;
      if (i < b.length && b[i] == '[') {
        n = 0;
        while (true) {
          ws();
          if (!eat('[')) return false;
          n = numbers(x, xOff, n, features);
          if (n < 0) return false;
          ws();
          if (eat(']')) break;
          if (!eat(',')) return false;
        }
      } else {
        n = numbers(x, xOff, 0, features);
      }
      return n == features;
    }

    private boolean label(float[] y, int yOff) {
      if (eat('[')) return numbers(y, yOff, 0, width) == width;
      return width == 1 && number(y, yOff, true);
    }
  }
}
