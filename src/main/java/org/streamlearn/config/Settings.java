package org.streamlearn.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Raw settings before parsing: dotted key → raw value and where it came from, in source order. */
final class Settings {
  record Setting(Object raw, String source) {}

  private static final Pattern SECRET =
      Pattern.compile(".*(password|secret|jaas|token|credential|\\.key$|apikey|api\\.key).*");

  final Map<String, Setting> map = new LinkedHashMap<>();

  void put(String key, Object raw, String source) {
    map.put(key, new Setting(raw, source));
  }

  /** How a value is shown in messages and the start-up log: lists as [a, b], secrets masked. */
  static String display(String key, Object value) {
    if (value == null) return "(missing)";
    if (isSecret(key)) return "******";
    if (value instanceof List<?> l) return l.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]"));
    if (value instanceof Double d) return ConfigDef.fmt(d);
    return String.valueOf(value);
  }

  static boolean isSecret(String key) {
    return SECRET.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  /** {@code models.my-model.optimizer.lr} → {@code STREAMLEARN_MODELS_MY_MODEL_OPTIMIZER_LR}. */
  static String envName(String key) {
    return ConfigLoader.ENV_PREFIX + envForm(key);
  }

  static String envForm(String key) {
    return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Edit distance, for "did you mean". */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev; prev = cur; cur = t;
    }
    return prev[b.length()];
  }

  /** The closest candidate if it is close enough to be a likely typo, else null. */
  static String closest(String key, Iterable<String> candidates) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(key, c);
      if (d < bestD) { bestD = d; best = c; }
    }
    return best != null && bestD <= Math.max(2, key.length() / 5) ? best : null;
  }
}
