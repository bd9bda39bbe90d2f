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
 * JSON objects read with Jackson's streaming parser: numbers go straight into the buffers, unknown
 * fields are skipped, field names come from Jackson's canonical symbol table. Jackson still
 * allocates a parser per record (small and recycled buffers); a zero-allocation scanner could
 * replace it if profiles say so. NaN and Infinity tokens are accepted by the parser so they can be
 * rejected as NON_FINITE rather than MALFORMED.
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

  JsonDecoder(int features, LabelSpec label, String xField, String yField) {
    if (features < 1) throw new IllegalArgumentException("features must be >= 1: " + features);
    if (xField.equals(yField)) throw new IllegalArgumentException("x and y fields are both \"" + xField + "\"");
    this.features = features;
    this.label = label;
    this.width = label.targets();
    this.xField = xField;
    this.yField = yField;
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
}
