package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.AppConfig;

class MainTest {
  record Result(int code, String out, String err) {}

  static Result run(Map<String, String> env, String... args) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code = Main.execute(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static final String MODEL = """
      models:
        m1:
          topics: [m1.train]
          format: csv
          features: 4
          label: {type: class, classes: 3}
          layers: %s
      """;

  @Test
  void badConfigForTheNewRulesExitsWith2AndOneLineNamingTheKey(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, MODEL.formatted("input(4) dnse(3)"));
    Result r = run(Map.of(), "run", "--config", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().strip()).doesNotContain("\n")
        .startsWith("config error: models.m1.layers = input(4) dnse(3) (" + f + "): unknown layer 'dnse' at position 2");

    Files.writeString(f, MODEL.formatted("input(4) dense(8) relu dense(4)"));
    r = run(Map.of(), "--config", f.toString()); // run is the default command
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("models.m1.layers = input(4) dense(8) relu dense(4)").contains("output size 4 must equal label.classes = 3");

    Files.writeString(f, MODEL.formatted("input(4) dense(3)") + "    schedule: cosine(total=-5)\n");
    r = run(Map.of(), "run", "--config", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("config error: models.m1.schedule = cosine(total=-5)");
  }

  @Test
  void missingFileAndBadEnvOverrideOfTheDefaultExitWith2() {
    Result r = run(Map.of(), "run", "--config", "/nonexistent/streamlearn.yaml");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("/nonexistent/streamlearn.yaml not found");

    r = run(Map.of("STREAMLEARN_MODELS_DIGITS_LAYERS", "input(64) dnse(10)"), "run", "--check");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).startsWith("config error: models.digits.layers = input(64) dnse(10) "
        + "(env STREAMLEARN_MODELS_DIGITS_LAYERS): unknown layer 'dnse' at position 2");

    r = run(Map.of(), "run", "--no-such-option");
    assertThat(r.code()).isEqualTo(2);
  }

  @Test
  void embeddedDefaultIsValidAndUsedWithoutConfig() {
    assertThat(run(Map.of(), "run", "--check").code()).isZero();
    AppConfig c = Main.loadConfig(null, Map.of());
    assertThat(c.kafka().embedded()).isTrue();
    assertThat(c.demo().enabled()).isTrue();
    assertThat(c.models().get("digits").layers()).isEqualTo("input(64) dense(64) relu dense(10)");
    assertThat(c.models().get("co2").layers()).isEqualTo("input(52x1) lstm(16) dense(1)");
    assertThat(c.effective().get("kafka.bootstrap.servers")).contains("embedded default");
  }

  @Test
  void benchSubcommandRuns() {
    java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    java.io.PrintStream saved = System.out;
    System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
    Result r;
    try {
      r = run(Map.of(), "bench", "--smoke");
    } finally {
      System.setOut(saved);
    }
    assertThat(r.code()).isZero();
    String text = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(text).contains("FMA peak", "gemmNN", "gemmNT", "gemmTN", "of FMA peak", "× scalar",
        "batch    1", "batch  256", "of bound");
  }

