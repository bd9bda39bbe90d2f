package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.AppConfig;
import org.streamlearn.stream.RunningModel;

/**
 * The control API as the command wires it: the embedded default configuration with the token from
 * STREAMLEARN_HTTP_CONTROL_TOKEN, the demo streams feeding both models. Pausing digits stops its
 * training (co2 goes on), shows in the status, the progress line and the metrics; resume continues.
 */
class ServiceControlTest {
  static final String TOKEN = "svc-token-7d1e3b9a0c4f2e86";

  @Test
  @Timeout(120)
  void theTokenFromTheEnvironmentGuardsControlOfTheRunningService(@TempDir Path dir) throws Exception {
    AppConfig cfg = Main.loadConfig(null, Map.of("STREAMLEARN_KAFKA_EMBEDDED_DIR", dir.resolve("kafka").toString(), "STREAMLEARN_KAFKA_EMBEDDED_PORT", "0",
        "STREAMLEARN_HTTP_PORT", "0", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0", "STREAMLEARN_DEMO_RATE", "400",
        "STREAMLEARN_HTTP_CONTROL_TOKEN", TOKEN,
        "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString(),
        "STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString()));
    assertThat(cfg.effective().toString()).doesNotContain(TOKEN);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (Service s = Service.start(cfg)) {
      String base = "http://127.0.0.1:" + s.httpPort();
      RunningModel digits = RunningModel.in(s, "digits");
      RunningModel co2 = RunningModel.in(s, "co2");
      await().atMost(Duration.ofSeconds(60)).until(() -> digits.steps() > 5 && co2.steps() > 5);

      assertThat(post(http, base, "digits", "{\"action\":\"pause\"}", null).statusCode()).isEqualTo(401);
      var paused = post(http, base, "digits", "{\"action\":\"pause\"}", TOKEN);
      assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
      assertThat(new JsonObject(paused.body()).getJsonObject("status").getBoolean("trainingPaused")).isTrue();
      long steps = digits.steps(), co2Steps = co2.steps();
      await().atMost(Duration.ofSeconds(30)).until(() -> co2.steps() > co2Steps + 2); // the other model goes on
      assertThat(digits.steps()).as("digits paused").isEqualTo(steps);
      assertThat(Service.progressLine(digits.verticle())).contains("TRAINING PAUSED (control)");
      String metrics = get(http, base + "/metrics");
      assertThat(metrics).contains("streamlearn_train_paused{model=\"digits\"} 1.0")
          .contains("streamlearn_train_paused{model=\"co2\"} 0.0");
      for (String path : new String[] {"/models", "/models/digits", "/ready", "/metrics"})
        assertThat(get(http, base + path)).doesNotContain(TOKEN);

      assertThat(post(http, base, "digits", "{\"action\":\"resume\"}", TOKEN).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> digits.steps() > steps + 2);
      assertThat(Service.progressLine(digits.verticle())).doesNotContain("TRAINING PAUSED");
    }
  }

  static HttpResponse<String> post(HttpClient http, String base, String model, String body, String token) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(base + "/models/" + model + "/control"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
