package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.LearnerState;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.OfflineReplay;
import org.streamlearn.stream.TrainingAudit;

/**
 * Never lose a step, never train one twice: the service in a child JVM, against a broker in this
 * JVM, is killed with SIGKILL at three seeded random points while it trains N numbered records of
 * one partition, restarted each time, then stopped with SIGTERM once its checkpoint covers all N.
 * Its final step and example counts must be those of one uninterrupted learner here fed the same N
 * records in order, and its parameters and optimizer state equal them bit for bit: the kernels give
 * the same bits on every JIT tier (TierIndependenceTest), so four cold child JVMs and this one agree.
 * And a pause through the control API survives SIGKILL.
 */
class KillNineTest {
  static final long SEED = 20261122L;
  static final int N = 3000, B = 4, KILLS = 3;
  static final String MODEL = "kill9", TOPIC = "kill9.train";

  @Test
  @Timeout(150)
  void killedThreeTimesTrainsEveryRecordExactlyOnce(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    Path ckptDir = dir.resolve("ckpt");
    Path config = dir.resolve("kill9.yaml");
    writeService(config, MODEL, TOPIC, ckptDir, "", """
        optimizer: {name: adam, lr: 0.01}
        publish.every.steps: 1000000
        publish.every.ms: 0
        checkpoint.every.steps: 5
        checkpoint.every.ms: 1000
        checkpoint.keep: 3
        audit.path: %s
        """.formatted(dir.resolve("kill9.audit").toString().replace("\\", "/")));
    ModelConfig mc = ConfigLoader.load(config, Map.of()).models().get(MODEL);
    List<byte[]> records = records();
    Checkpoints ckpts = new Checkpoints(ckptDir.resolve(MODEL), MODEL, 3);
    Random rnd = new Random(SEED);

    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("group.min.session.timeout.ms", "1000"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      // Produced at most 160 records/s and at most AHEAD records beyond the newest checkpoint, so the
      // kills land while records are left to train however slowly the child JVMs restart.
      Thread producer = Thread.ofPlatform().daemon(true).start(() -> produce(bootstrap, records, () -> covered(ckpts)));
      for (int k = 0; k <= KILLS; k++) {
        ChildJvm c = ChildJvm.service("service", config, bootstrap);
        try {
          if (k < KILLS) {
            long before = covered(ckpts);
            // After its first checkpoint of this run (restored or new progress), at a random point.
            await(c, 60, () -> covered(ckpts) > before);
            Thread.sleep(200 + rnd.nextInt(1500));
            assertThat(c.p().isAlive()).as("child alive before kill %d; output:%n%s", k, c.output()).isTrue();
            c.p().toHandle().destroyForcibly(); // SIGKILL
            assertThat(c.p().waitFor(20, TimeUnit.SECONDS)).isTrue();
            long at = covered(ckpts);
            System.out.printf("kill %d at %.1f s: newest checkpoint covers %d of %d%n", k + 1,
                (System.nanoTime() - t0) / 1e9, at, N);
            assertThat(at).as("killed while records were left to train").isLessThan(N);
          } else {
            await(c, 45, () -> covered(ckpts) >= N);
            checkpointOverHttp(c, ckpts);
            c.p().toHandle().destroy(); // SIGTERM: graceful
            assertThat(c.p().waitFor(30, TimeUnit.SECONDS)).as("stopped; output:%n%s", c.output()).isTrue();
            System.out.printf("graceful stop at %.1f s, exit %d%n", (System.nanoTime() - t0) / 1e9, c.p().exitValue());
          }
        } finally {
          c.close();
        }
      }
      producer.join(10_000);
    }

    var last = ckpts.latest();
    assertThat(last.problems()).isEmpty();
    LearnerState got = last.latest().orElseThrow().state();
    assertThat(last.latest().get().offsets()).containsEntry(TOPIC + "-0", (long) N);

    // The audit: every record id (offset) is in the final state exactly once, in the step an
    // uninterrupted run puts it in; what the kills dropped was trained again after each restore.
    TrainingAudit.Read audit = TrainingAudit.read(dir.resolve("kill9.audit"));
    assertThat(audit.runs()).as("process runs in the audit").isEqualTo(KILLS + 1);
    long[] times = new long[N];
    for (TrainingAudit.Entry e : audit.effective()) {
      assertThat(e.tp()).isEqualTo(TOPIC + "-0");
      assertThat(e.offset()).isBetween(0L, N - 1L);
      times[(int) e.offset()]++;
      assertThat(e.step()).as("step of record %d", e.offset()).isEqualTo(e.offset() / B + 1);
    }
    for (int i = 0; i < N; i++) assertThat(times[i]).as("times record %d is in the final state", i).isEqualTo(1);
    System.out.printf("audit: %d records in the state, each once; %d trained again after a kill%n",
        audit.effective().size(), audit.lost().size());

    // The uninterrupted run: the same records, decoded by the same decoder, in order.
    LearnerState want = OfflineReplay.replay(mc, records).exportState();
    assertThat(got.examples()).as("examples trained").isEqualTo(N);
    assertThat(got.step()).isEqualTo(N / B);
    assertThat(got.pending()).isZero();
    // Bit for bit: a record trained twice or skipped, or a restore that lost any state, shows here.
    assertSameBits("parameters", got.params(), want.params());
    assertThat(got.optimizerState().length).isEqualTo(want.optimizerState().length);
    for (int i = 0; i < want.optimizerState().length; i++)
      assertSameBits("optimizer state " + i, got.optimizerState()[i], want.optimizerState()[i]);
    System.out.printf("kill -9 test: %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * A pause through the control API survives SIGKILL: the child trains 200 records, is paused over
   * HTTP and killed once {@code GET /models/{m}/checkpoint} says the pause is durable; restarted, it
   * is paused in {@code /ready} and {@code GET /models/{m}} and trains none of the 100 records
   * produced meanwhile, until resumed; then it trains them all.
   */
  @Test
  @Timeout(150)
  void aPauseSurvivesSigkill(@TempDir Path dir) throws Exception {
    String model = "kpause", topic = "kpause.train", token = "kpause-token-4f1c9e27b3d05a68";
    Path ckptDir = dir.resolve("ckpt"), config = dir.resolve("kpause.yaml");
    writeService(config, model, topic, ckptDir, "http.control.token: " + token, """
        checkpoint.every.steps: 1000
        checkpoint.every.ms: 0
        """);
    List<byte[]> records = records().subList(0, 300);
    Checkpoints ckpts = new Checkpoints(ckptDir.resolve(model), model, 3);
    var http = java.net.http.HttpClient.newHttpClient();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("group.min.session.timeout.ms", "1000"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      send(bootstrap, topic, records.subList(0, 200));
      try (ChildJvm c = ChildJvm.service("paused", config, bootstrap)) {
        String base = httpBase(c);
        await(c, 60, () -> get(http, json, base + "/models/" + model).path("status").path("step").asLong() == 50);
        var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/models/" + model + "/control"))
            .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"action\":\"pause\"}")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        long t = System.nanoTime();
        await(c, 10, () -> get(http, json, base + "/models/" + model + "/checkpoint").path("trainingPaused").asBoolean());
        System.out.printf("pause durable %.0f ms after the 200%n", (System.nanoTime() - t) / 1e6);
        c.kill();
      }
      var onDisk = ckpts.latest().latest().orElseThrow();
      assertThat(onDisk.trainingPaused()).isTrue();
      assertThat(onDisk.state().step()).isEqualTo(50);
      send(bootstrap, topic, records.subList(200, 300));

      try (ChildJvm c = ChildJvm.service("restarted", config, bootstrap)) {
        String base = httpBase(c);
        c.awaitLine(60, "stays paused");
        await(c, 30, () -> get(http, json, base + "/ready").path("models").path(model).path("ready").asBoolean());
        assertThat(get(http, json, base + "/ready").path("models").path(model).path("trainingPaused").asBoolean()).isTrue();
        Thread.sleep(1500); // time enough to train 100 records, were it not paused
        var status = get(http, json, base + "/models/" + model).path("status");
        assertThat(status.path("trainingPaused").asBoolean()).isTrue();
        assertThat(status.path("step").asLong()).isEqualTo(50);
        var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/models/" + model + "/control"))
            .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"action\":\"resume\"}")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        await(c, 30, () -> get(http, json, base + "/models/" + model).path("status").path("step").asLong() == 75);
        // graceful: the last checkpoint is written, and a clean stop exits with status 0
        assertThat(c.terminate(30)).as("exit status after SIGTERM; output:%n%s", c.output()).isZero();
      }
    }
    var last = ckpts.latest().latest().orElseThrow();
    assertThat(last.trainingPaused()).isFalse();
    assertThat(last.state().examples()).isEqualTo(300);
    assertThat(last.offsets()).containsEntry(topic + "-0", 300L);
  }

