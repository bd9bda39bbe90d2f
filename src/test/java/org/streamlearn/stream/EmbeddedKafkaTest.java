package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One broker for the class; started, stopped and started again on the same directory. */
class EmbeddedKafkaTest {

  /** kafka.embedded.port: a free port is kept (controller on a different one); a taken one is replaced. */
  @Test
  void preferredPortIsKeptWhenFreeAndReplacedWhenTaken() throws Exception {
    try (var held = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int taken = held.getLocalPort();
      int[] p = EmbeddedKafka.portsPreferring(taken);
      assertThat(p[0]).as("broker port when %d is taken", taken).isNotEqualTo(taken).isPositive();
      assertThat(p[1]).isNotEqualTo(p[0]).isNotEqualTo(taken).isPositive();
    }
    int free = EmbeddedKafka.freePort();
    int[] p = EmbeddedKafka.portsPreferring(free);
    assertThat(p[0]).isEqualTo(free);
    assertThat(p[1]).isNotEqualTo(free).isPositive();
    int[] any = EmbeddedKafka.portsPreferring(0);
    assertThat(any[0]).isPositive().isNotEqualTo(any[1]);
  }

  @Test
  @Timeout(120)
  void compactedTopicSurvivesRestartOnSameDirectory(@TempDir Path dir) throws Exception {
    String topic = "embedded-test-weights";
    EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"));
    try {
      String bootstrap = kafka.start();
      assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");

      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)))).all().get();
        var cfg = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic))).all().get();
        assertThat(cfg.values().iterator().next().get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("compact");
      }
      try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
        for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(topic, "model-" + i, "v" + i)).get();
      }
      assertThat(consumeAll(bootstrap, topic, "group-1", 3)).containsExactly("model-0=v0", "model-1=v1", "model-2=v2");

      kafka.close();
      assertThat(kafka.running()).isFalse();

      String again = kafka.start();
      assertThat(again).as("restart reuses the ports, so clients can reconnect").isEqualTo(bootstrap);
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again))) {
        assertThat(admin.listTopics().names().get()).contains(topic);
      }
      assertThat(consumeAll(again, topic, "group-2", 3)).containsExactly("model-0=v0", "model-1=v1", "model-2=v2");
    } finally {
      kafka.close();
    }
    // As after a process restart: a new instance on the same directory (new ports) keeps the data
    // and the committed offsets of group-1.
    try (EmbeddedKafka second = new EmbeddedKafka(dir.resolve("kafka"))) {
      String bootstrap = second.start();
      assertThat(consumeAll(bootstrap, topic, "group-3", 3)).containsExactly("model-0=v0", "model-1=v1", "model-2=v2");
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        var offsets = admin.listConsumerGroupOffsets("group-1").partitionsToOffsetAndMetadata().get();
        assertThat(offsets.get(new org.apache.kafka.common.TopicPartition(topic, 0)).offset()).isEqualTo(3);
      }
    }
  }

  /** Reads {@code expected} records from the beginning with a consumer group, committing offsets. */
  private static List<String> consumeAll(String bootstrap, String topic, String group, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> out = new ArrayList<>();
    try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(Set.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) out.add(r.key() + "=" + r.value());
      }
      consumer.commitSync();
    }
    return out;
  }
}
