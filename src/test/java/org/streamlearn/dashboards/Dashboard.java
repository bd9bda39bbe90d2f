package org.streamlearn.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The shipped Grafana dashboard, read with Jackson, and the metric names its PromQL expressions use. */
final class Dashboard {
  static final Path FILE = Path.of("dashboards/streamlearn.json");

  /** One query of one panel. */
  record Target(int panelId, String panel, String refId, String expr) {
    @Override public String toString() {
      return "panel " + panelId + " '" + panel + "' target " + refId + ": " + expr;
    }
  }

  private Dashboard() {}

  static JsonNode read() throws IOException {
    return new ObjectMapper().readTree(Files.readString(FILE));
  }

  static List<Target> targets(JsonNode dash) {
    List<Target> out = new ArrayList<>();
    for (JsonNode p : dash.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        out.add(new Target(p.path("id").asInt(), p.path("title").asText(), t.path("refId").asText(), t.path("expr").asText()));
      }
    }
    return out;
  }

  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern BRACES = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");

  /**
   * Metric names in a PromQL expression: identifiers that are not functions (followed by '('),
   * keywords, label names (inside braces or grouping clauses), strings, durations or numbers.
   */
  static Set<String> metricNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    s = BRACES.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new LinkedHashSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      if (m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1))) continue; // 1e3, 5m
      String id = m.group();
      int after = m.end();
      while (after < s.length() && s.charAt(after) == ' ') after++;
      if (after < s.length() && s.charAt(after) == '(') continue; // a function or aggregation
      if (PROMQL_WORDS.contains(id.toLowerCase(java.util.Locale.ROOT))) continue;
      names.add(id);
    }
    return names;
  }

  /** The label matchers of every selector of {@code metric} in {@code expr} ("" for a bare name). */
  static List<String> selectors(String expr, String metric) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("(?<![A-Za-z0-9_:])" + Pattern.quote(metric) + "(?![A-Za-z0-9_:])(\\s*\\{([^}]*)})?").matcher(expr);
    while (m.find()) out.add(m.group(2) == null ? "" : m.group(2));
    return out;
  }

  /** The expression as Prometheus will get it from Grafana with these models selected. */
  static String substitute(String expr, String modelRegex, String rateInterval) {
    return expr.replace("${model}", modelRegex).replace("$model", modelRegex)
        .replace("$__rate_interval", rateInterval).replace("$__interval", rateInterval)
        .replace("${__rate_interval}", rateInterval).replace("${__interval}", rateInterval);
  }
}
