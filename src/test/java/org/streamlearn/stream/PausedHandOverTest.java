package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produceRecords;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.data.Datasets;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;

/**
 * A replica paused through the control API, with rows queued, when the group rebalances: the
 * hand-over does not wait for a queue the paused trainer will not drain (it used to run out of
 * shutdown.timeout.ms), the queued rows of the revoked partitions are dropped, not trained, and the
 * other replica trains them from the committed offsets; after resume every record is trained
 * exactly once across both audits.
 */
@Timeout(180)
class PausedHandOverTest extends BrokerPerClass {

  @Test
  void aPausedReplicaHandsOverAtOnceAndItsQueuedRowsAreTrainedOnceByTheNextOwner() throws Exception {
    String name = "paused-ho", topic = name + ".train";
    Path root = dir.resolve("replicas");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Datasets.Digits d = Datasets.digits();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      int k = i % d.size();
      records.add(new ProducerRecord<>(topic, i % 2, null, DemoProducer.digitsLine(d.pixels()[k], d.labels()[k])));
    }
    var a = new RunningModel(model(ReplicaSyncTest.yaml(name, "pa", root)), KafkaClients.of(bootstrap), 30_000);
    var b = new RunningModel(model(ReplicaSyncTest.yaml(name, "pb", root)), KafkaClients.of(bootstrap), 30_000);
    try {
      a.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> a.partitionsOwned() == 2);
      a.control(Command.of(Action.PAUSE)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      produceRecords(bootstrap, records);
      await().atMost(Duration.ofSeconds(30)).until(() -> a.recordsIn() == records.size());
      assertThat(a.rowsTrained()).isZero();
      assertThat(a.queueDepth()).isEqualTo(records.size());

      long t0 = System.nanoTime();
      b.start(); // the group rebalances: a hands over while paused
      await().atMost(Duration.ofSeconds(20)).until(() -> a.partitionsOwned() == 1 && b.partitionsOwned() == 1);
      System.out.printf("paused-handover: rebalanced in %d ms (shutdown.timeout.ms 30000)%n",
          (System.nanoTime() - t0) / 1_000_000);
      // Cooperative rebalancing: the joiner takes one partition; the other stays with a, untouched.
      assertThat(a.partitionsRevoked()).as("partitions revoked from a").isEqualTo(1);
      await().atMost(Duration.ofSeconds(30)).until(() -> b.rowsTrained() == records.size() / 2);

      a.control(Command.of(Action.RESUME)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> a.rowsTrained() + b.rowsTrained() == records.size());
      Thread.sleep(500); // a row trained twice would show here
      assertThat(a.rowsTrained() + b.rowsTrained()).isEqualTo(records.size());
    } finally {
      b.close();
      a.close();
    }
    Map<String, Integer> count = new HashMap<>();
    long dropped = 0;
    for (String r : List.of("pa", "pb")) {
      var read = TrainingAudit.read(root.resolve(r + ".audit"));
      for (var e : read.effective()) count.merge(e.id(), 1, Integer::sum);
      dropped += read.rowsDropped();
    }
    System.out.printf("paused-handover: %d queued rows of the revoked partition dropped%n", dropped);
    assertThat(dropped).as("queued rows of the revoked partition dropped").isEqualTo(records.size() / 2);
    assertThat(count).hasSize(records.size());
    assertThat(count.entrySet()).filteredOn(e -> e.getValue() != 1).as("records trained twice").isEmpty();
  }
}
