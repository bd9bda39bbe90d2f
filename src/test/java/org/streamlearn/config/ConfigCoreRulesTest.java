package org.streamlearn.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.learn.LearnerConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.optim.ClipSpec;

/** Validation runs the core's parsers (ModelSpec, Schedule, Loss, OptimizerSpec) and checks the spec fits the data. */
class ConfigCoreRulesTest {
  static final String IRIS = ConfigLoaderTest.IRIS;
  static final String CO2 = """
      models:
        co2:
          topics: [co2.train]
          format: csv
          window: 52
          label.type: regression
          layers: input(52x1) lstm(4) dense(1)
      """;

  static String error(String yaml) {
    return ConfigLoaderTest.error(yaml);
  }

  @Test
  void unknownLayerNamesKeyValueAndPosition() {
    assertThat(error(IRIS.replace("input(4) dense(8) relu dense(3)", "input(4) dnse(3)")))
        .startsWith("config error: models.iris.layers = input(4) dnse(3) (test.yaml): unknown layer 'dnse' at position 2");
    assertThat(error(IRIS.replace("input(4) dense(8) relu dense(3)", "dense(3)")))
        .startsWith("config error: models.iris.layers = dense(3) (test.yaml): model spec must start with input(...)");
    assertThat(error(IRIS.replace("input(4) dense(8) relu dense(3)", "input(4) lstm(3) dense(3)")))
        .startsWith("config error: models.iris.layers = input(4) lstm(3) dense(3) (test.yaml): layer 'lstm(3)' at position 2 needs a sequence input");
  }

  @Test
  void inputSizeMustEqualFeatures() {
    assertThat(error(IRIS.replace("input(4)", "input(5)"))).isEqualTo(
        "config error: models.iris.layers = input(5) dense(8) relu dense(3) (test.yaml): input size 5 must equal features = 4");
    assertThat(error(CO2.replace("input(52x1)", "input(26x2)"))).isEqualTo(
        "config error: models.co2.layers = input(26x2) lstm(4) dense(1) (test.yaml): input must be input(52x1) "
            + "to match window = 52 and channels = 1");
  }

  @Test
  void outputSizeMustEqualClassesOrTargets() {
    assertThat(error(IRIS.replace("dense(3)", "dense(4)"))).isEqualTo(
        "config error: models.iris.layers = input(4) dense(8) relu dense(4) (test.yaml): output size 4 must equal label.classes = 3");
    assertThat(error(CO2.replace("dense(1)", "dense(2)"))).isEqualTo(
        "config error: models.co2.layers = input(52x1) lstm(4) dense(2) (test.yaml): output size 2 must equal targets = 1");
    String binary = IRIS.replace("classes: 3", "classes: 2") + "    loss: bce_with_logits\n";
    assertThat(error(binary.replace("dense(3)", "dense(2)"))).endsWith(
        "output size 2 must equal 1 (one logit for bce_with_logits on 2 classes)");
    assertThat(ConfigLoaderTest.parse(binary.replace("dense(3)", "dense(1)")).models()).containsKey("iris");
  }

  @Test
  void scheduleIsParsedByTheCore() {
    assertThat(error(IRIS + "    schedule: warmup_cosine\n"))
        .startsWith("config error: models.iris.schedule = warmup_cosine (test.yaml): ")
        .contains("warmup_cosine").contains("cosine(warmup=,total=,min=)");
    assertThat(error(IRIS + "    schedule: cosine(total=0)\n"))
        .startsWith("config error: models.iris.schedule = cosine(total=0) (test.yaml): ").contains("total");
    assertThat(error(IRIS + "    schedule: step(every=10,gama=0.5)\n"))
        .startsWith("config error: models.iris.schedule = step(every=10,gama=0.5) (test.yaml): ").contains("gama");
  }

  @Test
  void optimizerRulesOfTheCore() {
    assertThat(error(IRIS + "    optimizer: {name: adam, weight.decay: 0.1}\n")).isEqualTo(
        "config error: models.iris.optimizer.weight.decay = 0.1 (test.yaml): only adamw decays decoupled; "
            + "for adam use optimizer.l2 (coupled)");
    assertThat(error(IRIS + "    optimizer: {name: nesterov, momentum: 0}\n"))
        .startsWith("config error: models.iris.optimizer.momentum = 0 (test.yaml): ").contains("nesterov needs momentum > 0");
  }

  @Test
  void learnerConfigAndDecoderComeFromTheModelConfig() {
    AppConfig c = ConfigLoader.load(Path.of("config/streamlearn.yaml"), Map.of());
    ModelConfig d = c.models().get("digits");
    LearnerConfig lc = d.learnerConfig();
    assertThat(lc.spec().toString()).isEqualTo("input(64) dense(64) relu dense(10)");
    assertThat(lc.loss()).isEqualTo("cross_entropy");
    assertThat(lc.optimizer().name()).isEqualTo("adam");
    assertThat(lc.optimizer().lr()).isEqualTo(0.003f);
    assertThat(lc.optimizer().weightDecay()).as("default weight.decay only reaches adamw").isZero();
    assertThat(lc.clip()).isEqualTo(ClipSpec.norm(5f));
    assertThat(lc.batchSize()).isEqualTo(32);
    assertThat(lc.seed()).isEqualTo(1L);

    ModelConfig co2 = c.models().get("co2");
    LearnerConfig lc2 = co2.learnerConfig();
    assertThat(lc2.loss()).isEqualTo("huber(1.0)");
    assertThat(lc2.schedule()).isEqualTo("cosine(warmup=100,total=20000)");
    assertThat(lc2.optimizer().weightDecay()).isEqualTo(0.0001f);
    OnlineLearner l = new OnlineLearner(lc2);
    assertThat(l.inputSize()).isEqualTo(52);
    assertThat(l.targetSize()).isEqualTo(1);

    var dec = d.decoder();
    float[] x = new float[64], y = new float[1];
    String line = "0,".repeat(64) + "7";
    assertThat(dec.decode(line.getBytes(), x, 0, y, 0)).isEqualTo(DecodeResult.OK);
    assertThat(y[0]).isEqualTo(7f);
  }
}
