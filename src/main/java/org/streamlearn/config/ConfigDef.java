package org.streamlearn.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Declarations of configuration keys in the style of Kafka's {@code ConfigDef}: each key once, with
 * its type, default, validator, importance and doc text. Parsing turns a raw value (from YAML or an
 * environment string) into the key's Java type; the validator then names the rule that failed.
 */
public final class ConfigDef {

  /** Value types; parsed Java types are Boolean, Integer, Long, Double, String, List&lt;String&gt;. */
  public enum Type {
    BOOLEAN, INT, LONG, DOUBLE, STRING, LIST;

    String lower() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public enum Importance { HIGH, MEDIUM, LOW }

  /** Marks a key without default that must be given. */
  public static final Object REQUIRED = new Object() {
    @Override public String toString() {
      return "(required)";
    }
  };

  /**
   * A rule on a parsed value. {@code violation} returns null when the value passes, else the rule it
   * broke (for a conjunction, the first part that failed).
   */
  public record Validator(String rule, Predicate<Object> test, List<Validator> parts) {
    public Validator(String rule, Predicate<Object> test) {
      this(rule, test, List.of());
    }

    public String violation(Object value) {
      for (Validator p : parts) {
        String r = p.violation(value);
        if (r != null) return r;
      }
      return parts.isEmpty() && !test.test(value) ? rule : null;
    }

    public Validator and(Validator other) {
      return new Validator(rule + "; " + other.rule, v -> true, List.of(this, other));
    }
  }

  /**
   * One declared key. {@code defaultValue} is a parsed value, {@code null} for "absent" (the key is
   * optional, or its default is computed from other keys: {@code defaultDoc} then says how), or
   * {@link #REQUIRED}.
   */
  public record Key(String name, Type type, Object defaultValue, String defaultDoc, Validator validator,
      Importance importance, String doc) {
    public boolean required() {
      return defaultValue == REQUIRED;
    }

    public boolean hasDefault() {
      return defaultValue != null && defaultValue != REQUIRED;
    }
  }

  private final Map<String, Key> keys = new LinkedHashMap<>();

  public ConfigDef define(String name, Type type, Object dflt, Validator validator, Importance importance,
      String doc) {
    return define(name, type, dflt, null, validator, importance, doc);
  }

  public ConfigDef define(String name, Type type, Object dflt, String defaultDoc, Validator validator,
      Importance importance, String doc) {
    if (keys.containsKey(name)) throw new IllegalArgumentException("key declared twice: " + name);
    keys.put(name, new Key(name, type, dflt, defaultDoc, validator, importance, doc));
    return this;
  }

  public Key key(String name) {
    return keys.get(name);
  }

  public Collection<Key> keys() {
    return keys.values();
  }

  // ---- parsing ------------------------------------------------------------------------------

  /** Thrown by {@link #parse} with the rule the raw value broke (e.g. "must be an int"). */
  static final class BadValue extends Exception {
    BadValue(String rule) {
      super(rule, null, false, false);
    }
  }

  /** Converts a raw YAML or environment value into the key's type. */
  static Object parse(Type type, Object raw) throws BadValue {
    return switch (type) {
      case BOOLEAN -> {
        if (raw instanceof Boolean b) yield b;
        if (raw instanceof String s) {
          String t = s.trim().toLowerCase(Locale.ROOT);
          if (t.equals("true")) yield true;
          if (t.equals("false")) yield false;
        }
        throw new BadValue("must be a boolean (true or false)");
      }
      case INT -> {
        long v = integral(raw, "int");
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new BadValue("must be an int (32-bit)");
        yield (int) v;
      }
      case LONG -> integral(raw, "long");
      case DOUBLE -> {
        double d;
        if (raw instanceof Number n && !(raw instanceof Float)) d = n.doubleValue();
        else if (raw instanceof String s) {
          try {
            d = Double.parseDouble(s.trim());
          } catch (NumberFormatException e) {
            throw new BadValue("must be a number");
          }
        } else throw new BadValue("must be a number");
        if (!Double.isFinite(d)) throw new BadValue("must be a finite number");
        yield d;
      }
      case STRING -> {
        if (raw instanceof String || raw instanceof Number || raw instanceof Boolean) yield raw.toString().trim();
        throw new BadValue("must be a string");
      }
      case LIST -> {
        List<String> out = new ArrayList<>();
        if (raw instanceof List<?> l) {
          for (Object o : l) {
            if (!(o instanceof String || o instanceof Number || o instanceof Boolean))
              throw new BadValue("must be a list of strings");
            out.add(o.toString().trim());
          }
        } else if (raw instanceof String s) {
          for (String part : s.split(",", -1)) if (!part.isBlank()) out.add(part.trim());
        } else throw new BadValue("must be a list (YAML list or comma-separated string)");
        yield List.copyOf(out);
      }
    };
  }

