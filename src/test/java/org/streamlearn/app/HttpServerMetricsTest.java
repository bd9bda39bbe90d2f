package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.AppConfig;

/**
 * The Vert.x HTTP server meters of the running service, as the command starts it (embedded broker,
 * demo models, a free port): requests answered 200, 404 (unknown model, unknown path) and 400 (a
 * predict body that is not JSON) are counted and timed under their route template, method and
 * status code, never under the path they asked for.
 */
class HttpServerMetricsTest {

  @Test
  @Timeout(120)
  void slashMetricsCountsAndTimesRequestsByRouteTemplateMethodAndCode(@TempDir Path dir) throws Exception {
    AppConfig cfg = Main.loadConfig(null, Map.of("STREAMLEARN_KAFKA_EMBEDDED_DIR", dir.resolve("kafka").toString(), "STREAMLEARN_KAFKA_EMBEDDED_PORT", "0",
        "STREAMLEARN_HTTP_PORT", "0", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0", "STREAMLEARN_DEMO_RATE", "100",
        "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString(),
        "STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString()));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (Service s = Service.start(cfg)) {
      String base = "http://127.0.0.1:" + s.httpPort();
      // A predict before the first weights is a 503: wait for them (without asking over HTTP).
      var digits = s.runners().stream().filter(r -> r.name().equals("digits")).findFirst().orElseThrow();
      await().atMost(Duration.ofSeconds(60)).until(() -> digits.latest() != null);
      for (int i = 0; i < 3; i++) assertThat(get(http, base + "/models").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/models/digits").statusCode()).isEqualTo(200);
      assertThat(get(http, base + "/models/no-such-model-4711").statusCode()).isEqualTo(404);
      assertThat(get(http, base + "/no/such/path/4711").statusCode()).isEqualTo(404);
      var bad = http.send(HttpRequest.newBuilder(URI.create(base + "/models/digits/predict"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"x\": [[1, 2")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);

      String metrics = get(http, base + "/metrics").body();
      assertThat(requests(metrics, "GET", "/models", 200)).as(metrics).isEqualTo(3);
      // Not exported: the event-bus meters, whose registration warned at every start.
      assertThat(metrics).doesNotContain("vertx_eventbus_");
      assertThat(requests(metrics, "GET", "/models/:m", 200)).isEqualTo(1);
      assertThat(requests(metrics, "GET", "/models/:m", 404)).isEqualTo(1);
      assertThat(requests(metrics, "GET", "unmatched", 404)).isEqualTo(1);
      assertThat(requests(metrics, "POST", "/models/:m/predict", 400)).isEqualTo(1);
      assertThat(series(metrics, "vertx_http_server_response_time_seconds_count", "GET", "/models", 200)).isEqualTo(3);
      assertThat(series(metrics, "vertx_http_server_response_time_seconds_count", "POST", "/models/:m/predict", 400))
          .isEqualTo(1);
      assertThat(metrics).contains("vertx_http_server_response_time_seconds_bucket{code=\"404\",method=\"GET\","
          + "route=\"unmatched\",le=\"+Inf\"} 1");
      // The scrape itself is the one request in flight, on the one connection of this client.
      assertThat(value(metrics, "vertx_http_server_active_requests ")).isEqualTo(1);
      assertThat(value(metrics, "vertx_http_server_active_connections ")).isGreaterThanOrEqualTo(1);
      // Labels come from route templates: no path a client chose is a label value.
      assertThat(metrics).doesNotContain("4711").doesNotContain("route=\"/models/digits");
      long total = Pattern.compile("(?m)^vertx_http_server_requests_total\\{.*} (\\S+)$").matcher(metrics).results()
          .mapToLong(m -> (long) Double.parseDouble(m.group(1))).sum();
      assertThat(total).as("every request before the scrape, once").isEqualTo(7);

      String again = get(http, base + "/metrics").body();
      assertThat(requests(again, "GET", "/metrics", 200)).isEqualTo(1);
      assertThat(requests(again, "GET", "/models", 200)).isEqualTo(3);
      // Vert.x's other meters still come from vertx-micrometer-metrics.
      assertThat(again).contains("vertx_pool_in_use{");
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static long requests(String metrics, String method, String route, int code) {
    return series(metrics, "vertx_http_server_requests_total", method, route, code);
  }

  /** The value of one series with exactly these labels (Micrometer writes them sorted), 0 if absent. */
  static long series(String metrics, String name, String method, String route, int code) {
    return value(metrics, name + "{code=\"" + code + "\",method=\"" + method + "\",route=\"" + route + "\"} ");
  }

  static long value(String metrics, String prefix) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(prefix) + "(\\S+)$").matcher(metrics);
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}
