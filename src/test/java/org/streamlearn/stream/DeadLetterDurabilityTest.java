package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.ascii;
import static org.streamlearn.stream.StreamTestKit.committed;
import static org.streamlearn.stream.StreamTestKit.header;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;
import static org.streamlearn.stream.StreamTestKit.readAll;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.metrics.StreamlearnMeters;

/**
 * A dead letter the broker does not acknowledge holds back commits and checkpoints of its
 * partition, never training, and is not lost to a restart: {@code <model>.dlq} is unavailable (deleted
 * on a broker that creates no topic by itself: the producer retries, as during an outage of that
 * topic's leader) while a malformed record arrives between good ones; the service stops with the
 * dead letter unwritten, the topic comes back, and the next start writes it.
 */
@Timeout(180)
class DeadLetterDurabilityTest {
  @TempDir static Path dir;
  static EmbeddedKafka kafka;
  static String bootstrap;

  @BeforeAll
  static void startBroker() {
    kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("auto.create.topics.enable", "false"));
    bootstrap = kafka.start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) kafka.close();
  }

  static final String NAME = "dlq-hold", TOPIC = NAME + ".train";

  static ModelConfig config(Path root) {
    return model("""
        models:
          %s:
            topics: [%s]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(8) relu dense(3)
            batch.size: 8
            batch.linger.ms: 10
            checkpoint.dir: "%s"
            checkpoint.every.steps: 5
            checkpoint.every.ms: 300
            audit.path: "%s"
        """.formatted(NAME, TOPIC, root.resolve("ckpt").toString().replace("\\", "/"),
        root.resolve("audit").toString().replace("\\", "/")));
  }

  static List<byte[]> good(Random rnd, int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int y = rnd.nextInt(3);
      out.add(ascii(y + "," + rnd.nextFloat() + "," + (y * 0.5f) + "," + rnd.nextFloat() + "," + y));
    }
    return out;
  }

  /** Makes {@code <model>.dlq} unavailable (deleted; the broker creates no topic by itself) or available again. */
  static void dlqAvailable(Admin admin, boolean available) throws Exception {
    String t = Topics.deadLetters(NAME);
    if (available) admin.createTopics(List.of(new NewTopic(t, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    else admin.deleteTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.listTopics().names().get().contains(t) == available);
  }

  @SuppressWarnings("unchecked")
  static long checkpointOffset(RunningModel r) {
    var c = r.checkpoint();
    if (c == null) return -1;
    Long o = ((Map<String, Long>) c.get("offsets")).get(TOPIC + "-0");
    return o == null ? -1 : o;
  }

  @Test
  void anUnacknowledgedDeadLetterHoldsBackCommitsAndCheckpointsAndSurvivesARestart() throws Exception {
    Path root = dir.resolve("dlq-hold");
    var mc = config(root);
    Random rnd = new Random(5);
    int bad = 200, total = 501;
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      var registry = StreamlearnMeters.newRegistry();
      var first = new RunningModel(mc, KafkaClients.of(bootstrap), 4_000);
      StreamlearnMeters.bind(registry, first.verticle());
      first.start();
      try {
        produce(bootstrap, TOPIC, good(rnd, bad)); // offsets 0..199
        await().atMost(Duration.ofSeconds(30)).until(() -> first.rowsTrained() == bad
            && committed(bootstrap, mc.group(), TOPIC) == bad && checkpointOffset(first) == bad);

        dlqAvailable(admin, false);
        List<byte[]> rest = new ArrayList<>();
        rest.add(ascii("1,x,3,4,1")); // offset 200: malformed
        rest.addAll(good(rnd, total - bad - 1)); // 201..500
        produce(bootstrap, TOPIC, rest);
        // Training goes on past the dead letter...
        await().atMost(Duration.ofSeconds(30)).until(() -> first.rowsTrained() == total - 1);
        assertThat(first.deadLetteredTotal()).isEqualTo(1);
        assertThat(first.deadLettersPending()).isEqualTo(1);
        long steps = first.steps();
        Thread.sleep(3000); // three commit intervals, ten checkpoint intervals
        // ...but neither a commit nor a checkpoint covers its record while the broker refuses it.
        assertThat(committed(bootstrap, mc.group(), TOPIC)).as("committed offset").isEqualTo(bad);
        assertThat(checkpointOffset(first)).as("offset of the newest checkpoint").isLessThanOrEqualTo(bad);
        assertThat(first.steps()).isEqualTo(steps);
        assertThat(registry.scrape()).contains("streamlearn_ingest_dead_letters_pending{model=\"dlq-hold\"} 1.0")
            .contains("streamlearn_ingest_dead_letters_given_up_total{model=\"dlq-hold\"} 0.0");
      } finally {
        first.close(); // still refused: the dead letter is dropped by this process, its record uncommitted
      }
      assertThat(committed(bootstrap, mc.group(), TOPIC)).isEqualTo(bad);

      // The topic is back; the next start restores a checkpoint before the record, reads it again and
      // dead-letters it again.
      dlqAvailable(admin, true);
      var second = new RunningModel(mc, KafkaClients.of(bootstrap), 4_000).start();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> second.deadLetteredTotal() == 1 && second.deadLettersPending() == 0
            && committed(bootstrap, mc.group(), TOPIC) == total && checkpointOffset(second) == total);
      } finally {
        second.close();
      }
    }
    var dlq = readAll(bootstrap, Topics.deadLetters(NAME), 1);
    assertThat(dlq).hasSize(1);
    assertThat(header(dlq.getFirst(), "dlq.offset")).isEqualTo(Integer.toString(bad));
    assertThat(header(dlq.getFirst(), "dlq.reason")).isEqualTo("MALFORMED");

    // Every good record is in the final state exactly once; the malformed one is dead-lettered.
    var audit = TrainingAudit.read(root.resolve("audit"));
    Map<Long, Integer> count = new HashMap<>();
    for (var e : audit.effective()) count.merge(e.offset(), 1, Integer::sum);
    assertThat(count).hasSize(total - 1).doesNotContainKey((long) bad);
    assertThat(count.values()).containsOnly(1);
  }
}
