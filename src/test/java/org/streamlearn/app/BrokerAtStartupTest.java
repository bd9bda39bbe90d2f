package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.AppConfig;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.RunningModel;

/**
 * Start-up with the broker not there yet (a container started before Kafka, a broker restarting):
 * the service comes up, serves HTTP with /health 200 and /ready 503 naming the broker, and starts
 * training as soon as a broker answers on the configured address; with a positive
 * {@code kafka.startup.timeout.ms} it gives up instead, with exit status 1 and a message naming the key.
 */
class BrokerAtStartupTest {

  static String yaml(int brokerPort, long startupTimeoutMs, Path dir) {
    return """
        kafka:
          bootstrap.servers: 127.0.0.1:%d
          startup.timeout.ms: %d
          properties:
            request.timeout.ms: 2000
            default.api.timeout.ms: 3000
        http: {port: 0}
        demo.enabled: false
        progress.interval.ms: 0
        models:
          late:
            topics: [late.train]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(8) relu dense(3)
            batch.size: 8
            batch.linger.ms: 10
            publish.every.steps: 5
            checkpoint.dir: "%s"
        """.formatted(brokerPort, startupTimeoutMs, dir.resolve("ckpt").toString().replace("\\", "/"));
  }

  @Test
  @Timeout(150)
  void servesUnreadyWhileTheBrokerIsAwayAndTrainsOnceItAnswers(@TempDir Path dir) throws Exception {
    int[] ports = EmbeddedKafka.freePorts(2);
    int brokerPort = ports[0], controllerPort = ports[1];
    Path file = dir.resolve("late.yaml");
    Files.writeString(file, yaml(brokerPort, 0, dir));
    AppConfig cfg = Main.loadConfig(file, Map.of());
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long t0 = System.nanoTime();
    try (Service s = Service.start(cfg)) {
      System.out.printf("broker-at-startup: HTTP up %d ms after start with no broker%n", (System.nanoTime() - t0) / 1_000_000);
      String base = "http://127.0.0.1:" + s.httpPort();
      assertThat(get(http, base + "/health").statusCode()).isEqualTo(200);
      var ready = get(http, base + "/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("127.0.0.1:" + brokerPort).contains("not reachable at start-up");
      assertThat(get(http, base + "/metrics").body()).contains("streamlearn_model_ready{model=\"late\"} 0.0");
      Thread.sleep(3000); // a few more attempts against nothing
      assertThat(get(http, base + "/ready").statusCode()).isEqualTo(503);

      try (var kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of(), brokerPort, controllerPort)) {
        kafka.start();
        long up = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).until(() -> get(http, base + "/ready").statusCode() == 200);
        System.out.printf("broker-at-startup: ready %d ms after the broker started%n", (System.nanoTime() - up) / 1_000_000);
        List<ProducerRecord<byte[], byte[]>> recs = new ArrayList<>();
        for (int i = 0; i < 80; i++)
          recs.add(new ProducerRecord<>("late.train", ((i % 3) + ",0.1,0.2,0.3," + (i % 3)).getBytes(StandardCharsets.US_ASCII)));
        try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerPort),
            new ByteArraySerializer(), new ByteArraySerializer())) {
          for (var r : recs) p.send(r);
        }
        RunningModel late = RunningModel.all(s).getFirst();
        await().atMost(Duration.ofSeconds(30)).until(() -> late.rowsTrained() == 80);
        await().atMost(Duration.ofSeconds(10)).until(() -> get(http, base + "/models/late/weights").statusCode() == 200);
        s.close(); // before the broker goes
      }
    }
  }

  @Test
  @Timeout(120)
  void aPositiveStartupTimeoutStopsWithExitStatusOneNamingTheKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("late.yaml");
    Files.writeString(file, yaml(EmbeddedKafka.freePort(), 6000, dir));
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int status = Main.execute(new String[] {"run", "--config", file.toString()}, Map.of(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("broker-at-startup: gave up after %d ms (kafka.startup.timeout.ms = 6000)%n", ms);
    assertThat(status).isEqualTo(Main.EXIT_START);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("kafka.startup.timeout.ms").contains("127.0.0.1:");
    assertThat(ms).as("gave up near the time-out, not after Kafka's own").isLessThan(60_000);
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
