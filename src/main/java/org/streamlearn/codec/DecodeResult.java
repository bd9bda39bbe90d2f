package org.streamlearn.codec;

/**
 * Outcome of decoding one record. Success is the shared {@link #OK} (nothing allocated); a rejection
 * carries a {@link Reason} (for meters and dead-letter headers) and a detail for people.
 */
public record DecodeResult(Reason reason, String detail) {
  public enum Reason {
    /** Not the expected syntax: not JSON, not numbers, missing feature field or value. */
    MALFORMED,
    /** Wrong number of features, targets, columns or bytes. */
    WRONG_LENGTH,
    /** A NaN or infinite value, or one that overflows float32. */
    NON_FINITE,
    /** No label, or an empty or null one. */
    MISSING_LABEL,
    /** A class label that is not an integer in [0, classes). */
    LABEL_OUT_OF_RANGE
  }

  public static final DecodeResult OK = new DecodeResult(null, "");

  public static DecodeResult reject(Reason reason, String detail) {
    return new DecodeResult(reason, detail);
  }

  public boolean ok() {
    return reason == null;
  }

  @Override public String toString() {
    return ok() ? "OK" : reason + ": " + detail;
  }
}
