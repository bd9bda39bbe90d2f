package org.streamlearn.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.app.Main;
import org.streamlearn.app.Service;
import org.streamlearn.metrics.StreamlearnMeters;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.KafkaClients;
import org.streamlearn.stream.RunningModel;

/**
 * The dashboard against the real thing: the service (demo streams into digits and co2, on a broker
 * in this process) and, for the Scale-out row, a second replica of digits exchanging parameters
 * with the service's (its own registry on its own /metrics, as a second instance would be), both
 * scraped every second by the real {@code prometheus} binary with the shipped rules loaded; every
 * panel query must return data, not all NaN. Plus promtool on the shipped configuration and rules.
 */
class PrometheusTest {
  static final Path PROM_DIR = Path.of("config/prometheus");
  static final String MODELS = "digits|co2";
  static final String RATE_INTERVAL = "15s";
  static final int SCRAPES = 20;

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final ObjectMapper json = new ObjectMapper();

  @Test
  void promtoolAcceptsTheShippedConfigAndRulesAndTheirUnitTestsPass() throws Exception {
    String cfg = Tools.ok(PROM_DIR, "promtool", "check", "config", "prometheus.yml");
    assertThat(cfg).contains("SUCCESS").contains("1 rule files found");
    String rules = Tools.ok(PROM_DIR, "promtool", "check", "rules", "rules.yml");
    assertThat(rules).contains("SUCCESS");
    String tests = Tools.ok(PROM_DIR, "promtool", "test", "rules", "rules_test.yml");
    assertThat(tests).contains("SUCCESS");
    System.out.println(cfg + rules + tests);
  }