  private static long integral(Object raw, String what) throws BadValue {
    if (raw instanceof Integer || raw instanceof Long || raw instanceof Short || raw instanceof Byte)
      return ((Number) raw).longValue();
    if (raw instanceof String s) {
      try {
        return Long.parseLong(s.trim().replace("_", ""));
      } catch (NumberFormatException e) {
        throw new BadValue("must be an integer (" + what + ")");
      }
    }
    throw new BadValue("must be an integer (" + what + ")");
  }

  // ---- validators ---------------------------------------------------------------------------

  public static Validator atLeast(Number min) {
    return new Validator("must be >= " + fmt(min), v -> num(v) >= min.doubleValue());
  }

  public static Validator atMost(Number max) {
    return new Validator("must be <= " + fmt(max), v -> num(v) <= max.doubleValue());
  }

  public static Validator greaterThan(Number min) {
    return new Validator("must be > " + fmt(min), v -> num(v) > min.doubleValue());
  }

  /** Closed interval [lo, hi]. */
  public static Validator between(Number lo, Number hi) {
    return new Validator("must be in [" + fmt(lo) + ", " + fmt(hi) + "]",
        v -> num(v) >= lo.doubleValue() && num(v) <= hi.doubleValue());
  }

  /** Half-open interval [lo, hi). */
  public static Validator atLeastBelow(Number lo, Number hi) {
    return new Validator("must be in [" + fmt(lo) + ", " + fmt(hi) + ")",
        v -> num(v) >= lo.doubleValue() && num(v) < hi.doubleValue());
  }

  /** Open interval (lo, hi). */
  public static Validator strictlyBetween(Number lo, Number hi) {
    return new Validator("must be in (" + fmt(lo) + ", " + fmt(hi) + ")",
        v -> num(v) > lo.doubleValue() && num(v) < hi.doubleValue());
  }

  /** Rules of {@link #in} start with this; such values are stored in lower case. */
  static final String ONE_OF = "must be one of ";

  /** One of the given strings, compared case-insensitively. */
  public static Validator in(String... allowed) {
    List<String> list = List.of(allowed);
    return new Validator(ONE_OF + String.join(", ", list),
        v -> v instanceof String s && list.contains(s.toLowerCase(Locale.ROOT)));
  }

  public static Validator nonEmpty() {
    return new Validator("must not be empty", v -> v instanceof String s ? !s.isBlank()
        : v instanceof List<?> l ? !l.isEmpty() : v != null);
  }

  public static Validator matches(Pattern pattern, String rule) {
    return new Validator(rule, v -> v instanceof String s && pattern.matcher(s).matches());
  }

  /** Every element of a list passes {@code element}. */
  public static Validator each(Validator element) {
    return new Validator("each element " + element.rule(),
        v -> v instanceof List<?> l && l.stream().allMatch(e -> element.violation(e) == null));
  }

  /** Accepts every value of the key's type; {@code rule} only documents it. */
  public static Validator any(String rule) {
    return new Validator(rule, v -> true);
  }

  private static double num(Object v) {
    return ((Number) v).doubleValue();
  }

  /** 1 rather than 1.0, 0.001 rather than 1.0E-3. */
  static String fmt(Object n) {
    if (n instanceof Double d) {
      if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
      return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
    return String.valueOf(n);
  }
}
