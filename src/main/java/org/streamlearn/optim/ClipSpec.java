package org.streamlearn.optim;

/**
 * How to clip gradients before the optimizer step: {@code none}, {@code norm(x)} (global L2 norm
 * at most x) or {@code value(x)} (every component in [−x, x]). {@link #toString()} is the canonical
 * text and round-trips through {@link #parse}.
 *
 * @param kind which clipping
 * @param limit the max norm or max |value|; 0 for NONE
 */
public record ClipSpec(Kind kind, float limit) {
  public enum Kind { NONE, NORM, VALUE }

  public static final ClipSpec NONE = new ClipSpec(Kind.NONE, 0f);

  public ClipSpec {
    if (kind == null) throw new IllegalArgumentException("kind = null: must be NONE, NORM or VALUE");
    if (kind == Kind.NONE ? limit != 0 : !(limit > 0) || !Float.isFinite(limit))
      throw new IllegalArgumentException("limit = " + limit + ": must be "
          + (kind == Kind.NONE ? "0 for none" : "finite and > 0 for " + kind.name().toLowerCase()));
  }

  public static ClipSpec norm(float maxNorm) {
    return new ClipSpec(Kind.NORM, maxNorm);
  }

  public static ClipSpec value(float limit) {
    return new ClipSpec(Kind.VALUE, limit);
  }

  /** Parses {@code none}, {@code norm(x)} or {@code value(x)}; x a positive finite number. */
  public static ClipSpec parse(String text) {
    if (text == null) throw new IllegalArgumentException("clip = null: expected none, norm(x) or value(x)");
    String s = text.strip();
    if (s.equals("none")) return NONE;
    int open = s.indexOf('(');
    if (open < 0 || !s.endsWith(")"))
      throw new IllegalArgumentException("clip \"" + text + "\": expected none, norm(x) or value(x)");
    String head = s.substring(0, open).strip();
    Kind kind = switch (head) {
      case "norm" -> Kind.NORM;
      case "value" -> Kind.VALUE;
      default -> throw new IllegalArgumentException("clip \"" + text + "\": token \"" + head
          + "\": expected none, norm or value");
    };
    String arg = s.substring(open + 1, s.length() - 1).strip();
    float x;
    try {
      x = Float.parseFloat(arg);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("clip \"" + text + "\": token \"" + arg
          + "\": expected a positive number");
    }
    if (!(x > 0) || !Float.isFinite(x))
      throw new IllegalArgumentException("clip \"" + text + "\": token \"" + arg
          + "\": expected a positive finite number");
    return new ClipSpec(kind, x);
  }

  /**
   * Clips g[0..n) in place as this spec says.
   *
   * @return the global norm before clipping for NORM; NaN (not measured, to save a sweep) otherwise
   */
  public float apply(float[] g, int n) {
    return switch (kind) {
      case NONE -> Float.NaN;
      case NORM -> GradClip.clipByGlobalNorm(g, n, limit);
      case VALUE -> {
        GradClip.clipByValue(g, n, limit);
        yield Float.NaN;
      }
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case NORM -> "norm(" + SpecText.num(limit) + ")";
      case VALUE -> "value(" + SpecText.num(limit) + ")";
    };
  }
}
