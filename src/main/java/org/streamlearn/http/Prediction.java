package org.streamlearn.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.streamlearn.learn.Predictor;
import org.streamlearn.learn.Snapshot;

/**
 * POST /models/{m}/predict off the event loop: parses {@code {"x": [[...], ...]}} (or one vector
 * {@code {"x": [...]}}) straight into a float array, runs a {@link Predictor} on the published
 * snapshot, and writes the answer. Every refusal is an {@link HttpProblem} naming the bad value.
 */
final class Prediction {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64).build())
      .build();

  private Prediction() {}

  /** Features of n rows, [n × inputs]. */
  record Batch(int rows, float[] x) {}

  /** Parses and runs a request; returns the response body (UTF-8 JSON). */
  static byte[] run(ServedEntry e, Snapshot s, byte[] body, int maxRows) {
    int I = e.model.inputSize(), O = e.model.outputSize();
    Batch b = parse(body, I, maxRows, e.name());
    if (s.params().length != e.model.paramCount())
      throw new IllegalStateException("snapshot " + s.version() + " of " + e.name() + " has " + s.params().length
          + " parameters, the model " + e.model.spec() + " needs " + e.model.paramCount());
    float[] out = new float[b.rows() * O];
    s.scaling().applyInput(b.rows(), b.x(), 0); // the request's own array: scaled in place
    e.predictor().predict(s.params(), b.rows(), b.x(), 0, out, 0);
    s.scaling().invertOutput(b.rows(), out, 0);
    return encode(e.kind, s.version(), b.rows(), O, out);
  }

  static Batch parse(byte[] body, int inputs, int maxRows, String model) {
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT)
        throw HttpProblem.badRequest("invalid request", "body must be a JSON object like {\"x\": [[...]]}");
      Batch batch = null;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String field = p.currentName();
        p.nextToken();
        if (field.equals("x")) batch = readX(p, inputs, maxRows, model);
        else p.skipChildren();
      }
      if (p.nextToken() != null) throw HttpProblem.badRequest("malformed JSON", "unexpected content after the object");
      if (batch == null) throw HttpProblem.badRequest("invalid request", "missing field \"x\" (a list of feature vectors)");
      return batch;
    } catch (JsonProcessingException ex) {
      // Jackson's message may carry a "(start marker at [Source: REDACTED ...])" aside: drop it.
      String msg = ex.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source:.*?\\]\\)", "");
      throw HttpProblem.badRequest("malformed JSON", msg + " at " + location(ex));
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static Batch readX(JsonParser p, int I, int maxRows, String model) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY)
      throw HttpProblem.badRequest("invalid request", "\"x\" must be an array, got " + describe(p));
    JsonToken first = p.nextToken();
    if (first == JsonToken.END_ARRAY) throw HttpProblem.badRequest("invalid request", "\"x\" is empty");
    if (first != JsonToken.START_ARRAY) { // one vector
      float[] x = new float[I];
      readRow(p, x, 0, I, -1, model);
      return new Batch(1, x);
    }
    float[] x = new float[I * Math.min(maxRows, 16)];
    int rows = 0;
    for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.START_ARRAY)
        throw HttpProblem.badRequest("invalid request", "x[" + rows + "] must be an array of numbers, got " + describe(p));
      if (rows == maxRows)
        throw new HttpProblem(413, "batch too large", "more than " + maxRows + " rows in \"x\"; send at most " + maxRows
            + " per request");
      if ((rows + 1) * I > x.length) x = Arrays.copyOf(x, Math.min(maxRows * I, Math.max(x.length * 2, (rows + 1) * I)));
      p.nextToken();
      readRow(p, x, rows * I, I, rows, model);
      rows++;
    }
    return new Batch(rows, rows * I == x.length ? x : Arrays.copyOf(x, rows * I));
  }

  /** Reads numbers up to the row's END_ARRAY (current token: its first element); checks the count. */
  private static void readRow(JsonParser p, float[] x, int off, int I, int row, String model) throws IOException {
    String where = row < 0 ? "x" : "x[" + row + "]";
    int n = 0;
    for (JsonToken t = p.currentToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT)
        throw HttpProblem.badRequest("invalid feature", where + "[" + n + "] must be a number, got " + describe(p));
      if (n < I) {
        float v = p.getFloatValue();
        if (!Float.isFinite(v))
          throw HttpProblem.badRequest("non-finite feature", where + "[" + n + "] = " + p.getText()
              + " is not a finite float32");
        x[off + n] = v;
      }
      n++;
    }
    if (n != I)
      throw HttpProblem.badRequest("wrong feature count", where + " has " + n + " features, model " + model + " expects " + I);
  }

  private static String describe(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) return "end of input";
    String text = switch (t) {
      case START_ARRAY -> "an array";
      case START_OBJECT -> "an object";
      case VALUE_STRING -> "the string \"" + truncate(p.getText()) + "\"";
      default -> truncate(p.getText());
    };
    return text;
  }

  private static String truncate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String location(JsonProcessingException ex) {
    var l = ex.getLocation();
    return l == null ? "unknown position" : "line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  /** The response: version, outputs, and for classifiers classes and probabilities. */
  static byte[] encode(ServedEntry.OutputKind kind, long version, int rows, int O, float[] out) {
    var bytes = new ByteArrayOutputStream(64 + rows * O * 24);
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.writeStartObject();
      g.writeNumberField("version", version);
      writeRows(g, "outputs", rows, O, out);
      if (kind == ServedEntry.OutputKind.SOFTMAX) {
        g.writeArrayFieldStart("classes");
        for (int r = 0; r < rows; r++) g.writeNumber(Predictor.argmax(out, r * O, O));
        g.writeEndArray();
        writeRows(g, "probabilities", rows, O, softmax(rows, O, out));
      } else if (kind == ServedEntry.OutputKind.SIGMOID) {
        if (O == 1) {
          g.writeArrayFieldStart("classes");
          for (int r = 0; r < rows; r++) g.writeNumber(out[r] > 0f ? 1 : 0);
          g.writeEndArray();
        }
        float[] prob = new float[out.length];
        for (int i = 0; i < out.length; i++) prob[i] = (float) (1 / (1 + Math.exp(-out[i])));
        writeRows(g, "probabilities", rows, O, prob);
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }

  /** Row-wise softmax, max-subtracted so large logits do not overflow. */
  static float[] softmax(int rows, int O, float[] logits) {
    float[] p = new float[rows * O];
    for (int r = 0; r < rows; r++) {
      int off = r * O;
      float max = logits[off];
      for (int j = 1; j < O; j++) max = Math.max(max, logits[off + j]);
      double sum = 0;
      for (int j = 0; j < O; j++) sum += p[off + j] = (float) Math.exp(logits[off + j] - max);
      for (int j = 0; j < O; j++) p[off + j] = (float) (p[off + j] / sum);
    }
    return p;
  }

  private static void writeRows(JsonGenerator g, String field, int rows, int O, float[] v) throws IOException {
    g.writeArrayFieldStart(field);
    for (int r = 0; r < rows; r++) {
      g.writeStartArray();
      for (int j = 0; j < O; j++) {
        float f = v[r * O + j];
        if (Float.isFinite(f)) g.writeNumber(f);
        else g.writeNull();
      }
      g.writeEndArray();
    }
    g.writeEndArray();
  }
}
