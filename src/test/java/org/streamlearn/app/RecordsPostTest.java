package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.stream.RunningModel;

/**
 * {@code POST /models/{m}/records} against the whole service and its embedded broker: refusals
 * (token, unknown model, content type, a bad line, a body over the limit) produce nothing; accepted
 * records (CSV lines, f32 records) are produced and trained, each once. The broker's configured port
 * is held by this test, so the service falls back to a free one and its banner names that.
 */
class RecordsPostTest {
  static final String TOKEN = "records-test-token-5d2e81c0a7";
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  @Test
  @Timeout(120)
  void postedRecordsAreProducedAndTrainedAndBadRequestsProduceNothing(@TempDir Path dir) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      var cfg = ConfigLoader.parse("""
          kafka:
            embedded.dir: "%s"
            embedded.port: %d
          http: {port: 0, body.limit.bytes: 4096, control.token: %s}
          demo.enabled: false
          progress.interval.ms: 0
          models:
            tab:
              topics: [tab.train]
              format: csv
              features: 3
              label: {type: class, classes: 2}
              layers: input(3) dense(2)
              batch.size: 4
              batch.linger.ms: 50
              checkpoint.dir: "%s"
            bin:
              topics: [bin.train]
              format: f32
              features: 2
              label.type: regression
              layers: input(2) dense(1)
              batch.size: 4
              batch.linger.ms: 50
              checkpoint.dir: "%s"
          """.formatted(slash(dir.resolve("kafka")), taken.getLocalPort(), TOKEN, slash(dir.resolve("ckpt")),
          slash(dir.resolve("ckpt"))), "records.yaml", Map.of());
      try (Service s = Service.start(cfg)) {
        assertThat(s.bootstrapServers()).as("the held port is not used").matches("127\\.0\\.0\\.1:\\d+")
            .isNotEqualTo("127.0.0.1:" + taken.getLocalPort());
        String banner = String.join("\n", s.sendHint());
        System.out.println(banner);
        assertThat(banner).contains("kcat -P -b " + s.bootstrapServers() + " -t tab.train")
            .contains("kafka-console-producer.sh --bootstrap-server " + s.bootstrapServers() + " --topic tab.train")
            .contains("echo '0,0,0,0' |").contains("/models/tab/records");
        String base = "http://127.0.0.1:" + s.httpPort() + "/models/";
        RunningModel tab = RunningModel.all(s).get(0), bin = RunningModel.all(s).get(1);

        var noToken = post(base + "tab/records", "text/plain", "1,2,3,0\n".getBytes(), null);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertError(post(base + "nope/records", "text/plain", "1,2,3,0\n".getBytes(), TOKEN), 404, "nope");
        assertError(post(base + "tab/records", "application/json", "1,2,3,0\n".getBytes(), TOKEN), 415, "text/plain");
        assertError(post(base + "bin/records", "text/plain", new byte[12], TOKEN), 415, "application/octet-stream");
        assertError(post(base + "tab/records", "text/plain", "1,2,3,0\n4,5,6,1\n7,8,0\n".getBytes(), TOKEN), 400,
            "line 3: WRONG_LENGTH");
        assertError(post(base + "tab/records", "text/plain", "1,2,3,7\n".getBytes(), TOKEN), 400,
            "line 1: LABEL_OUT_OF_RANGE");
        assertError(post(base + "tab/records", "text/plain", "\n \n".getBytes(), TOKEN), 400, "no record");
        assertError(post(base + "tab/records", "text/plain", "1,2,3,0\n".repeat(600).getBytes(), TOKEN), 413,
            "http.body.limit.bytes = 4096");
        assertError(post(base + "bin/records", "application/octet-stream", new byte[13], TOKEN), 400,
            "record 2: 1 bytes left over");

        // 40 CSV lines, CRLF, a blank line inside and a final newline.
        StringBuilder csv = new StringBuilder();
        Random r = new Random(3);
        for (int i = 0; i < 40; i++) {
          csv.append(r.nextFloat()).append(',').append(r.nextFloat()).append(',').append(r.nextFloat()).append(',')
              .append(i % 2).append("\r\n");
          if (i == 10) csv.append("\r\n");
        }
        var ok = post(base + "tab/records", "text/plain; charset=utf-8", csv.toString().getBytes(), TOKEN);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
        JsonNode body = json.readTree(ok.body());
        assertThat(body.path("model").asText()).isEqualTo("tab");
        assertThat(body.path("topic").asText()).isEqualTo("tab.train");
        assertThat(body.path("records").asInt()).isEqualTo(40);

        ByteBuffer f32 = ByteBuffer.allocate(10 * 12).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) f32.putFloat(i).putFloat(-i).putFloat(2 * i);
        var okBin = post(base + "bin/records", "application/octet-stream", f32.array(), TOKEN);
        assertThat(okBin.statusCode()).as(okBin.body()).isEqualTo(202);
        assertThat(json.readTree(okBin.body()).path("records").asInt()).isEqualTo(10);

        // Trained, each once: nothing of the refused requests reached the topics.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((tab.examples() < 40 || bin.examples() < 10) && System.nanoTime() < until) Thread.sleep(50);
        Thread.sleep(500); // a stray record would be read and trained within this
        assertThat(tab.recordsIn()).isEqualTo(40);
        assertThat(tab.examples()).isEqualTo(40);
        assertThat(tab.deadLetteredTotal()).isZero();
        assertThat(bin.recordsIn()).isEqualTo(10);
        assertThat(bin.examples()).isEqualTo(10);
      }
    }
  }

  HttpResponse<String> post(String url, String type, byte[] body, String token) throws Exception {
    var b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", type)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  void assertError(HttpResponse<String> res, int status, String inDetail) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(json.readTree(res.body()).path("detail").asText()).contains(inDetail);
  }

  static String slash(Path p) {
    return p.toString().replace("\\", "/");
  }
}
