package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.learn.Scaling;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.RunningModel;

/**
 * Raw, unscaled features of a real data set (the bundled digits: 64 pixel counts 0–16, whose spread
 * differs from pixel to pixel, many of them nearly always 0) streamed through the running service
 * with the default configuration (input.normalize standard), next to the same model with
 * input.normalize none. Then a consumer that loads the published weights with numpy alone gets
 * /predict's answers.
 */
class RawFeaturesEndToEndTest {
  static final int PASSES = 3, F = 64;
  static final long SEED = 5;

  @Test
  @Timeout(180)
  void rawDigitsWithTheDefaultsAndANumpyConsumer(@TempDir Path dir) throws Exception {
    List<String> rows = digits();
    List<byte[]> stream = new ArrayList<>();
    Random r = new Random(SEED);
    for (int p = 0; p < PASSES; p++) {
      List<String> pass = new ArrayList<>(rows);
      Collections.shuffle(pass, r);
      for (String line : pass) stream.add(line.getBytes(StandardCharsets.UTF_8));
    }
    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"))) {
      String bootstrap = kafka.start();
      String yaml = """
          kafka.bootstrap.servers: "%s"
          http: {host: 127.0.0.1, port: 0}
          progress.interval.ms: 0
          models:
            digits:
              topics: [digits.train]
              format: csv
              features: 64
              label: {type: class, classes: 10}
              layers: input(64) dense(32) relu dense(10)
              optimizer: {name: adam, lr: 0.003}
              batch.size: 16
              seed: 1
              publish.every.ms: 200
              checkpoint.dir: "%s"
            digits-raw:
              topics: [digits-raw.train]
              format: csv
              features: 64
              label: {type: class, classes: 10}
              layers: input(64) dense(32) relu dense(10)
              optimizer: {name: adam, lr: 0.003}
              batch.size: 16
              seed: 1
              input.normalize: none
              checkpoint.dir: "%s"
          """.formatted(bootstrap, slash(dir.resolve("ckpt")), slash(dir.resolve("ckpt")));
      Path cfgFile = dir.resolve("digits.yaml");
      Files.writeString(cfgFile, yaml);
      try (Service s = Service.start(ConfigLoader.load(cfgFile, Map.of()))) {
        produce(bootstrap, "digits.train", stream);
        produce(bootstrap, "digits-raw.train", stream);
        RunningModel std = runner(s, "digits"), raw = runner(s, "digits-raw");
        await().atMost(Duration.ofSeconds(90)).until(() -> std.metrics().examples() == stream.size()
            && raw.metrics().examples() == stream.size());
        double accStd = std.metrics().all().accuracy(), accRaw = raw.metrics().all().accuracy();
        System.out.printf("digits, %d raw records (%d shuffled passes, seed %d): whole-stream prequential accuracy "
            + "standard %.4f, none %.4f; last %d: standard %.4f, none %.4f%n", stream.size(), PASSES, SEED, accStd,
            accRaw, std.metrics().window(), std.metrics().accuracyWindow(), raw.metrics().accuracyWindow());
        // In process (OnlineLearner, seeds 1 and 2): standard 0.866 / 0.856, none 0.786 / 0.771.
        assertThat(accStd).as("whole-stream prequential accuracy with the defaults").isGreaterThanOrEqualTo(0.82);
        assertThat(accStd).as("standardized beats raw inputs").isGreaterThan(accRaw);

        // The page's JSON carries the whole-stream figures.
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + s.httpPort();
        await().atMost(Duration.ofSeconds(30)).until(() -> std.latest() != null
            && std.latest().snapshot().examples() == stream.size());
        JsonNode detail = new ObjectMapper().readTree(get(http, base + "/models/digits").body());
        assertThat(detail.at("/metrics/all/examples").asLong()).isEqualTo(stream.size());
        assertThat(detail.at("/metrics/all/accuracy").asDouble()).isBetween(0.5, 1.0);
        assertThat(detail.at("/describe/input_normalize").asText()).isEqualTo("standard");

        // A numpy consumer of the weights file answers as /predict does.
        var weights = http.send(HttpRequest.newBuilder(URI.create(base + "/models/digits/weights")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(weights.statusCode()).isEqualTo(200);
        Path wf = dir.resolve("digits.safetensors");
        Files.write(wf, weights.body());
        int n = 40;
        float[][] x = new float[n + 2][F];
        for (int i = 0; i < n; i++) {
          String[] f = rows.get(i).split(",");
          for (int j = 0; j < F; j++) x[i][j] = Float.parseFloat(f[j]);
        }
        java.util.Arrays.fill(x[n], 100f); // far outside the data
        x[n][7] = -3.5f;
        n += 2; // and a blank image
        String body = new ObjectMapper().writeValueAsString(Map.of("x", x));
        Path rowsFile = dir.resolve("rows.json");
        Files.writeString(rowsFile, body);
        var pred = http.send(HttpRequest.newBuilder(URI.create(base + "/models/digits/predict"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(pred.statusCode()).as(pred.body()).isEqualTo(200);
        JsonNode service = new ObjectMapper().readTree(pred.body());
        assertThat(service.get("version").asLong()).as("the version served is the one downloaded")
            .isEqualTo(Long.parseLong(org.streamlearn.codec.SafeTensors.read(weights.body()).metadata()
                .get(org.streamlearn.codec.SafeTensors.META_VERSION)));

        JsonNode py = numpy(wf, rowsFile);
        Scaling sc = std.latest().snapshot().scaling();
        int hits = 0;
        double worst = 0;
        for (int i = 0; i < n; i++) {
          float[] xi = x[i].clone();
          sc.applyInput(1, xi, 0);
          for (int j = 0; j < F; j++)
            assertThat((float) py.at("/scaled/" + i + "/" + j).asDouble()).as("standardized x[%d][%d]", i, j).isEqualTo(xi[j]);
          int best = 0, bestPy = 0;
          for (int k = 0; k < 10; k++) {
            double a = service.at("/outputs/" + i + "/" + k).asDouble(), b = py.at("/outputs/" + i + "/" + k).asDouble();
            worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(a)));
            if (a > service.at("/outputs/" + i + "/" + best).asDouble()) best = k;
            if (b > py.at("/outputs/" + i + "/" + bestPy).asDouble()) bestPy = k;
          }
          if (best == bestPy) hits++;
        }
        System.out.printf("numpy consumer vs /predict on %d rows: largest relative difference %.3g%n", n, worst);
        // float32 sums in another order: a few ulps of the largest term, far below 1e-4.
        assertThat(worst).as("largest relative difference of an output").isLessThan(1e-4);
        assertThat(hits).as("rows where numpy and /predict pick the same class").isEqualTo(n);
      }
    }
  }

  static JsonNode numpy(Path weights, Path rows) throws Exception {
    Path script = weights.resolveSibling("numpy_predict.py");
    try (InputStream in = RawFeaturesEndToEndTest.class.getResourceAsStream("/python/numpy_predict.py")) {
      Files.write(script, in.readAllBytes());
    }
    // Debian's python3 with numpy (python3-numpy); a pyenv shim first on PATH may lack it.
    String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    Process p = new ProcessBuilder(python, script.toString(), weights.toString(), rows.toString()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("numpy_predict.py: %s", err).isZero();
    return new ObjectMapper().readTree(out);
  }

  /** The digits as CSV lines of the raw pixel counts (0-16) and the label. */
  static List<String> digits() {
    var d = org.streamlearn.data.Datasets.digits();
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < d.size(); i++) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < F; j++) sb.append((int) d.pixels()[i][j]).append(',');
      lines.add(sb.append(d.labels()[i]).toString());
    }
    return lines;
  }

  static RunningModel runner(Service s, String name) {
    return RunningModel.in(s, name);
  }

  static void produce(String bootstrap, String topic, List<byte[]> values) throws Exception {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] v : values) p.send(new ProducerRecord<>(topic, v));
      p.flush();
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static String slash(Path p) {
    return p.toString().replace('\\', '/');
  }
}
