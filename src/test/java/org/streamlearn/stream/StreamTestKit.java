package org.streamlearn.stream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.config.ModelConfig;

/** Helpers of the stream tests: configs from YAML, producing, reading topics, committed offsets. */
final class StreamTestKit {
  private StreamTestKit() {}

  static ModelConfig model(String yaml) {
    var c = ConfigLoader.parse(yaml, "test.yaml", Map.of());
    var mc = c.models().values().iterator().next();
    if (yaml.contains("checkpoint.dir")) return mc;
    // Not the working directory's data/checkpoints: a run must not restore an earlier run's state.
    try {
      var cc = mc.checkpoint();
      var dir = java.nio.file.Files.createTempDirectory("sl-ckpt-").resolve(mc.name());
      return new ModelConfig(mc.name(), mc.topics(), mc.group(), mc.input(), mc.label(), mc.layers(), mc.loss(),
          mc.optimizer(), mc.schedule(), mc.clip(), mc.batchSize(), mc.batchLingerMs(), mc.seed(),
          mc.divergenceLrFactor(), mc.divergenceBackupEverySteps(), mc.metricsWindow(), mc.publishEverySteps(), mc.publishEveryMs(),
          mc.queueMaxRecords(), mc.demo(),
          new org.streamlearn.config.CheckpointConfig(dir, cc.everySteps(), cc.everyMs(), cc.keep(), cc.fresh()),
          mc.scale(), mc.adaptation(), mc.trainThreads(), mc.tuneThreads());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void produce(String bootstrap, String topic, List<byte[]> values) throws Exception {
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (byte[] v : values) rs.add(new ProducerRecord<>(topic, v));
    produceRecords(bootstrap, rs);
  }

  static void produceRecords(String bootstrap, List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (var r : records) p.send(r);
      p.flush();
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int expectedAtLeast) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      var ends = c.endOffsets(parts);
      long until = System.currentTimeMillis() + 20_000;
      while (System.currentTimeMillis() < until) {
        for (var r : c.poll(Duration.ofMillis(200))) out.add(r);
        boolean atEnd = parts.stream().allMatch(tp -> c.position(tp) >= ends.get(tp));
        if (atEnd && out.size() >= expectedAtLeast) break;
      }
    }
    return out;
  }

  static long committed(String bootstrap, String group, String topic) throws Exception {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<TopicPartition, OffsetAndMetadata> m =
          a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      OffsetAndMetadata o = m.get(new TopicPartition(topic, 0));
      return o == null ? -1 : o.offset();
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
