package org.streamlearn.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  static final String SRC = "test.yaml";
  static final String IRIS = """
      models:
        iris:
          topics: [iris.train]
          format: csv
          features: 4
          label: {type: class, classes: 3}
          layers: input(4) dense(8) relu dense(3)
      """;

  static AppConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, SRC, Map.of());
  }

  static AppConfig parse(String yaml, Map<String, String> env) {
    return ConfigLoader.parse(yaml, SRC, env);
  }

  /** Parses and expects a ConfigException; returns its message after checking it is one line. */
  static String error(String yaml, Map<String, String> env) {
    try {
      ConfigLoader.parse(yaml, SRC, env);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("config error: ").doesNotContain("\n");
      return e.getMessage();
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml + "\nenv " + env);
  }

  static String error(String yaml) {
    return error(yaml, Map.of());
  }

  @Test
  void exampleConfigFileLoads() {
    AppConfig c = ConfigLoader.load(Path.of("config/streamlearn.yaml"), Map.of());
    assertThat(c.kafka().bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.kafka().embedded()).isFalse();
    assertThat(c.demo().enabled()).isTrue();
    assertThat(c.models()).containsOnlyKeys("digits", "co2");

    ModelConfig d = c.models().get("digits");
    assertThat(d.topics()).containsExactly("digits.train");
    assertThat(d.group()).isEqualTo("streamlearn-digits");
    assertThat(d.input()).isEqualTo(new InputConfig(InputConfig.Format.CSV, 64, 0, 1, "x", "y", -1));
    assertThat(d.label()).isEqualTo(new LabelConfig(LabelConfig.Type.CLASS, 10, 1));
    assertThat(d.loss().kind()).isEqualTo(LossConfig.Kind.CROSS_ENTROPY);
    assertThat(d.optimizer().name()).isEqualTo(OptimizerConfig.Name.ADAM);
    assertThat(d.optimizer().lr()).isEqualTo(0.003);
    assertThat(d.clip()).isEqualTo(new ClipConfig(ClipConfig.Kind.NORM, 5));

    ModelConfig co2 = c.models().get("co2");
    assertThat(co2.input().sequence()).isTrue();
    assertThat(co2.input().features()).isEqualTo(52);
    assertThat(co2.label().type()).isEqualTo(LabelConfig.Type.REGRESSION);
    assertThat(co2.loss()).isEqualTo(new LossConfig(LossConfig.Kind.HUBER, 1.0));
    assertThat(co2.schedule().name()).isEqualTo("cosine");
    assertThat(co2.schedule().args()).containsExactly(Map.entry("warmup", 100.0), Map.entry("total", 20000.0));
    assertThat(co2.optimizer().weightDecay()).isEqualTo(0.0001);
  }

  @Test
  void defaultsOfEveryKeyPassTheirValidators() {
    for (var def : ConfigKeys.GLOBAL.keys()) {
      if (def.hasDefault()) assertThat(def.validator().violation(def.defaultValue())).as(def.name()).isNull();
    }
    for (var def : ConfigKeys.MODEL.keys()) {
      if (def.hasDefault()) assertThat(def.validator().violation(def.defaultValue())).as(def.name()).isNull();
    }
  }

  @Test
  void minimalConfigGetsDefaults() {
    AppConfig c = parse(IRIS);
    assertThat(c.kafka().embedded()).isTrue();
    assertThat(c.kafka().embeddedDir()).isEqualTo(Path.of("data/kafka"));
    assertThat(c.http()).isEqualTo(new HttpConfig("127.0.0.1", 8080, 1 << 20));
    assertThat(c.demo()).isEqualTo(new DemoConfig(false, 200));
    ModelConfig m = c.models().get("iris");
    assertThat(m.group()).isEqualTo("streamlearn-iris");
    assertThat(m.batchSize()).isEqualTo(32);
    assertThat(m.loss().kind()).isEqualTo(LossConfig.Kind.CROSS_ENTROPY);
    assertThat(m.schedule()).isEqualTo(new ScheduleConfig("constant", Map.of()));
    assertThat(m.clip().kind()).isEqualTo(ClipConfig.Kind.NONE);
    assertThat(c.effective()).containsEntry("http.port", "8080 (default)")
        .containsEntry("models.iris.features", "4 (test.yaml)");
  }

  @Test
  void outOfRangeNamesKeyValueSourceAndRule() {
    assertThat(error(IRIS + "    optimizer: {lr: -0.1}\n"))
        .isEqualTo("config error: models.iris.optimizer.lr = -0.1 (test.yaml): must be > 0");
    assertThat(error(IRIS + "    batch.size: 5000\n"))
        .isEqualTo("config error: models.iris.batch.size = 5000 (test.yaml): must be in [1, 4096]");
    assertThat(error(IRIS + "    divergence.lr.factor: 1\n"))
        .isEqualTo("config error: models.iris.divergence.lr.factor = 1 (test.yaml): must be in (0, 1)");
    assertThat(error(IRIS + "    divergence.backup.every.steps: 0\n"))
        .isEqualTo("config error: models.iris.divergence.backup.every.steps = 0 (test.yaml): must be in [1, 100000000]");
  }

  /** Not capped by the batch: the splits cut weights (GEMM columns, a batch of one's rows, the sweep), not rows. */
  @Test
  void trainThreadsIsAutoByDefaultAndNamedWhenBad() {
    int cores = Runtime.getRuntime().availableProcessors();
    ModelConfig auto = parse(IRIS).models().get("iris");
    assertThat(auto.trainThreads()).isEqualTo(cores);
    assertThat(auto.tuneThreads()).isEqualTo(cores > 1);
    ModelConfig one = parse(IRIS + "    batch.size: 1\n").models().get("iris");
    assertThat(one.trainThreads()).isEqualTo(cores);
    assertThat(one.tuneThreads()).isEqualTo(cores > 1);
    ModelConfig single = parse(IRIS + "    train.threads: 1\n").models().get("iris");
    assertThat(single.trainThreads()).isEqualTo(1);
    assertThat(single.tuneThreads()).isFalse(); // nothing to choose between
    ModelConfig fixed = parse(IRIS + "    train.threads: 3\n    batch.size: 2\n").models().get("iris");
    assertThat(fixed.trainThreads()).isEqualTo(3);
    assertThat(fixed.tuneThreads()).isFalse();
    assertThat(parse(IRIS + "    train.threads: 1024\n").models().get("iris").trainThreads()).isEqualTo(1024);
    for (String bad : new String[] {"0", "1025", "two", "-1", "1.5", "auto2"})
      assertThat(error(IRIS + "    train.threads: " + bad + "\n")).isEqualTo("config error: models.iris.train.threads = "
          + bad + " (test.yaml): must be auto or a whole number in [1, 1024]");
  }

  @Test
  void divergenceBackupIntervalReachesTheLearner() {
    assertThat(parse(IRIS).models().get("iris").learnerConfig().backupEvery()).isEqualTo(100);
    assertThat(parse(IRIS + "    divergence.backup.every.steps: 7\n").models().get("iris").learnerConfig().backupEvery())
        .isEqualTo(7);
  }

  @Test
  void unknownKeyIsAnErrorWithSuggestion() {
    assertThat(error(IRIS + "    optimizer: {lrr: 0.1}\n")).isEqualTo(
        "config error: models.iris.optimizer.lrr = 0.1 (test.yaml): unknown key; did you mean models.iris.optimizer.lr?");
    assertThat(error(IRIS + "http.prot: 9000\n")).isEqualTo(
        "config error: http.prot = 9000 (test.yaml): unknown key; did you mean http.port?");
    assertThat(error(IRIS + "kafka.security.protocol: SSL\n")).contains("kafka.security.protocol = SSL")
        .contains("did you mean kafka.properties.security.protocol?");
    assertThat(error(IRIS + "frobnicate: 1\n")).isEqualTo("config error: frobnicate = 1 (test.yaml): unknown key");
  }

  @Test
  void wrongTypeNamesKeyValueSourceAndRule() {
    assertThat(error(IRIS + "http: {port: abc}\n"))
        .isEqualTo("config error: http.port = abc (test.yaml): must be an integer (int)");
    assertThat(error(IRIS + "    batch.size: 1.5\n")).contains("models.iris.batch.size = 1.5 (test.yaml): must be an integer");
    assertThat(error(IRIS + "demo.enabled: maybe\n")).contains("demo.enabled = maybe (test.yaml): must be a boolean");
    assertThat(error(IRIS + "    seed: [1, 2]\n")).contains("models.iris.seed = [1, 2] (test.yaml): must be an integer");
  }

  @Test
  void unknownEnumValueListsTheAllowedOnes() {
    assertThat(error(IRIS + "    optimizer: {name: adamx}\n")).isEqualTo("config error: models.iris.optimizer.name = adamx"
        + " (test.yaml): must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw");
    assertThat(error(IRIS.replace("format: csv", "format: parquet")))
        .isEqualTo("config error: models.iris.format = parquet (test.yaml): must be one of json, csv, f32");
    assertThat(error(IRIS + "    loss: hinge\n")).contains("models.iris.loss = hinge (test.yaml): must be one of mse");
    assertThat(error(IRIS + "    clip: norm(-1)\n")).isEqualTo(
        "config error: models.iris.clip = norm(-1) (test.yaml): the threshold of norm(x) must be a number > 0");
    assertThat(error(IRIS + "    clip: norm\n")).contains("models.iris.clip = norm (test.yaml): must be none, norm(x)");
  }

  @Test
  void missingTopicsAndLayersAreErrors() {
    String noTopics = IRIS.replace("    topics: [iris.train]\n", "");
    assertThat(error(noTopics)).startsWith("config error: models.iris.topics = (missing) (test.yaml): required");
    assertThat(error(IRIS.replace("[iris.train]", "[]"))).isEqualTo(
        "config error: models.iris.topics = [] (test.yaml): must not be empty");
    assertThat(error(IRIS.replace("[iris.train]", "[\"bad topic\"]")))
        .contains("models.iris.topics = [bad topic] (test.yaml): each element must be a legal Kafka topic name");
    assertThat(error(IRIS.replace("    layers: input(4) dense(8) relu dense(3)\n", "")))
        .startsWith("config error: models.iris.layers = (missing) (test.yaml): required");
    assertThat(error("http.port: 1\n")).startsWith("config error: models = (missing) (test.yaml): at least one model");
  }

  @Test
  void crossKeyRules() {
    assertThat(error(IRIS.replace(", classes: 3", ""))).isEqualTo(
        "config error: models.iris.label.classes = (missing) (test.yaml): required when label.type = class");
    assertThat(error(IRIS + "    loss: mse\n")).isEqualTo("config error: models.iris.loss = mse (test.yaml): "
        + "mse needs label.type = regression (use cross_entropy for classes)");
    assertThat(error(IRIS + "kafka.topics.replication: 3\n")).isEqualTo("config error: kafka.topics.replication = 3"
        + " (test.yaml): must be 1 with the embedded broker (kafka.bootstrap.servers is empty)");
    assertThat(error(IRIS + "    window: 3\n    channels: 2\n")).isEqualTo(
        "config error: models.iris.features = 4 (test.yaml): must equal window × channels = 6 (or be left out)");
    assertThat(error(IRIS + "    csv.label.column: 7\n"))
        .contains("models.iris.csv.label.column = 7 (test.yaml): must be -1 or <= features (4)");
    assertThat(error(IRIS + "    queue.max.records: 10\n"))
        .isEqualTo("config error: models.iris.queue.max.records = 10 (test.yaml): must be >= batch.size (32)");
    String twoModels = IRIS + IRIS.substring("models:\n".length()).replace("iris:", "iris2:")
        .replace("format: csv", "format: csv\n    group: streamlearn-iris");
    assertThat(error(twoModels)).isEqualTo("config error: models.iris2.group = streamlearn-iris (test.yaml): "
        + "consumer group already used by model iris; models need their own groups");
  }

  @Test
  void windowAndChannelsGiveFeatures() {
    String co2 = """
        models:
          co2:
            topics: co2.train, co2.more
            window: 52
            channels: 2
            label.type: regression
            targets: 4
            layers: input(52x2) lstm(8) dense(4)
        """;
    ModelConfig m = parse(co2).models().get("co2");
    assertThat(m.topics()).containsExactly("co2.train", "co2.more");
    assertThat(m.input().features()).isEqualTo(104);
    assertThat(m.labelWidth()).isEqualTo(4);
    assertThat(m.loss().kind()).isEqualTo(LossConfig.Kind.MSE);
  }

  @Test
  void envOverridesWinOverYaml() {
    AppConfig c = parse(IRIS + "    optimizer: {lr: 0.1}\nhttp.port: 9000\n",
        Map.of("STREAMLEARN_MODELS_IRIS_OPTIMIZER_LR", "0.5", "STREAMLEARN_HTTP_PORT", "9001",
            "STREAMLEARN_MODELS_IRIS_TOPICS", "a,b", "STREAMLEARN_CONFIG", "ignored.yaml", "PATH", "/bin"));
    assertThat(c.models().get("iris").optimizer().lr()).isEqualTo(0.5);
    assertThat(c.models().get("iris").topics()).containsExactly("a", "b");
    assertThat(c.http().port()).isEqualTo(9001);
    assertThat(c.effective()).containsEntry("http.port", "9001 (env STREAMLEARN_HTTP_PORT)");
  }

  @Test
  void envMatchesModelNamesWithUnderscoresAndDashes() {
    String yaml = IRIS.replace("iris:", "my_model:") + IRIS.substring("models:\n".length()).replace("iris:", "other-one:");
    AppConfig c = parse(yaml, Map.of("STREAMLEARN_MODELS_MY_MODEL_BATCH_SIZE", "8",
        "STREAMLEARN_MODELS_OTHER_ONE_OPTIMIZER_NAME", "SGD"));
    assertThat(c.models().get("my_model").batchSize()).isEqualTo(8);
    assertThat(c.models().get("other-one").optimizer().name()).isEqualTo(OptimizerConfig.Name.SGD);
  }

  @Test
  void kafkaPropertiesPassThroughAndSecretsAreMasked() {
    AppConfig c = parse(IRIS + """
        kafka:
          bootstrap.servers: broker1:9092, broker2:9093
          topics.replication: 3
          properties:
            security.protocol: SASL_SSL
            sasl.jaas.config: secret-stuff
            linger.ms: 5
        """, Map.of("STREAMLEARN_KAFKA_PROPERTIES_SASL_MECHANISM", "PLAIN"));
    assertThat(c.kafka().properties()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("linger.ms", "5").containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry("sasl.jaas.config", "secret-stuff");
    assertThat(c.kafka().topicReplication()).isEqualTo((short) 3);
    assertThat(c.effective().get("kafka.properties.sasl.jaas.config")).startsWith("******").doesNotContain("secret-stuff");
  }

  @Test
  void badEnvOverrideNamesVariable() {
    assertThat(error(IRIS, Map.of("STREAMLEARN_HTTP_PORT", "abc")))
        .isEqualTo("config error: http.port = abc (env STREAMLEARN_HTTP_PORT): must be an integer (int)");
    assertThat(error(IRIS, Map.of("STREAMLEARN_MODELS_IRIS_OPTIMIZER_LR", "-1")))
        .isEqualTo("config error: models.iris.optimizer.lr = -1 (env STREAMLEARN_MODELS_IRIS_OPTIMIZER_LR): must be > 0");
    assertThat(error(IRIS, Map.of("STREAMLEARN_HTTP_PROT", "1"))).isEqualTo(
        "config error: STREAMLEARN_HTTP_PROT = 1 (environment): unknown key; did you mean STREAMLEARN_HTTP_PORT?");
  }

  @Test
  void yamlSyntaxErrorNamesFileAndLine() {
    assertThat(error("models:\n  iris: [\n")).startsWith("config error: cannot parse test.yaml: ").contains("line ");
    assertThat(error("- a\n- b\n")).isEqualTo("config error: test.yaml: the top level must be a mapping of keys to values");
    assertThat(error(IRIS + "http.port: 1\nhttp.port: 2\n")).contains("test.yaml").contains("duplicate key");
  }

  @Test
  void severalErrorsAreAllKept(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, IRIS + "    batch.size: 0\nhttp.port: -1\n");
    assertThatThrownBy(() -> ConfigLoader.load(f, Map.of())).isInstanceOfSatisfying(ConfigException.class, e -> {
      assertThat(e.getMessage()).contains("(" + f + ")").endsWith("(and 1 more)");
      assertThat(e.errors()).hasSize(2);
    });
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("none.yaml"), Map.of()))
        .hasMessageContaining("none.yaml not found");
  }
}
