package org.streamlearn.codec;

import static org.streamlearn.codec.DecodeResult.Reason.MALFORMED;
import static org.streamlearn.codec.DecodeResult.Reason.MISSING_LABEL;
import static org.streamlearn.codec.DecodeResult.Reason.NON_FINITE;
import static org.streamlearn.codec.DecodeResult.Reason.WRONG_LENGTH;

import java.nio.charset.StandardCharsets;

/**
 * One CSV line of numbers, parsed at the byte level by {@link AsciiFloat} (no String per field).
 * Spaces and tabs around a field and a trailing line break are ignored; quotes are not supported.
 * An empty feature (a missing value, as in co2.csv) is rejected as MALFORMED, an empty label as
 * MISSING_LABEL: nothing is imputed.
 */
final class CsvDecoder implements RecordDecoder {
  private final int features;
  private final LabelSpec label;
  private final int width;
  private final int labelStart;
  private final int columns;

  CsvDecoder(int features, LabelSpec label, int labelColumn) {
    if (features < 1) throw new IllegalArgumentException("features must be >= 1: " + features);
    if (labelColumn < -1 || labelColumn > features) {
      throw new IllegalArgumentException("label column must be -1 or in [0, " + features + "]: " + labelColumn);
    }
    this.features = features;
    this.label = label;
    this.width = label.targets();
    this.labelStart = labelColumn < 0 ? features : labelColumn;
    this.columns = features + width;
  }

  @Override public int features() {
    return features;
  }

  @Override public int labelWidth() {
    return width;
  }

  @Override
  public DecodeResult decode(byte[] b, float[] x, int xOff, float[] y, int yOff) {
    if (b == null || b.length == 0) return DecodeResult.reject(MALFORMED, "empty record");
    int end = b.length;
    while (end > 0 && (b[end - 1] == '\n' || b[end - 1] == '\r')) end--;
    int commas = 0;
    for (int i = 0; i < end; i++) if (b[i] == ',') commas++;
    if (commas + 1 != columns) {
      return DecodeResult.reject(WRONG_LENGTH, "expected " + columns + " columns (" + features + " features + "
          + width + " label), got " + (commas + 1));
    }
    int start = 0;
    for (int col = 0; col < columns; col++) {
      int stop = start;
      while (stop < end && b[stop] != ',') stop++;
      int s = start, e = stop;
      while (s < e && (b[s] == ' ' || b[s] == '\t')) s++;
      while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
      boolean isLabel = col >= labelStart && col < labelStart + width;
      if (s == e) {
        return isLabel ? DecodeResult.reject(MISSING_LABEL, "empty label at column " + col)
            : DecodeResult.reject(MALFORMED, "empty feature at column " + col + " (missing value; not imputed)");
      }
      double v = AsciiFloat.parse(b, s, e);
      if (Double.isNaN(v)) {
        return AsciiFloat.isNonFiniteWord(b, s, e)
            ? DecodeResult.reject(NON_FINITE, "non-finite value at column " + col)
            : DecodeResult.reject(MALFORMED, "not a number at column " + col + ": " + snippet(b, s, e));
      }
      float f = (float) v;
      if (Float.isInfinite(f)) {
        return DecodeResult.reject(NON_FINITE, "value at column " + col + " overflows float32: " + snippet(b, s, e));
      }
      if (isLabel) y[yOff + col - labelStart] = f;
      else x[xOff + (col < labelStart ? col : col - width)] = f;
      start = stop + 1;
    }
    DecodeResult bad = label.check(y, yOff);
    return bad != null ? bad : DecodeResult.OK;
  }

  static String snippet(byte[] b, int s, int e) {
    int n = Math.min(e - s, 24);
    String t = new String(b, s, n, StandardCharsets.ISO_8859_1).replaceAll("[^\\x20-\\x7e]", "?");
    return "'" + t + (e - s > n ? "…" : "") + "'";
  }
}