  static String httpBase(ChildJvm c) throws InterruptedException {
    String line = c.awaitLine(60, "HTTP on http://");
    var m = java.util.regex.Pattern.compile("HTTP on (http://127\\.0\\.0\\.1:\\d+)/").matcher(line);
    assertThat(m.find()).as("HTTP address in '%s'", line).isTrue();
    return m.group(1);
  }

  static com.fasterxml.jackson.databind.JsonNode get(java.net.http.HttpClient http,
      com.fasterxml.jackson.databind.ObjectMapper json, String url) {
    try {
      var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      return json.readTree(res.body());
    } catch (Exception e) {
      return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
  }

  static void send(String bootstrap, String topic, List<byte[]> records) {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] r : records) p.send(new ProducerRecord<>(topic, 0, null, r));
      p.flush();
    }
  }

  /** GET /models/kill9/checkpoint of the running child describes its newest checkpoint file. */
  static void checkpointOverHttp(ChildJvm c, Checkpoints ckpts) throws Exception {
    await(c, 30, () -> c.output().contains("HTTP on http://")); // the runner starts training before HTTP is up
    var m = java.util.regex.Pattern.compile("HTTP on http://127\\.0\\.0\\.1:(\\d+)/").matcher(c.output());
    assertThat(m.find()).as("HTTP port in the output").isTrue();
    var http = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + m.group(1) + "/models/";
    var res = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + MODEL + "/checkpoint")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(res.body());
    var newest = ckpts.latest().latest().orElseThrow();
    assertThat(json.get("step").asLong()).isLessThanOrEqualTo(newest.state().step()).isGreaterThan(0);
    assertThat(json.get("offsets").get(TOPIC + "-0").asLong()).isGreaterThan(0);
    assertThat(json.get("size_bytes").asLong()).isPositive();
    assertThat(json.get("file").asText()).contains(MODEL + "-");
    var unknown = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "nope/checkpoint")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
  }

  /** Record i: csv of 8 features (feature 0 = i / N) and its class; fixed seed. */
  /**
   * The child service's configuration: one small classifier with checkpoints under {@code ckptDir},
   * full batches only, a short group session and a static member id; {@code service} and
   * {@code modelKeys} add lines (YAML, one key per line) to the service and the model.
   */
  static void writeService(Path config, String model, String topic, Path ckptDir, String service, String modelKeys)
      throws Exception {
    Files.writeString(config, """
        http.port: 0
        demo.enabled: false
        progress.interval.ms: 1000
        shutdown.timeout.ms: 10000
        kafka.properties.session.timeout.ms: 2000
        kafka.properties.heartbeat.interval.ms: 500
        kafka.properties.group.instance.id: %s-child
        %s
        models:
          %s:
            topics: [%s]
            format: csv
            features: 8
            label: {type: class, classes: 4}
            layers: input(8) dense(16) relu dense(4)
            batch.size: %d
            batch.linger.ms: 60000
            checkpoint.dir: %s
            seed: 5
        %s
        """.formatted(model, service, model, topic, B,
        ckptDir.toString().replace("\\", "/"), modelKeys.lines().map(l -> "    " + l)
            .collect(java.util.stream.Collectors.joining("\n"))));
  }

  static List<byte[]> records() {
    Random r = new Random(SEED + 1);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      StringBuilder sb = new StringBuilder().append((float) i / N);
      float s = 0;
      for (int f = 1; f < 8; f++) {
        float v = (float) r.nextGaussian();
        s += f % 2 == 0 ? v : -v;
        sb.append(',').append(v);
      }
      int cls = (s > 1 ? 3 : s > 0 ? 2 : s > -1 ? 1 : 0);
      out.add(sb.append(',').append(cls).toString().getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  /** Records the producer keeps ahead of the newest checkpoint, at most. */
  static final int AHEAD = 200;

  static void produce(String bootstrap, List<byte[]> records, java.util.function.LongSupplier covered) {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < records.size(); i++) {
        while (i % 16 == 0 && i - covered.getAsLong() >= AHEAD) Thread.sleep(50);
        p.send(new ProducerRecord<>(TOPIC, 0, null, records.get(i)));
        if (i % 16 == 15) {
          p.flush();
          Thread.sleep(100);
        }
      }
      p.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Next offset the newest valid checkpoint covers, 0 none. */
  static long covered(Checkpoints c) {
    try {
      return c.latest().latest().map(l -> l.offsets().getOrDefault(TOPIC + "-0", 0L)).orElse(0L);
    } catch (Exception e) {
      return 0;
    }
  }

  static void await(ChildJvm c, int seconds, BooleanSupplier cond) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!cond.getAsBoolean()) {
      assertThat(c.p().isAlive()).as("child alive; output:%n%s", c.output()).isTrue();
      assertThat(System.nanoTime()).as("timed out; output:%n%s", c.output()).isLessThan(until);
      Thread.sleep(50);
    }
  }

  static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
    return b;
  }



  /** Raw float bits equal element by element; the first difference is named on failure. */
  static void assertSameBits(String what, float[] got, float[] want) {
    assertThat(got).as(what + " length").hasSameSizeAs(want);
    int[] g = bits(got), w = bits(want);
    for (int i = 0; i < w.length; i++)
      if (g[i] != w[i])
        throw new AssertionError(what + "[" + i + "] = " + got[i] + " (bits " + Integer.toHexString(g[i])
            + "), uninterrupted run " + want[i] + " (bits " + Integer.toHexString(w[i]) + "): first of "
            + java.util.stream.IntStream.range(0, w.length).filter(k -> g[k] != w[k]).count() + " differing of "
            + w.length);
    System.out.printf("%s: %d floats equal bit for bit%n", what, w.length);
  }
}
