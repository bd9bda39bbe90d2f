package org.streamlearn.config;

import static org.streamlearn.config.ConfigKeys.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Loads the configuration: YAML file, then {@code STREAMLEARN_*} environment overrides (which win),
 * then types, validators and cross-key rules. Every problem becomes a {@link ConfigException} before
 * anything starts.
 */
public final class ConfigLoader {
  public static final Path DEFAULT_PATH = Path.of("config", "streamlearn.yaml");
  public static final String ENV_PREFIX = "STREAMLEARN_";
  /** Names the configuration file; not a key. */
  public static final String ENV_CONFIG = "STREAMLEARN_CONFIG";

  private final Settings settings = new Settings();
  private final List<String> errors = new ArrayList<>();
  private final String fileSource;
  private final Map<String, Object> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new LinkedHashMap<>();

  private ConfigLoader(String fileSource) {
    this.fileSource = fileSource;
  }

  /** The file named by {@code STREAMLEARN_CONFIG}, else {@code config/streamlearn.yaml}. */
  public static AppConfig load(Map<String, String> env) {
    String p = env.get(ENV_CONFIG);
    return load(p == null || p.isBlank() ? DEFAULT_PATH : Path.of(p), env);
  }

  public static AppConfig load(Path file, Map<String, String> env) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " not found (give another with --config or "
          + ENV_CONFIG + ")");
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e);
    }
    return parse(text, file.toString(), env);
  }

  /** Parses YAML text; {@code source} names it in error messages. */
  public static AppConfig parse(String yaml, String source, Map<String, String> env) {
    ConfigLoader l = new ConfigLoader(source);
    ConfigSources.readYaml(yaml, source, l.settings, l.errors);
    ConfigSources.readEnv(env, l.settings, l.errors);
    AppConfig cfg = l.build();
    if (!l.errors.isEmpty()) throw new ConfigException(l.errors);
    return cfg;
  }

  // ---- typing and validation of single keys -------------------------------------------------

  private AppConfig build() {
    Map<String, String> props = new LinkedHashMap<>();
    Set<String> models = ConfigSources.modelNames(settings);
    for (var e : settings.map.entrySet()) {
      String key = e.getKey();
      var s = e.getValue();
      ConfigDef.Key def = ConfigKeys.GLOBAL.key(key);
      if (def != null) {
        typed(key, def, s);
      } else if (key.startsWith(KAFKA_PROPERTIES_PREFIX) && key.length() > KAFKA_PROPERTIES_PREFIX.length()) {
        Object raw = s.raw();
        props.put(key.substring(KAFKA_PROPERTIES_PREFIX.length()),
            raw instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(raw));
        sources.put(key, s.source());
      } else if (key.startsWith(MODELS_PREFIX) && key.indexOf('.', MODELS_PREFIX.length()) > 0) {
        String tail = key.substring(MODELS_PREFIX.length());
        String model = tail.substring(0, tail.indexOf('.'));
        String rel = tail.substring(model.length() + 1);
        ConfigDef.Key mdef = ConfigKeys.MODEL.key(rel);
        if (mdef != null) typed(key, mdef, s);
        else unknown(key, s, models);
      } else if (key.equals("models") || key.startsWith(MODELS_PREFIX)) {
        errors.add(ConfigException.line(key, s.raw(), s.source(),
            "must be a mapping (models: {<name>: {topics: [...], ...}})"));
      } else {
        unknown(key, s, models);
      }
    }
    for (var k : ConfigKeys.GLOBAL.keys()) fillDefault(k.name(), k);
    // Invalid global keys were reported; build with their defaults so later rules can still run.
    Map<String, Object> values = new LinkedHashMap<>(this.values);
    for (var k : ConfigKeys.GLOBAL.keys()) values.putIfAbsent(k.name(), k.defaultValue());

    String servers = (String) values.get(KAFKA_BOOTSTRAP_SERVERS);
    int replication = (Integer) values.get(KAFKA_TOPICS_REPLICATION);
    if (servers.isEmpty() && replication != 1) {
      error(KAFKA_TOPICS_REPLICATION, "must be 1 with the embedded broker (kafka.bootstrap.servers is empty)");
    }
    var kafka = new KafkaConfig(servers, Path.of((String) values.get(KAFKA_EMBEDDED_DIR)), props,
        (Integer) values.get(KAFKA_TOPICS_PARTITIONS), (short) replication, (Long) values.get(KAFKA_STARTUP_TIMEOUT_MS),
        (Integer) values.get(KAFKA_EMBEDDED_PORT));
    var http = new HttpConfig((String) values.get(HTTP_HOST), (Integer) values.get(HTTP_PORT),
        (Long) values.get(HTTP_BODY_LIMIT_BYTES), (String) values.get(HTTP_CONTROL_TOKEN));
    var demo = new DemoConfig((Boolean) values.get(DEMO_ENABLED), (Double) values.get(DEMO_RATE));

    Map<String, ModelConfig> built = new LinkedHashMap<>();
    if (models.isEmpty()) {
      errors.add(ConfigException.line("models", null, fileSource,
          "at least one model is required (models.<name>.topics, models.<name>.layers, ...)"));
    }
    Map<String, String> groups = new LinkedHashMap<>();
    for (String m : models) {
      if (!MODEL_NAME.matcher(m).matches()) {
        errors.add(ConfigException.line(MODELS_PREFIX + m, "{...}", sourceOfModel(m),
            "model names must match " + MODEL_NAME.pattern()));
        continue;
      }
      ModelConfig mc = new ModelBuilder(this, m).build();
      if (mc == null) continue;
      String other = groups.putIfAbsent(mc.group(), m);
      if (other != null) {
        error(modelKey(m, GROUP), "consumer group already used by model " + other
            + "; models need their own groups");
      }
      built.put(m, mc);
    }
    Map<String, String> effective = new LinkedHashMap<>();
    values.forEach((k, v) -> effective.put(k, Settings.display(k, v) + " (" + sources.get(k) + ")"));
    props.forEach((k, v) -> effective.put(KAFKA_PROPERTIES_PREFIX + k,
        Settings.display(KAFKA_PROPERTIES_PREFIX + k, v) + " (" + sources.get(KAFKA_PROPERTIES_PREFIX + k) + ")"));
    return new AppConfig(kafka, http, demo, (Long) values.get(PROGRESS_INTERVAL_MS),
        (Long) values.get(SHUTDOWN_TIMEOUT_MS), built, effective);
  }

  private void typed(String key, ConfigDef.Key def, Settings.Setting s) {
    try {
      Object v = ConfigDef.parse(def.type(), s.raw());
      if (v instanceof String str && def.validator().rule().startsWith(ConfigDef.ONE_OF)) {
        v = str.toLowerCase(Locale.ROOT);
      }
      String violation = def.validator().violation(v);
      if (violation != null) {
        errors.add(ConfigException.line(key, s.raw(), s.source(), violation));
      } else {
        values.put(key, v);
        sources.put(key, s.source());
      }
    } catch (ConfigDef.BadValue e) {
      errors.add(ConfigException.line(key, s.raw(), s.source(), e.getMessage()));
    }
  }

  private void unknown(String key, Settings.Setting s, Set<String> models) {
    List<String> candidates = new ArrayList<>();
    for (var k : ConfigKeys.GLOBAL.keys()) candidates.add(k.name());
    for (String m : models) for (var k : ConfigKeys.MODEL.keys()) candidates.add(modelKey(m, k.name()));
    String hint = Settings.closest(key, candidates);
    if (hint == null && key.startsWith("kafka.")) hint = KAFKA_PROPERTIES_PREFIX + key.substring("kafka.".length());
    errors.add(ConfigException.line(key, s.raw(), s.source(),
        "unknown key" + (hint == null ? "" : "; did you mean " + hint + "?")));
  }

  /** Default if absent; required keys that are absent are errors. */
  void fillDefault(String key, ConfigDef.Key def) {
    if (values.containsKey(key) || settings.map.containsKey(key)) return; // present (maybe invalid)
    if (def.required()) {
      String where = key.startsWith(MODELS_PREFIX) ? sourceOfModel(key.split("\\.")[1]) : fileSource;
      errors.add(ConfigException.line(key, null, where, "required: " + decapitalize(def.doc())));
    } else if (def.hasDefault()) {
      values.put(key, def.defaultValue());
      sources.put(key, "default");
    }
  }

  // ---- helpers shared with ModelBuilder -----------------------------------------------------

  /** Parsed value, or null when absent or invalid (an error was then recorded). */
  Object value(String key) {
    return values.get(key);
  }

  boolean given(String key) {
    return settings.map.containsKey(key);
  }

  /** A key that was given but failed parsing or validation. */
  boolean invalid(String key) {
    return settings.map.containsKey(key) && !values.containsKey(key);
  }

  void put(String key, Object value, String source) {
    values.put(key, value);
    sources.putIfAbsent(key, source);
  }

  /** Records a cross-key error against the key's current value and source. */
  void error(String key, String rule) {
    var s = settings.map.get(key);
    errors.add(ConfigException.line(key, values.containsKey(key) ? values.get(key) : s == null ? null : s.raw(),
        s != null ? s.source() : key.startsWith(MODELS_PREFIX) ? sourceOfModel(key.split("\\.")[1]) : "default",
        rule));
  }

  String sourceOfModel(String model) {
    String prefix = MODELS_PREFIX + model + ".";
    for (var e : settings.map.entrySet()) if (e.getKey().startsWith(prefix)) return e.getValue().source();
    return fileSource;
  }

  static Double number(Matcher m, int group) {
    String g = m.group(group);
    if (g == null) return null;
    try {
      double d = Double.parseDouble(g);
      return Double.isFinite(d) ? d : Double.NaN;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  private static String decapitalize(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
