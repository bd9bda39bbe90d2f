package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.TrainingAudit;

/**
 * A broker outage, for real: the broker runs in a child JVM of its own and is SIGKILLed while the
 * service (another child JVM) trains numbered records, and stays down longer than every client
 * timeout the service is configured with. Throughout, the service process lives and GET /health
 * answers 200; GET /ready turns 503 naming the broker, and /metrics shows the model unready. The
 * broker is then started again on the same ports and data: training resumes by itself, /ready is
 * 200 again, and every record is trained exactly once (the training audit holds every offset
 * produced exactly once, and the final checkpoint's example count and offsets equal what was
 * produced). Then the service itself is SIGKILLed once and restarted. Prints
 * the recovery times after both (figures, not asserted beyond generous timeouts).
 */
class BrokerOutageTest {
  static final String MODEL = "outage", TOPIC = "outage.train";
  /** Records before the outage: 300 train in full batches, 2 linger in a partial one when the broker dies. */
  static final int N = 1200, N_AFTER_KILL = 200, B = 4, BEFORE = 302;
  /** Longer than session.timeout.ms, request.timeout.ms, default.api.timeout.ms, delivery.timeout.ms and max.block.ms below. */
  static final long OUTAGE_MS = 12_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  @Timeout(180)
  void survivesABrokerOutageAndAKillNine(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    Path kafkaDir = dir.resolve("kafka"), ckptDir = dir.resolve("ckpt"), auditFile = dir.resolve("outage.audit");
    int[] ports = EmbeddedKafka.freePorts(2);
    int brokerPort = ports[0], controllerPort = ports[1];
    String bootstrap = "127.0.0.1:" + brokerPort;
    Path config = dir.resolve("outage.yaml");
    Files.writeString(config, """
        http.port: 0
        demo.enabled: false
        progress.interval.ms: 1000
        shutdown.timeout.ms: 10000
        kafka.properties.session.timeout.ms: 6000
        kafka.properties.heartbeat.interval.ms: 1000
        kafka.properties.request.timeout.ms: 3000
        kafka.properties.default.api.timeout.ms: 5000
        kafka.properties.delivery.timeout.ms: 8000
        kafka.properties.max.block.ms: 5000
        kafka.properties.group.instance.id: outage-child
        models:
          %s:
            topics: [%s]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(8) relu dense(3)
            optimizer: {name: adam, lr: 0.01}
            batch.size: %d
            batch.linger.ms: 5000
            publish.every.steps: 20
            publish.every.ms: 1000
            checkpoint.dir: %s
            checkpoint.every.steps: 10
            checkpoint.every.ms: 1000
            seed: 7
            audit.path: %s
        """.formatted(MODEL, TOPIC, B, ckptDir.toString().replace("\\", "/"), auditFile.toString().replace("\\", "/")));
    Map<String, String> env = Map.of("STREAMLEARN_CONFIG", config.toString(), "STREAMLEARN_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    String[] brokerArgs = {kafkaDir.toString(), Integer.toString(brokerPort), Integer.toString(controllerPort)};

    ChildJvm broker = ChildJvm.start("broker", BrokerProcess.class, Map.of(), brokerArgs);
    ChildJvm service = null;
    try {
      broker.awaitLine(60, BrokerProcess.UP);
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      service = ChildJvm.start("service", Main.class, env);
      String base = baseUrl(service);
      awaitReady(service, base, 60);
      System.out.printf("broker and service up at %.1f s%n", secs(t0));

      // Numbered records at about 160/s: 302 first; the rest from the moment the broker is killed,
      // buffered by the producer through the outage and delivered after it.
      var produced = new java.util.concurrent.CopyOnWriteArrayList<Future<RecordMetadata>>();
      var brokerDown = new java.util.concurrent.CountDownLatch(1);
      Thread producer = Thread.ofPlatform().daemon(true).start(() -> {
        produce(bootstrap, 0, BEFORE, produced);
        try {
          brokerDown.await();
        } catch (InterruptedException e) {
          return;
        }
        produce(bootstrap, BEFORE, N, produced);
      });
      service.await(60, BEFORE + " records in, 300 trained", () -> {
        String m = get(base + "/metrics").body();
        return metric(m, "streamlearn_ingest_records_total") == BEFORE && metric(m, "streamlearn_train_examples_total") == 300;
      });

      // The outage: SIGKILL while 2 records linger in a partial batch, down for longer than the clients' timeouts.
      long versionBefore = version(base);
      broker.kill();
      long killed = System.nanoTime();
      brokerDown.countDown();
      System.out.printf("broker SIGKILLed at %.1f s, 300 examples trained, 2 lingering, version %d%n", secs(t0),
          versionBefore);
      long unreadyAfter = -1;
      String problem = null;
      int polls = 0;
      while (System.nanoTime() - killed < TimeUnit.MILLISECONDS.toNanos(OUTAGE_MS)) {
        assertThat(service.p().isAlive()).as("service alive during the outage; output:%n%s", service.output()).isTrue();
        assertThat(get(base + "/health").statusCode()).as("GET /health during the outage").isEqualTo(200);
        var ready = get(base + "/ready");
        if (ready.statusCode() == 503 && unreadyAfter < 0) {
          unreadyAfter = (System.nanoTime() - killed) / 1_000_000;
          problem = JSON.readTree(ready.body()).path("problems").path(MODEL).asText();
        }
        polls++;
        Thread.sleep(250);
      }
      System.out.printf("UNREADY after broker kill: %d ms (problem: %s), %d polls of /health all 200%n", unreadyAfter,
          problem, polls);
      assertThat(unreadyAfter).as("GET /ready turned 503 during the outage").isGreaterThanOrEqualTo(0);
      assertThat(problem).as("the problem names the broker").contains("broker").contains(bootstrap);
      var ready = get(base + "/ready");
      assertThat(ready.statusCode()).as("still unready at the end of the outage: %s", ready.body()).isEqualTo(503);
      String scrape = get(base + "/metrics").body();
      assertThat(metric(scrape, "streamlearn_model_ready")).as("ready gauge during the outage").isEqualTo(0);
      assertThat(metric(scrape, "streamlearn_ingest_broker_silence_seconds")).as("broker silence gauge")
          .isGreaterThan(5);
      long duringOutage = examples(base);
      // The trainer went on: the lingering batch trained, its version is served (its send to Kafka fails).
      assertThat(duringOutage).as("lingering batch trained during the outage").isEqualTo(BEFORE);
      assertThat(version(base)).as("version served during the outage").isGreaterThan(versionBefore);

      // The broker back on the same ports and data.
      broker.close();
      broker = ChildJvm.start("broker", BrokerProcess.class, Map.of(), brokerArgs);
      broker.awaitLine(60, BrokerProcess.UP);
      long back = System.nanoTime();
      System.out.printf("broker back at %.1f s (down %d ms)%n", secs(t0), (back - killed) / 1_000_000);
      long readyMs = -1, stepMs = -1;
      while (readyMs < 0 || stepMs < 0) {
        assertThat(service.p().isAlive()).as("service alive; output:%n%s", service.output()).isTrue();
        assertThat(System.nanoTime() - back).as("recovered within 60 s; output:%n%s", service.output())
            .isLessThan(TimeUnit.SECONDS.toNanos(60));
        if (stepMs < 0 && examples(base) > duringOutage) stepMs = (System.nanoTime() - back) / 1_000_000;
        if (readyMs < 0 && get(base + "/ready").statusCode() == 200) readyMs = (System.nanoTime() - back) / 1_000_000;
        Thread.sleep(50);
      }
      System.out.printf("RECOVERY broker outage: ready %d ms, first new step %d ms after the broker was back%n",
          readyMs, stepMs);
      producer.join(60_000);
      assertThat(producer.isAlive()).isFalse();
      for (var f : produced) f.get(1, TimeUnit.SECONDS); // every record acknowledged
      service.await(60, "all " + N + " records trained", () -> examples(base) >= N);
      assertThat(endOffset(bootstrap)).as("records on the topic").isEqualTo(N);
      assertThat(examples(base)).as("trained exactly once; output:%n%s", service.output()).isEqualTo(N);
      scrape = get(base + "/metrics").body();
      assertThat(metric(scrape, "streamlearn_model_ready")).isEqualTo(1);
      assertThat(metric(scrape, "streamlearn_weights_publish_failures_total"))
          .as("the version published during the outage outlived delivery.timeout.ms: dropped, counted")
          .isGreaterThanOrEqualTo(1);

      // kill -9 of the service once, with records waiting for it.
      service.kill();
      System.out.println("service output until the kill:\n" + service.output());
      produced.clear();
      produce(bootstrap, N, N + N_AFTER_KILL, produced);
      for (var f : produced) f.get(30, TimeUnit.SECONDS);
      service.close();
      long restarted = System.nanoTime();
      service = ChildJvm.start("service", Main.class, env);
      String base2 = baseUrl(service);
      long readyAt = awaitReady(service, base2, 60), firstStepAt = -1;
      while (firstStepAt < 0) {
        assertThat(System.nanoTime() - restarted).isLessThan(TimeUnit.SECONDS.toNanos(60));
        if (examples(base2) > 0) firstStepAt = System.nanoTime();
        else Thread.sleep(20);
      }
      System.out.printf("RECOVERY kill -9: ready %d ms, first step %d ms after the restart of the child JVM%n",
          (readyAt - restarted) / 1_000_000, (firstStepAt - restarted) / 1_000_000);
      Checkpoints ckpts = new Checkpoints(ckptDir.resolve(MODEL), MODEL, 3);
      service.await(60, "a checkpoint covering all records", () -> covered(ckpts) >= N + N_AFTER_KILL);
      System.out.printf("graceful stop at %.1f s, exit %d%n", secs(t0), service.terminate(30));
      System.out.println("service output after the restart:\n" + service.output());

      var last = ckpts.latest();
      assertThat(last.problems()).isEmpty();
      var newest = last.latest().orElseThrow();
      assertThat(newest.offsets()).containsEntry(TOPIC + "-0", (long) (N + N_AFTER_KILL));
      assertThat(newest.state().examples()).as("every record trained once").isEqualTo(N + N_AFTER_KILL);
      assertThat(newest.state().pending()).isZero();

      // The training audit: every record produced is in the final state exactly once (a skipped
      // record and a duplicate would cancel out in the counts above, not here).
      TrainingAudit.Read audit = TrainingAudit.read(auditFile);
      int total = N + N_AFTER_KILL;
      int[] times = new int[total];
      for (TrainingAudit.Entry e : audit.effective()) {
        assertThat(e.tp()).isEqualTo(TOPIC + "-0");
        assertThat(e.offset()).as("offset of a trained record").isBetween(0L, total - 1L);
        times[(int) e.offset()]++;
      }
      for (int i = 0; i < total; i++) assertThat(times[i]).as("times record %d is in the final state", i).isEqualTo(1);
      assertThat(audit.runs()).as("process runs in the audit").isEqualTo(2);
      assertThat(audit.rolledBack()).as("records a rollback discarded").isEmpty();
      assertThat((long) audit.effective().size()).as("audit against the checkpoint's example count")
          .isEqualTo(newest.state().examples());
      System.out.printf("audit: %d records in the state, each once; %d trained again after the kill -9, partitions lost"
          + " %s with %d queued rows dropped%n", audit.effective().size(), audit.lost().size(), audit.partitionsLost(),
          audit.rowsDropped());
    } finally {
      if (service != null) service.close();
      broker.close();
    }
    System.out.printf("broker outage test: %.1f s%n", secs(t0));
  }

  /** Records from..to-1: feature 0 = i / N, the class from the others; paced at about 160/s. */
  static void produce(String bootstrap, int from, int to, List<Future<RecordMetadata>> sent) {
    java.util.Random r = new java.util.Random(from);
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = from; i < to; i++) {
        float a = (float) r.nextGaussian(), b = (float) r.nextGaussian(), c = (float) r.nextGaussian();
        int cls = a + b > 0.5f ? 2 : a + b > -0.5f ? 1 : 0;
        String line = (float) i / N + "," + a + "," + b + "," + c + "," + cls;
        sent.add(p.send(new ProducerRecord<>(TOPIC, 0, null, line.getBytes(StandardCharsets.UTF_8))));
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

  static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static String baseUrl(ChildJvm c) throws InterruptedException {
    Matcher m = Pattern.compile("HTTP on http://127\\.0\\.0\\.1:(\\d+)/").matcher(c.awaitLine(60, "HTTP on http://"));
    assertThat(m.find()).isTrue();
    return "http://127.0.0.1:" + m.group(1);
  }

  /** Waits for GET /ready 200; returns System.nanoTime() when it answered so. */
  long awaitReady(ChildJvm c, String base, int seconds) throws InterruptedException {
    c.await(seconds, "GET /ready 200", () -> get(base + "/ready").statusCode() == 200);
    return System.nanoTime();
  }

  HttpResponse<String> get(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError("GET " + url + " failed: " + e, e);
    }
  }

  long version(String base) throws Exception {
    return JSON.readTree(get(base + "/models/" + MODEL).body()).path("version").asLong(-1);
  }

  long examples(String base) {
    return (long) metric(get(base + "/metrics").body(), "streamlearn_train_examples_total");
  }

  /** The value of name{model="outage"} in a Prometheus scrape. */
  static double metric(String scrape, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{model=\"" + MODEL + "\"} (\\S+)$").matcher(scrape);
    assertThat(m.find()).as("%s in /metrics", name).isTrue();
    return Double.parseDouble(m.group(1));
  }

  static long endOffset(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      var tp = new org.apache.kafka.common.TopicPartition(TOPIC, 0);
      return admin.listOffsets(Map.of(tp, org.apache.kafka.clients.admin.OffsetSpec.latest())).all()
          .get(30, TimeUnit.SECONDS).get(tp).offset();
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

}
