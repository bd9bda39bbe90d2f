package org.streamlearn.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small text grammar shared by schedules: {@code name} or {@code name(key=value,...)}, with
 * spaces allowed around tokens. Errors name the offending token and what was expected.
 */
public final class SpecText {
  private SpecText() {}

  /** Shortest text that parses back to exactly x, without a trailing ".0" ("0.5", "1", "1.0E-5"). */
  public static String num(float x) {
    String s = Float.toString(x);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  public static String num(double x) {
    String s = Double.toString(x);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  /** The part before '(' (or all of it), stripped. */
  public static String head(String text) {
    int open = text.indexOf('(');
    return (open < 0 ? text : text.substring(0, open)).strip();
  }

  /** key → value text from the parentheses, keys checked against {@code keys}, no duplicates. */
  public static Map<String, String> args(String text, String what, List<String> keys) {
    Map<String, String> out = new LinkedHashMap<>();
    String s = text.strip();
    int open = s.indexOf('(');
    if (open < 0) return out;
    if (!s.endsWith(")"))
      throw error(text, what, s.substring(open), "a closing ')' at the end");
    String inner = s.substring(open + 1, s.length() - 1).strip();
    if (inner.isEmpty()) return out;
    for (String part : inner.split(",", -1)) {
      int eq = part.indexOf('=');
      if (eq < 0) throw error(text, what, part.strip(), "key=value with a key in " + keys);
      String key = part.substring(0, eq).strip(), value = part.substring(eq + 1).strip();
      if (!keys.contains(key)) throw error(text, what, key, "one of " + keys);
      if (out.put(key, value) != null) throw error(text, what, key, "each key at most once");
      if (value.isEmpty()) throw error(text, what, part.strip(), "a value after '='");
    }
    return out;
  }

  public static long integer(String text, String what, Map<String, String> args, String key, long dflt, long min) {
    String v = args.get(key);
    if (v == null) return dflt;
    try {
      long x = Long.parseLong(v);
      if (x >= min) return x;
    } catch (NumberFormatException e) {
      // fall through to the error naming the token
    }
    throw error(text, what, key + "=" + v, "an integer >= " + min + " for " + key);
  }

  /** A finite double in [lo, hi] (hiOpen: [lo, hi) ; loOpen: (lo, hi]). */
  public static double real(String text, String what, Map<String, String> args, String key, double dflt,
      double lo, boolean loOpen, double hi) {
    String v = args.get(key);
    if (v == null) return dflt;
    try {
      double x = Double.parseDouble(v);
      if (Double.isFinite(x) && (loOpen ? x > lo : x >= lo) && x <= hi) return x;
    } catch (NumberFormatException e) {
      // fall through to the error naming the token
    }
    throw error(text, what, key + "=" + v, "a number in " + (loOpen ? "(" : "[") + num(lo) + ", "
        + (hi == Double.MAX_VALUE ? "inf)" : num(hi) + "]") + " for " + key);
  }

  public static IllegalArgumentException error(String text, String what, String token, String expected) {
    return new IllegalArgumentException(what + " \"" + text + "\": token \"" + token + "\": expected "
        + expected);
  }
}