  @Test
  @Timeout(90)
  void defaultModeTrainsBothDemoModelsAndStopsGracefully(@TempDir Path dir) throws Exception {
    AppConfig cfg = Main.loadConfig(null, Map.of("STREAMLEARN_KAFKA_EMBEDDED_DIR", dir.resolve("kafka").toString(), "STREAMLEARN_KAFKA_EMBEDDED_PORT", "0",
        "STREAMLEARN_DEMO_RATE", "2000", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0",
        "STREAMLEARN_MODELS_DIGITS_PUBLISH_EVERY_STEPS", "5", "STREAMLEARN_MODELS_CO2_PUBLISH_EVERY_STEPS", "5",
        "STREAMLEARN_HTTP_PORT", "0", "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString(),
        "STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString()));
    Service s = Service.start(cfg);
    try {
      await().atMost(Duration.ofSeconds(45)).until(() -> s.runners().stream()
          .allMatch(r -> r.status().ready() && r.figures().training().version() >= 10));
      for (var r : s.runners()) {
        String line = Service.progressLine(r);
        System.out.println(line);
        assertThat(line).startsWith(r.name() + ": ").contains("ex/s").contains("version ").contains("lag ")
            .contains(r.classification() ? "acc " : "rmse ");
      }
      assertThat(s.registry().scrape()).contains("streamlearn_train_steps_total{model=\"co2\"}");
      httpServesTheTrainingModels(s);
    } finally {
      long t0 = System.nanoTime();
      s.close();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("default mode stopped in " + ms + " ms");
      assertThat(ms).as("close within shutdown.timeout.ms plus the broker's own shutdown").isLessThan(20_000);
    }
    for (var r : s.runners()) assertThat(r.status().problem()).isEqualTo("stopped");
  }

  /**
   * The whole loop over HTTP: the digits weights served at /models/digits/weights (safetensors)
   * classify held-out digits; /ready is 200; /metrics has training, Vert.x and JVM series; SSE
   * delivers new versions.
   */
  static void httpServesTheTrainingModels(Service s) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + s.httpPort();
    java.util.function.Function<String, java.net.http.HttpRequest> get =
        u -> java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + u)).timeout(Duration.ofSeconds(20)).build();
    var ready = http.send(get.apply("/ready"), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    var models = http.send(get.apply("/models"), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(models.body()).contains("\"digits\"", "\"co2\"");

    // Train until the served digits weights classify the data set well, then check them ourselves.
    var digits = org.streamlearn.data.Datasets.digits();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      var w = http.send(get.apply("/models/digits/weights"), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      if (w.statusCode() != 200) return false;
      return accuracy(w.body(), digits) >= 0.9;
    });
    var w = http.send(get.apply("/models/digits/weights"), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    String etag = w.headers().firstValue("ETag").orElseThrow();
    var meta = org.streamlearn.codec.SafeTensors.read(w.body()).metadata();
    assertThat(etag).isEqualTo("\"" + meta.get("incarnation") + "-" + meta.get("version") + "\"");
    assertThat(meta.get("model")).isEqualTo("digits");

    var metrics = http.send(get.apply("/metrics"), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("streamlearn_train_examples_total{model=\"digits\"}", "streamlearn_weights_version",
        "streamlearn_prequential_accuracy", "jvm_memory_used_bytes", "vertx_pool_in_use");

    // SSE: two distinct versions arrive.
    var sse = http.send(get.apply("/models/digits/updates"), java.net.http.HttpResponse.BodyHandlers.ofLines());
    assertThat(sse.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    try (var lines = sse.body()) {
      long ids = lines.filter(l -> l.startsWith("id: ")).distinct().limit(2).count();
      assertThat(ids).isEqualTo(2);
    }
  }

  /** Accuracy on the whole digits data set of the safetensors weights (the model saw a stream of it). */
  static double accuracy(byte[] safetensors, org.streamlearn.data.Datasets.Digits d) throws Exception {
    var c = org.streamlearn.codec.SafeTensors.read(safetensors);
    var model = org.streamlearn.nn.Model.of(org.streamlearn.nn.ModelSpec.parse(c.metadata().get("spec")));
    float[] p = new float[model.paramCount()];
    for (var t : model.tensors()) System.arraycopy(c.tensor(t.name()).data(), 0, p, t.offset(), t.numel());
    var pred = new org.streamlearn.learn.Predictor(model, 256);
    int n = d.size(), hits = 0;
    float[] x = new float[n * 64], out = new float[n * 10];
    for (int i = 0; i < n; i++) for (int j = 0; j < 64; j++) x[i * 64 + j] = d.pixels()[i][j] / 16f;
    if (c.metadata().containsKey("normalization")) { // standardized inputs: (x - input.mean) / input.std
      float[] mean = c.tensor("input.mean").data(), std = c.tensor("input.std").data();
      for (int i = 0; i < n; i++) for (int j = 0; j < 64; j++) x[i * 64 + j] = (x[i * 64 + j] - mean[j]) / std[j];
    }
    pred.predict(p, n, x, 0, out, 0);
    for (int i = 0; i < n; i++) if (org.streamlearn.learn.Predictor.argmax(out, i * 10, 10) == d.labels()[i]) hits++;
    return hits / (double) n;
  }
}
