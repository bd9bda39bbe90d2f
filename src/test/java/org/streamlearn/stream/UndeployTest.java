package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produceRecords;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.config.ModelConfig;

/**
 * Undeploying a ModelVerticle with rows still queued drains, checkpoints, commits and stops, in that
 * order: the last checkpoint covers every record read, its offsets are exactly the group's committed
 * offsets on both partitions, and a model deployed again trains only the records produced since.
 */
@Timeout(120)
class UndeployTest extends BrokerPerClass {
  static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void theFinalCheckpointCoversExactlyTheCommittedOffsets() throws Exception {
    String name = "undeploy", topic = name + ".train";
    Path root = dir.resolve("ckpt");
    ModelConfig mc = model(CheckpointRunnerTest.yaml(name, "input(64) dense(32) relu dense(10)", root, "")
        .replace("batch.size: 10", "batch.size: 64").replace("checkpoint.every.steps: 7", "checkpoint.every.steps: 5"));
    var kafka = new KafkaClients(bootstrap, Map.of(), 2, (short) 1);
    var ck = new Checkpoints(root.resolve(name), name, 3);
    List<byte[]> lines = DemoProducer.digitsLines();
    Vertx vertx = Vertx.vertx();
    try {
      var first = new ModelVerticle(mc, kafka, 20_000);
      String id = vertx.deployVerticle(first).await(60, TimeUnit.SECONDS);
      produceRecords(bootstrap, records(topic, lines.subList(0, 1000)));
      // 15 whole batches trained; 40 rows read but not trained wait for a batch the 60 s linger will not flush.
      await().atMost(WAIT).until(() -> first.figures().ingest().recordsIn() == 1000
          && first.figures().training().rowsTrained() == 960);
      assertThat(committed(mc.group(), topic).values().stream().mapToLong(Long::longValue).sum())
          .as("committed so far: only what checkpoints cover").isLessThanOrEqualTo(960);

      vertx.undeploy(id).await(60, TimeUnit.SECONDS);
      var last = ck.latest().latest().orElseThrow();
      assertThat(last.state().step()).as("the queued rows became a last, partial step").isEqualTo(16);
      assertThat(last.state().examples()).isEqualTo(1000);
      assertThat(last.offsets()).containsExactlyInAnyOrderEntriesOf(Map.of(topic + "-0", 500L, topic + "-1", 500L));
      assertThat(committed(mc.group(), topic)).as("committed == the final checkpoint's offsets")
          .isEqualTo(last.offsets());
      assertThat(first.figures().training().rowsTrained()).isEqualTo(1000);
      assertThat(first.latest().version()).as("the drained step was published").isEqualTo(16);

      var second = new ModelVerticle(mc, kafka, 20_000);
      String id2 = vertx.deployVerticle(second).await(60, TimeUnit.SECONDS);
      assertThat(second.figures().training().steps()).isEqualTo(16);
      produceRecords(bootstrap, records(topic, lines.subList(1000, 1200)));
      await().atMost(WAIT).until(() -> second.figures().ingest().recordsIn() == 200
          && second.figures().training().steps() == 19);
      vertx.undeploy(id2).await(60, TimeUnit.SECONDS);
      assertThat(second.figures().ingest().recordsIn()).as("nothing read twice").isEqualTo(200);
      var again = ck.latest().latest().orElseThrow();
      assertThat(again.state().examples()).isEqualTo(1200);
      assertThat(again.offsets()).isEqualTo(Map.of(topic + "-0", 600L, topic + "-1", 600L));
      assertThat(committed(mc.group(), topic)).isEqualTo(again.offsets());
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Alternating between the two partitions, so each holds half. */
  private static List<ProducerRecord<byte[], byte[]>> records(String topic, List<byte[]> values) {
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) out.add(new ProducerRecord<>(topic, i % 2, null, values.get(i)));
    return out;
  }

  private static Map<String, Long> committed(String group, String topic) throws Exception {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<String, Long> out = new HashMap<>();
      a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
          .forEach((tp, o) -> { if (tp.topic().equals(topic) && o != null) out.put(tp.toString(), o.offset()); });
      return out;
    }
  }
}
