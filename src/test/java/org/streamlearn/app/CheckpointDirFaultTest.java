package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.RunningModel;

/**
 * The checkpoint directory stops taking writes while the service (in this JVM, with its HTTP API)
 * trains: a clear error in the log naming the directory and the OS error, the model degraded in GET
 * /ready (still 200: it trains and serves), failures counted in /metrics, training going on; once
 * the directory takes writes again the next checkpoint is complete and /ready is clean.
 *
 * <p>How the directory is broken: made read-only (chmod 555) when that stops writes; when it does
 * not (running as root, which ignores permission bits), it is moved aside and a regular file put
 * in its place, so creating the directory and every file in it fails.
 */
class CheckpointDirFaultTest {
  static final String MODEL = "ckptfault", TOPIC = "ckptfault.train";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  @Timeout(120)
  void aFailingCheckpointDirIsReportedAndTheNextCheckpointIsComplete(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("ckpt"), mine = root.resolve(MODEL);
    var err = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"))) {
      String bootstrap = kafka.start();
      var cfg = ConfigLoader.parse("""
          http.port: 0
          demo.enabled: false
          progress.interval.ms: 0
          kafka.bootstrap.servers: "%s"
          models:
            %s:
              topics: [%s]
              format: csv
              features: 4
              label: {type: class, classes: 3}
              layers: input(4) dense(8) relu dense(3)
              batch.size: 4
              batch.linger.ms: 60000
              publish.every.steps: 10
              publish.every.ms: 0
              checkpoint.dir: "%s"
              checkpoint.every.steps: 5
              checkpoint.every.ms: 0
              checkpoint.keep: 3
              seed: 11
          """.formatted(bootstrap, MODEL, TOPIC, root.toString().replace("\\", "/")), "test.yaml", Map.of());
      System.setErr(new PrintStream(new Tee(oldErr, err), true, StandardCharsets.UTF_8));
      Service service = Service.start(cfg);
      try {
        RunningModel r = RunningModel.all(service).getFirst();
        String base = "http://127.0.0.1:" + service.httpPort();
        produce(bootstrap, 0, 100);
        // 25 steps, a checkpoint every 5 (or on the next step when the writer was busy): the last one is
        // at step 21 or later, and none follows it.
        await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 100 && r.checkpointLastStep() >= 21);
        long good = r.checkpointLastStep();
        JsonNode ready = ready(base, 200);
        assertThat(ready.has("degraded")).as("no problem yet: %s", ready).isFalse();
        assertThat(ready.path("models").path(MODEL).path("problem").isNull()).isTrue();

        String how = breakDir(mine);
        System.out.println("checkpoint directory made unwritable by: " + how);
        long stepBefore = r.steps();
        produce(bootstrap, 100, 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 200 && r.checkpointFailures() >= 2);
        assertThat(r.steps()).as("training goes on").isEqualTo(50).isGreaterThan(stepBefore);
        assertThat(r.checkpointLastStep()).as("no new checkpoint").isEqualTo(good);
        String os = how.startsWith("chmod") ? "Permission denied" : "exists and is not a directory";
        String log = err.toString(StandardCharsets.UTF_8);
        assertThat(log).as("the error in the log").containsPattern("ERROR \\S+ - model " + MODEL
            + ": cannot write the checkpoint of step \\d+ to " + java.util.regex.Pattern.quote(mine + ": ")
            + ".*" + os + "; training goes on");
        ready = ready(base, 200); // degraded, still ready: it trains and serves
        String problem = ready.path("degraded").path(MODEL).asText();
        System.out.println("GET /ready while failing: " + ready);
        assertThat(problem).contains("checkpoints failing").contains(mine.toString()).contains(os);
        assertThat(ready.path("models").path(MODEL).path("ready").asBoolean()).isTrue();
        assertThat(ready.path("models").path(MODEL).path("problem").asText()).isEqualTo(problem);
        String scrape = get(base + "/metrics").body();
        assertThat(metric(scrape, "streamlearn_checkpoint_failures_total")).isGreaterThanOrEqualTo(2);
        assertThat(metric(scrape, "streamlearn_checkpoint_last_step")).isEqualTo(good);
        assertThat(metric(scrape, "streamlearn_model_ready")).isEqualTo(1);

        // Writable again: the next checkpoint is complete, /ready clean.
        repairDir(mine, how);
        long failures = r.checkpointFailures();
        produce(bootstrap, 200, 240);
        await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 240 && r.checkpointLastStep() > 50);
        assertThat(r.checkpointFailures()).isEqualTo(failures);
        assertThat(err.toString(StandardCharsets.UTF_8))
            .contains("model " + MODEL + ": checkpoints are written again to " + mine + " (step ");
        ready = ready(base, 200);
        assertThat(ready.has("degraded")).as("clean again: %s", ready).isFalse();
        assertThat(ready.path("models").path(MODEL).path("problem").isNull()).isTrue();
        // The first checkpoint after the repair: complete (its CRC holds), past every failed step.
        var scan = new Checkpoints(mine, MODEL, 3).latest();
        assertThat(scan.problems()).isEmpty();
        var next = scan.latest().orElseThrow();
        assertThat(next.state().step()).isEqualTo(r.checkpointLastStep()).isGreaterThan(50);
        assertThat(next.state().examples()).isEqualTo(4 * next.state().step());
        assertThat(next.offsets()).containsEntry(TOPIC + "-0", next.state().examples() + next.state().pending());
      } finally {
        service.close();
        System.setErr(oldErr);
      }
      // And the one at the stop covers every record.
      var last = new Checkpoints(mine, MODEL, 3).latest().latest().orElseThrow();
      assertThat(last.state().step()).isEqualTo(60);
      assertThat(last.state().examples()).isEqualTo(240);
      assertThat(last.offsets()).containsEntry(TOPIC + "-0", 240L);
    }
  }

  /**
   * chmod 555 when that stops this process writing there; else (root) a regular file in place of
   * the directory. Returns which.
   */
  static String breakDir(Path d) throws Exception {
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("r-xr-xr-x"));
    Path probe = d.resolve("probe");
    try {
      Files.createFile(probe);
      Files.delete(probe);
    } catch (java.nio.file.AccessDeniedException e) {
      return "chmod 555";
    }
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.move(d, d.resolveSibling(d.getFileName() + ".aside"));
    Files.writeString(d, "a regular file where the checkpoint directory was");
    return "a regular file in place of the directory (chmod does not stop root)";
  }

  static void repairDir(Path d, String how) throws Exception {
    if (how.startsWith("chmod")) {
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    } else {
      Files.delete(d);
      Files.move(d.resolveSibling(d.getFileName() + ".aside"), d);
    }
  }

  static void produce(String bootstrap, int from, int to) {
    java.util.Random r = new java.util.Random(from);
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = from; i < to; i++) {
      float a = (float) r.nextGaussian(), b = (float) r.nextGaussian();
      String line = i / 1000f + "," + a + "," + b + "," + (a - b) + "," + (a + b > 0 ? 2 : a > 0 ? 1 : 0);
      rs.add(new ProducerRecord<>(TOPIC, 0, null, line.getBytes(StandardCharsets.UTF_8)));
    }
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (var x : rs) p.send(x);
      p.flush();
    }
  }

  JsonNode ready(String base, int status) throws Exception {
    var res = get(base + "/ready");
    assertThat(res.statusCode()).as("GET /ready: %s", res.body()).isEqualTo(status);
    return JSON.readTree(res.body());
  }

  HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static double metric(String scrape, String name) {
    var m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name) + "\\{model=\"" + MODEL
        + "\"} (\\S+)$").matcher(scrape);
    assertThat(m.find()).as("%s in /metrics", name).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** Writes to both streams (the log stays visible and is kept for the assertions). */
  static final class Tee extends OutputStream {
    private final OutputStream a, b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override public synchronized void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override public void flush() throws java.io.IOException {
      a.flush();
      b.flush();
    }
  }
}
