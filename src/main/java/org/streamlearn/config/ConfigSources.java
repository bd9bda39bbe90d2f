package org.streamlearn.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/** Reads YAML and {@code STREAMLEARN_*} environment variables into flat {@link Settings}. */
final class ConfigSources {
  private ConfigSources() {}

  /** Nested and dotted YAML keys both flatten to dotted keys: {@code kafka: {bootstrap.servers: x}}. */
  static void readYaml(String text, String source, Settings out, List<String> errors) {
    Object doc;
    try {
      LoaderOptions opts = new LoaderOptions();
      opts.setAllowDuplicateKeys(false);
      doc = new Yaml(new SafeConstructor(opts)).load(text);
    } catch (MarkedYAMLException e) {
      var m = e.getProblemMark();
      throw new ConfigException("cannot parse " + source + ": " + e.getProblem()
          + (m == null ? "" : " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)));
    } catch (YAMLException e) {
      throw new ConfigException("cannot parse " + source + ": " + e.getMessage().replace('\n', ' '));
    }
    if (doc == null) return;
    if (!(doc instanceof Map<?, ?> map)) {
      throw new ConfigException(source + ": the top level must be a mapping of keys to values");
    }
    flatten("", map, source, out, errors);
  }

  private static void flatten(String prefix, Map<?, ?> map, String source, Settings out, List<String> errors) {
    for (var e : map.entrySet()) {
      if (!(e.getKey() instanceof String k) || k.isBlank()) {
        errors.add(prefix + "[" + e.getKey() + "] (" + source + "): keys must be non-empty strings");
        continue;
      }
      String key = prefix.isEmpty() ? k.trim() : prefix + "." + k.trim();
      if (e.getValue() instanceof Map<?, ?> sub) {
        flatten(key, sub, source, out, errors);
      } else if (e.getValue() != null) { // "key:" with nothing after it means "not set"
        if (out.map.containsKey(key)) {
          errors.add(ConfigException.line(key, e.getValue(), source, "given twice (nested and dotted)"));
        }
        out.put(key, e.getValue(), source);
      }
    }
  }

  /**
   * Applies {@code STREAMLEARN_<KEY>} overrides, dots and dashes written as underscores. Names are
   * matched against declared keys, so model names containing underscores or dashes work.
   */
  static void readEnv(Map<String, String> env, Settings out, List<String> errors) {
    for (var e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ConfigLoader.ENV_PREFIX) || name.equals(ConfigLoader.ENV_CONFIG)) continue;
      String key = resolve(name, out);
      if (key == null) {
        String hint = suggestEnv(name, out);
        errors.add(ConfigException.line(name, e.getValue(), "environment",
            "unknown key" + (hint == null ? "" : "; did you mean " + hint + "?")));
      } else {
        out.put(key, e.getValue(), "env " + name);
      }
    }
  }

  static String resolve(String envName, Settings known) {
    String rest = envName.substring(ConfigLoader.ENV_PREFIX.length());
    for (var k : ConfigKeys.GLOBAL.keys()) {
      if (Settings.envForm(k.name()).equals(rest)) return k.name();
    }
    String props = Settings.envForm(ConfigKeys.KAFKA_PROPERTIES_PREFIX);
    if (rest.startsWith(props) && rest.length() > props.length()) {
      for (String k : known.map.keySet()) {
        if (k.startsWith(ConfigKeys.KAFKA_PROPERTIES_PREFIX) && Settings.envForm(k).equals(rest)) return k;
      }
      return ConfigKeys.KAFKA_PROPERTIES_PREFIX + rest.substring(props.length()).toLowerCase(Locale.ROOT).replace('_', '.');
    }
    String models = Settings.envForm(ConfigKeys.MODELS_PREFIX);
    if (!rest.startsWith(models)) return null;
    String tail = rest.substring(models.length());
    Set<String> knownModels = modelNames(known);
    List<String[]> splits = new ArrayList<>(); // {model part, relative key}
    ConfigKeys.MODEL.keys().stream().map(ConfigDef.Key::name)
        .sorted(Comparator.comparingInt(String::length).reversed())
        .forEach(rel -> {
          String suffix = "_" + Settings.envForm(rel);
          if (tail.endsWith(suffix) && tail.length() > suffix.length()) {
            splits.add(new String[] {tail.substring(0, tail.length() - suffix.length()), rel});
          }
        });
    for (String[] s : splits) {
      for (String m : knownModels) {
        if (Settings.envForm(m).equals(s[0])) return ConfigKeys.modelKey(m, s[1]);
      }
    }
    return splits.isEmpty() ? null : ConfigKeys.modelKey(splits.getFirst()[0].toLowerCase(Locale.ROOT), splits.getFirst()[1]);
  }

  static Set<String> modelNames(Settings s) {
    Set<String> names = new LinkedHashSet<>();
    for (String k : s.map.keySet()) {
      if (k.startsWith(ConfigKeys.MODELS_PREFIX)) {
        String tail = k.substring(ConfigKeys.MODELS_PREFIX.length());
        int dot = tail.indexOf('.');
        if (dot > 0) names.add(tail.substring(0, dot));
      }
    }
    return names;
  }

  private static String suggestEnv(String envName, Settings known) {
    List<String> candidates = new ArrayList<>();
    for (var k : ConfigKeys.GLOBAL.keys()) candidates.add(Settings.envName(k.name()));
    for (String m : modelNames(known)) {
      for (var k : ConfigKeys.MODEL.keys()) candidates.add(Settings.envName(ConfigKeys.modelKey(m, k.name())));
    }
    return Settings.closest(envName, candidates);
  }
}