  @Test
  void promtoolRuleTestsCanFail(@TempDir Path dir) throws Exception {
    // The same unit tests against rules whose divergence alert never fires: promtool must say no.
    Files.writeString(dir.resolve("rules.yml"), Files.readString(PROM_DIR.resolve("rules.yml"))
        .replace("increase(streamlearn_train_divergences_total[10m]) > 0", "increase(streamlearn_train_divergences_total[10m]) > 5"));
    Files.copy(PROM_DIR.resolve("rules_test.yml"), dir.resolve("rules_test.yml"));
    Tools.Run r = Tools.run(dir, List.of("promtool", "test", "rules", "rules_test.yml"));
    assertThat(r.code()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("alertname: StreamlearnDiverged");
  }

  @Test
  void promtoolRuleTestsFailWhenAPauseCountsAsAStall(@TempDir Path dir) throws Exception {
    // The stall alert without its pause clause: the paused instance of the unit test must then fire.
    String shipped = Files.readString(PROM_DIR.resolve("rules.yml"));
    String clause = "unless on (model, instance) streamlearn_train_paused == 1";
    assertThat(shipped).contains(clause);
    Files.writeString(dir.resolve("rules.yml"), shipped.replace(clause, ""));
    Files.copy(PROM_DIR.resolve("rules_test.yml"), dir.resolve("rules_test.yml"));
    Tools.Run r = Tools.run(dir, List.of("promtool", "test", "rules", "rules_test.yml"));
    assertThat(r.code()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("alertname: StreamlearnTrainingStalled, time: 12m").contains("instance=\"b:8080\"");
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void everyPanelQueryReturnsDataFromTheRunningService(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    // The broker is the test's, so that the second replica can join the service's digits group.
    EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"));
    String bootstrap = kafka.start();
    // digits runs as a group of two (replicas digits-a in the service, digits-b below) on 2-partition
    // topics; co2 stays a single instance, as the meters' defaults describe one.
    Map<String, String> env = new HashMap<>(Map.of("STREAMLEARN_KAFKA_BOOTSTRAP_SERVERS", bootstrap,
        "STREAMLEARN_KAFKA_TOPICS_PARTITIONS", "2",
        "STREAMLEARN_DEMO_RATE", "1000", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0",
        "STREAMLEARN_MODELS_DIGITS_PUBLISH_EVERY_STEPS", "5", "STREAMLEARN_MODELS_CO2_PUBLISH_EVERY_STEPS", "5",
        "STREAMLEARN_HTTP_PORT", "0", "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString(),
        "STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString()));
    env.putAll(Map.of("STREAMLEARN_MODELS_DIGITS_SYNC_EVERY_STEPS", "10", "STREAMLEARN_MODELS_DIGITS_SYNC_EVERY_MS", "250",
        "STREAMLEARN_MODELS_DIGITS_REPLICA_ID", "digits-a"));
    var cfg = Main.loadConfig(null, env);
    env.putAll(Map.of("STREAMLEARN_MODELS_DIGITS_REPLICA_ID", "digits-b",
        "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt-b").toString()));
    var cfgB = Main.loadConfig(null, env);
    Service s = null;
    RunningModel replicaB = null;
    HttpServer metricsB = null;
    Process prom = null;
    Path promLog = dir.resolve("prometheus.log");
    try {
      s = Service.start(cfg);
      System.out.printf("service up in %d ms on port %d%n", (System.nanoTime() - t0) / 1_000_000, s.httpPort());
      var registryB = StreamlearnMeters.newRegistry();
      replicaB = new RunningModel(cfgB.models().get("digits"), new KafkaClients(bootstrap, cfgB.kafka().properties(),
          cfgB.kafka().topicPartitions(), cfgB.kafka().topicReplication()), cfgB.shutdownTimeoutMs());
      StreamlearnMeters.bind(registryB, replicaB.verticle());
      replicaB.start();
      metricsB = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      metricsB.createContext("/metrics", ex -> {
        byte[] body = registryB.scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        try (var out = ex.getResponseBody()) {
          out.write(body);
        }
      });
      metricsB.start();
      int promPort = freePort();
      Path yml = dir.resolve("prometheus.yml");
      Files.writeString(yml, """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          rule_files:
            - %s
          scrape_configs:
            - job_name: streamlearn
              static_configs:
                - targets: ["127.0.0.1:%d", "127.0.0.1:%d"]
          """.formatted(PROM_DIR.resolve("rules.yml").toAbsolutePath(), s.httpPort(), metricsB.getAddress().getPort()));
      prom = new ProcessBuilder("prometheus", "--config.file=" + yml, "--storage.tsdb.path=" + dir.resolve("tsdb"),
          "--web.listen-address=127.0.0.1:" + promPort, "--log.level=warn")
          .redirectErrorStream(true).redirectOutput(promLog.toFile()).start();
      String base = "http://127.0.0.1:" + promPort;
      Process p = prom;
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        assertThat(p.isAlive()).as("prometheus exited: " + Files.readString(promLog)).isTrue();
        return status(base + "/-/ready") == 200;
      });
      long t1 = System.nanoTime();
      // ~20 s of successful scrapes, so rates over 15 s windows have data.
      // The service runs in this JVM: a collection every few seconds makes sure the GC-pause series
      // have data (a short run on a large heap may otherwise never pause).
      long[] lastGc = {0};
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        if (System.nanoTime() - lastGc[0] > 4_000_000_000L) {
          System.gc();
          lastGc[0] = System.nanoTime();
        }
        return scalar(base, "min(sum_over_time(up{job=\"streamlearn\"}[1m]))") >= SCRAPES;
      });
      System.out.printf("%d scrapes after %d ms%n", SCRAPES, (System.nanoTime() - t1) / 1_000_000);

      List<Dashboard.Target> targets = Dashboard.targets(Dashboard.read());
      assertThat(targets).hasSizeGreaterThan(20);
      List<String> empty = new ArrayList<>();
      for (Dashboard.Target t : targets) {
        String q = Dashboard.substitute(t.expr(), MODELS, RATE_INTERVAL);
        assertThat(q).as(t.toString()).doesNotContain("$");
        JsonNode r = query(base, q);
        assertThat(r.path("status").asText()).as(t + " -> " + r).isEqualTo("success");
        JsonNode result = r.path("data").path("result");
        boolean finite = false;
        for (JsonNode series : result) finite |= Double.isFinite(Double.parseDouble(series.path("value").get(1).asText()));
        if (!finite) empty.add(t + "  (sent: " + q + ") -> " + result);
        else System.out.println(result.size() + " series: " + t);
      }
      assertThat(empty).as("panel queries with an empty result, or NaN in every series").isEmpty();

      // The Scale-out row shows the group: both digits replicas, one row each, each seeing the other.
      String digits = "{model=\"digits\"}";
      assertThat(labels(query(base, "streamlearn_group_partitions_owned" + digits), "replica"))
          .containsExactlyInAnyOrder("digits-a", "digits-b");
      assertThat(sum(query(base, "streamlearn_group_partitions_owned" + digits))).as("digits partitions owned").isEqualTo(2);
      assertThat(sum(query(base, "streamlearn_group_publisher" + digits))).as("digits publishers").isEqualTo(1);
      assertThat(sum(query(base, "min(streamlearn_group_replicas_live" + digits + ")"))).as("replicas live, as each sees it")
          .isEqualTo(2);
      String perReplica = targets.stream().filter(t -> t.expr().contains("group_left (replica)")).findFirst().orElseThrow().expr();
      assertThat(labels(query(base, Dashboard.substitute(perReplica, "digits", RATE_INTERVAL)), "replica"))
          .as("examples/s per replica").containsExactlyInAnyOrder("digits-a", "digits-b");

      // The shipped rules load and evaluate without error on the live series, and record real rates.
      JsonNode rules = get(base + "/api/v1/rules");
      int n = 0;
      for (JsonNode g : rules.path("data").path("groups")) {
        for (JsonNode rule : g.path("rules")) {
          n++;
          assertThat(rule.path("health").asText()).as(rule.path("name").asText() + ": " + rule.path("lastError").asText())
              .isEqualTo("ok");
        }
      }
      assertThat(n).as("rules loaded from rules.yml").isEqualTo(14);
      for (String model : List.of("digits", "co2")) {
        double rate = scalar(base, "model:streamlearn_train_examples:rate1m{model=\"" + model + "\"}");
        System.out.printf("%s: %.0f examples/s (recording rule)%n", model, rate);
        assertThat(rate).as(model + " examples/s from the recording rule").isPositive();
      }
      JsonNode firing = query(base, "ALERTS{alertstate=\"firing\"}");
      assertThat(firing.path("data").path("result")).as("no alert fires on a healthy service").isEmpty();
    } finally {
      if (prom != null) {
        prom.destroy();
        if (!prom.waitFor(10, TimeUnit.SECONDS)) prom.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      if (metricsB != null) metricsB.stop(0);
      if (replicaB != null) replicaB.close();
      if (s != null) s.close();
      kafka.close();
      System.out.printf("whole test %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }
  }

  private int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private JsonNode get(String url) throws IOException, InterruptedException {
    var r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    return json.readTree(r.body());
  }

  private JsonNode query(String base, String promql) throws IOException, InterruptedException {
    return get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
  }

  /** The values of {@code label} over the series of a query's result. */
  private static List<String> labels(JsonNode r, String label) {
    List<String> out = new ArrayList<>();
    for (JsonNode series : r.path("data").path("result")) out.add(series.path("metric").path(label).asText());
    return out;
  }

  /** The sum of the values of a query's series. */
  private static double sum(JsonNode r) {
    double total = 0;
    for (JsonNode series : r.path("data").path("result")) total += Double.parseDouble(series.path("value").get(1).asText());
    return total;
  }

  /** The value of a query with one series, or 0 with none. */
  private double scalar(String base, String promql) throws IOException, InterruptedException {
    JsonNode res = query(base, promql).path("data").path("result");
    return res.isEmpty() ? 0 : Double.parseDouble(res.get(0).path("value").get(1).asText());
  }

  private static int freePort() throws IOException {
    try (var ss = new ServerSocket(0)) {
      return ss.getLocalPort();
    }
  }
}
