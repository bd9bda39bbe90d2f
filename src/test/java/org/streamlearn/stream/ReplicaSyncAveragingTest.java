package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The averaging rule of {@link ReplicaSync}, exchange by exchange through a real broker: weighted
 * by the examples since each replica's previous exchange, each message folded once, equal weights
 * when the group is idle, other specs and stale messages ignored. Also prints what an exchange of
 * the MLP 784-256-256-10 (269,322 parameters) with two other replicas costs on the trainer thread.
 */
@Timeout(120)
class ReplicaSyncAveragingTest extends BrokerPerClass {

  static KafkaProducer<byte[], byte[]> producer(int maxBytes) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes), new ByteArraySerializer(), new ByteArraySerializer());
  }

  static ReplicaSync sync(String model, String replica, String spec, int p) {
    var s = new ReplicaSync(model, replica, spec, p, 5000, KafkaClients.of(bootstrap));
    s.start();
    return s;
  }

  /** One message on {@code <model>.sync} as ReplicaSync published it, decoded by its wire format. */
  record Message(String replica, int specHash, long step, long weight, long examples, int flags, float[] params) {}

  /** Every message on the model's sync topic so far, in order (it has one partition here). */
  static List<Message> published(String model) {
    var tp = new TopicPartition(Topics.sync(model), 0);
    try (var c = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<Message> out = new ArrayList<>();
      while (c.position(tp) < end) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          var b = ByteBuffer.wrap(r.value()).order(ByteOrder.LITTLE_ENDIAN);
          assertThat(Arrays.copyOf(r.value(), 8)).as("magic").isEqualTo(ReplicaSync.MAGIC);
          b.position(8);
          int n = b.getInt(), spec = b.getInt();
          long step = b.getLong(), weight = b.getLong(), examples = b.getLong();
          b.getLong(); // send time
          b.getDouble(); // examples/s
          int flags = b.getInt();
          assertThat(r.value()).as("value length").hasSize(ReplicaSync.HEADER + 4 * n);
          float[] params = new float[n];
          b.asFloatBuffer().get(params);
          out.add(new Message(new String(r.key(), StandardCharsets.UTF_8), spec, step, weight, examples, flags, params));
        }
      }
      return out;
    }
  }

  /** The messages of one replica. */
  static List<Message> of(List<Message> all, String replica) {
    return all.stream().filter(m -> m.replica().equals(replica)).toList();
  }

  /**
   * Asserts only on what ReplicaSync produces: the parameters an exchange leaves in the caller's
   * array, its Result, the messages it publishes on the sync topic, and its live-replica count.
   * (hasFresh is used only to wait until a message has arrived.)
   */
  @Test
  void weightedOnceIdleEqualOtherSpecsAndStaleIgnored() throws Exception {
    String model = "avg";
    Topics.ensure(KafkaClients.of(bootstrap), model, List.of("avg.train"), 1024, true);
    try (var out = producer(1 << 20); var a = sync(model, "a", "s", 3); var b = sync(model, "b", "s", 3);
        var other = sync(model, "x", "another spec", 3)) {
      float[] pa = {1, 2, 3}, pb = {5, 6, 7}, px = {100, 100, 100};
      other.exchange(px, 1, 1000, 1000, 0, false); // another spec: nobody folds it
      var r = a.exchange(pa, 1, 1, 1, 0, false); // nothing to fold yet
      assertThat(r.replicasInAverage()).isEqualTo(1);
      assertThat(pa).containsExactly(1, 2, 3);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.hasFresh("a"));
      r = b.exchange(pb, 1, 3, 3, 0, false); // (3·θb + 1·θa) / 4
      assertThat(r.replicasInAverage()).isEqualTo(2);
      assertThat(pb).containsExactly(4, 5, 6);
      assertThat(r.divergence()).isCloseTo(Math.sqrt(3), org.assertj.core.data.Offset.offset(1e-6));
      r = b.exchange(pb, 1, 0, 3, 0, false); // a's message was folded once: nothing new
      assertThat(r.replicasInAverage()).isEqualTo(1);
      assertThat(pb).containsExactly(4, 5, 6);
      await().atMost(Duration.ofSeconds(20)).until(() -> a.hasFresh("b"));
      // What b published: θb before each fold with the examples since its previous exchange.
      List<Message> sent = await().atMost(Duration.ofSeconds(20)).until(() -> published(model), l -> of(l, "b").size() == 2);
      assertThat(of(sent, "x")).singleElement().satisfies(m -> {
        assertThat(m.specHash()).isEqualTo("another spec".hashCode());
        assertThat(m.params()).containsExactly(100, 100, 100);
      });
      assertThat(of(sent, "a")).singleElement().satisfies(m -> {
        assertThat(m.specHash()).isEqualTo("s".hashCode());
        assertThat(m.weight()).isEqualTo(1);
        assertThat(m.params()).containsExactly(1, 2, 3);
      });
      List<Message> fromB = of(sent, "b");
      assertThat(fromB).extracting(Message::weight).containsExactly(3L, 0L);
      assertThat(fromB.get(0).params()).containsExactly(5, 6, 7);
      assertThat(fromB.get(1).params()).containsExactly(4, 5, 6);
      assertThat(fromB).allSatisfy(m -> assertThat(m.flags()).isZero());
      // a trained nothing since its exchange: it adopts the weighted mean of the fresh messages.
      // b's two messages (weights 3 then 0) are one fresh entry of weight 3 holding the newest θb.
      r = a.exchange(pa, 1, 0, 1, 0, false);
      assertThat(r.replicasInAverage()).isEqualTo(2);
      assertThat(pa).containsExactly(4, 5, 6);
      // Idle on both sides: plain averaging.
      float[] pa2 = {0, 0, 0};
      a.exchange(pa2, 1, 0, 1, 0, false);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.hasFresh("a"));
      r = b.exchange(pb, 1, 0, 3, 0, false);
      assertThat(r.replicasInAverage()).as("a and b; not x, of another spec").isEqualTo(2);
      assertThat(pb).containsExactly(2, 2.5f, 3);

      // A message older than sync.stale.ms (replayed from the compacted topic) is not folded: sent
      // before a's next message on the same partition, so b has read it when a's has arrived.
      byte[] stale = new byte[ReplicaSync.HEADER + 12];
      var buf = ByteBuffer.wrap(stale).order(ByteOrder.LITTLE_ENDIAN);
      buf.put(ReplicaSync.MAGIC).putInt(3).putInt("s".hashCode()).putLong(1).putLong(50).putLong(50)
          .putLong(System.currentTimeMillis() - 600_000).putDouble(0).putInt(0).putFloat(9).putFloat(9).putFloat(9);
      out.send(new ProducerRecord<>(Topics.sync(model), 0, System.currentTimeMillis() - 600_000,
          "old".getBytes(StandardCharsets.UTF_8), stale)).get();
      float[] pa3 = {1, 1, 1};
      a.exchange(pa3, 1, 1, 2, 0, false);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.hasFresh("a"));
      r = b.exchange(pb, 1, 1, 4, 0, false); // (1·(2, 2.5, 3) + 1·(1, 1, 1)) / 2; the stale 9s of weight 50 not in it
      assertThat(r.replicasInAverage()).isEqualTo(2);
      assertThat(pb).containsExactly(1.5f, 1.75f, 2);
      assertThat(b.liveReplicas()).isEqualTo(1); // a; neither the stale one nor the other spec
    }
  }

  @Test
  void exchangeCostOfTheMlp784() throws Exception {
    String model = "cost";
    int p = 269_322;
    Topics.ensure(KafkaClients.of(bootstrap), model, List.of("cost.train"), 4 * p + 1024, true);
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().threadId();
    try (var a = sync(model, "a", "s", p); var b = sync(model, "b", "s", p); var c = sync(model, "c", "s", p)) {
      float[] pa = new float[p], pb = new float[p], pc = new float[p];
      java.util.Arrays.fill(pb, 1);
      java.util.Arrays.fill(pc, 2);
      long total = 0, allocated = 0;
      int n = 30;
      for (int i = 0; i < n + 5; i++) {
        b.exchange(pb, i, 64, 64L * i, 0, false);
        c.exchange(pc, i, 64, 64L * i, 0, false);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.hasFresh("b") && a.hasFresh("c"));
        long before = threads.getThreadAllocatedBytes(tid);
        var r = a.exchange(pa, i, 64, 64L * i, 0, false);
        long bytes = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(r.replicasInAverage()).isEqualTo(3);
        if (i >= 5) {
          total += r.nanos();
          allocated = Math.max(allocated, bytes);
        }
      }
      System.out.printf("exchange of %d parameters (%.2f MB) folding 2 others: mean %.2f ms on the trainer thread,"
          + " at most %d bytes allocated%n", p, 4.0 * p / 1e6, total / 1e6 / n, allocated);
      // The producer's record objects, not a parameter-sized buffer (which would be 1 MB).
      assertThat(allocated).as("bytes allocated by one warmed-up exchange").isLessThan(64 << 10);
      // Every replica's θ stays a convex combination of the starting values 0, 1 and 2, uniform over the elements.
      assertThat(pa[0]).isBetween(0.5f, 2f);
      for (int i = 1; i < p; i += 997) assertThat(pa[i]).isEqualTo(pa[0]);
    }
  }
}
