package org.streamlearn.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Compares what an example printed with what its page says it prints. JSON: the same keys at every
 * level, arrays of the same length, values of the same type (a number may be null: not finite),
 * strings equal with every number standing for any number. HTTP: the status code, and each header
 * shown (name in any case, numbers free). Other text: the expected lines in order among the actual
 * ones, numbers free, a line that holds JSON after a {@code field: } prefix compared as JSON.
 */
final class ExpectedOutput {
  private ExpectedOutput() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
  /** Strings that name the machine or the moment, not the behaviour: any string matches. */
  private static final Set<String> FREE_STRINGS = Set.of("replica");

  /** Like {@link #mismatch}, but text must have exactly the expected lines: for a program's whole output. */
  static String mismatchExactLines(String expected, String actual) {
    String m = mismatch(expected, actual);
    if (m != null || json(expected.strip()) != null || expected.strip().startsWith("HTTP/")) return m;
    List<String> exp = List.of(expected.replace("\r", "").stripTrailing().split("\n", -1));
    List<String> act = List.of(actual.replace("\r", "").stripTrailing().split("\n", -1));
    return exp.size() == act.size() ? null
        : "expected " + exp.size() + " lines, got " + act.size() + ":\n" + cut(actual);
  }

  /** Null when actual fits expected, else what differs. */
  static String mismatch(String expected, String actual) {
    String exp = expected.strip().replace("\r", "");
    String act = actual.replace("\r", "");
    if (exp.isEmpty()) return null;
    JsonNode expJson = json(exp);
    if (expJson != null) {
      String body = act.startsWith("HTTP/") && act.contains("\n\n") ? act.substring(act.indexOf("\n\n") + 2) : act;
      JsonNode actJson = json(body.strip());
      if (actJson == null) return "expected JSON, got: " + cut(act);
      return shape("$", expJson, actJson);
    }
    if (exp.startsWith("HTTP/")) return http(exp, act);
    return lines(exp, act);
  }

  private static JsonNode json(String s) {
    if (!(s.startsWith("{") || s.startsWith("["))) return null;
    try {
      return JSON.readTree(s);
    } catch (Exception e) {
      return null;
    }
  }

  private static String shape(String path, JsonNode exp, JsonNode act) {
    if (exp.isNull() || exp.isNumber()) {
      return act.isNull() || act.isNumber() ? null : path + ": expected a number or null, got " + cut(act.toString());
    }
    if (exp.isTextual()) {
      if (!act.isTextual()) return path + ": expected a string, got " + cut(act.toString());
      String key = path.substring(path.lastIndexOf('.') + 1);
      if (FREE_STRINGS.contains(key) || numbersFree(exp.asText()).equals(numbersFree(act.asText()))) return null;
      return path + ": expected \"" + exp.asText() + "\", got \"" + act.asText() + "\"";
    }
    if (exp.isBoolean()) return exp.equals(act) ? null : path + ": expected " + exp + ", got " + cut(act.toString());
    if (exp.isArray()) {
      if (!act.isArray()) return path + ": expected an array, got " + cut(act.toString());
      if (exp.size() != act.size()) return path + ": expected " + exp.size() + " elements, got " + act.size() + ": " + cut(act.toString());
      for (int i = 0; i < exp.size(); i++) {
        String m = shape(path + "[" + i + "]", exp.get(i), act.get(i));
        if (m != null) return m;
      }
      return null;
    }
    if (!act.isObject()) return path + ": expected an object, got " + cut(act.toString());
    Set<String> missing = new TreeSet<>(), extra = new TreeSet<>();
    exp.fieldNames().forEachRemaining(k -> { if (!act.has(k)) missing.add(k); });
    act.fieldNames().forEachRemaining(k -> { if (!exp.has(k)) extra.add(k); });
    if (!missing.isEmpty() || !extra.isEmpty()) {
      return path + ": keys differ: documented but not answered " + missing + ", answered but not documented " + extra;
    }
    for (Iterator<String> it = exp.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      String m = shape(path + "." + k, exp.get(k), act.get(k));
      if (m != null) return m;
    }
    return null;
  }

  private static String http(String exp, String act) {
    String[] e = exp.split("\n\n", 2), a = act.split("\n\n", 2);
    String[] eh = e[0].split("\n"), ah = a[0].strip().split("\n");
    if (!ah[0].startsWith("HTTP/")) return "expected an HTTP status line, got: " + cut(act);
    String es = eh[0].split(" ")[1], as = ah[0].split(" ")[1];
    if (!es.equals(as)) return "expected status " + es + ", got " + ah[0];
    for (int i = 1; i < eh.length; i++) {
      String want = header(eh[i]);
      boolean found = false;
      for (int j = 1; j < ah.length && !found; j++) found = header(ah[j]).equals(want);
      if (!found) return "expected header '" + eh[i] + "', got headers: " + String.join(" | ", List.of(ah).subList(1, ah.length));
    }
    return e.length > 1 && !e[1].isBlank() ? mismatch(e[1], a.length > 1 ? a[1] : "") : null;
  }

  private static String header(String line) {
    int c = line.indexOf(':');
    return c < 0 ? numbersFree(line) : line.substring(0, c).toLowerCase(Locale.ROOT) + ":" + numbersFree(line.substring(c + 1).strip());
  }

  private static String lines(String exp, String act) {
    List<String> actual = new ArrayList<>(List.of(act.split("\n", -1)));
    int j = 0;
    for (String want : exp.split("\n", -1)) {
      boolean found = false;
      while (j < actual.size() && !found) found = lineMatches(want.stripTrailing(), actual.get(j++).stripTrailing());
      if (!found) return "expected a line '" + cut(want) + "' (in order), got:\n" + cut(act);
    }
    return null;
  }

  private static boolean lineMatches(String want, String got) {
    int c = want.indexOf(": ");
    String prefix = c < 0 ? "" : want.substring(0, c + 2);
    JsonNode wantJson = json(want.substring(prefix.length()));
    if (wantJson != null) {
      if (!got.startsWith(prefix)) return false;
      JsonNode gotJson = json(got.substring(prefix.length()));
      return gotJson != null && shape("$", wantJson, gotJson) == null;
    }
    return numbersFree(want).equals(numbersFree(got));
  }

  static String numbersFree(String s) {
    return NUMBER.matcher(s).replaceAll("#");
  }

  private static String cut(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }
}
