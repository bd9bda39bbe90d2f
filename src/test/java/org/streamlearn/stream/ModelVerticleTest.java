package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.ascii;
import static org.streamlearn.stream.StreamTestKit.committed;
import static org.streamlearn.stream.StreamTestKit.header;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;
import static org.streamlearn.stream.StreamTestKit.produceRecords;
import static org.streamlearn.stream.StreamTestKit.readAll;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.codec.DecodeResult.Reason;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.data.Datasets;
import org.streamlearn.data.HeldOut;
import org.streamlearn.metrics.StreamlearnMeters;
import org.streamlearn.model.Status;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;

/**
 * The stream side end to end against Apache Kafka's broker on loopback (one for the class); each
 * test has its own model name, topics and group. Seeds are fixed.
 */
@Timeout(120)
class ModelVerticleTest extends BrokerPerClass {
  static final long SPLIT_SEED = 20261122L;

  static String digitsYaml(String name, String extra) {
    return digitsYaml(name, 20, extra);
  }

  static String digitsYaml(String name, long lingerMs, String extra) {
    return """
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: input(64) dense(64) relu dense(10)
            optimizer: {name: adam, lr: 0.003}
            batch.size: 32
            batch.linger.ms: %d
            seed: 7
        %s""".formatted(name, name, lingerMs, extra);
  }

  /** Scale-out: the trainer's lease is half of session.timeout.ms − heartbeat.interval.ms. */
  @Test
  void theTrainersLeaseFollowsTheConsumersSessionTimeout() {
    assertThat(RunningModel.leaseLength(KafkaClients.of("x:9092"))).isEqualTo(21_000); // Kafka's 45 s and 3 s
    var k = new KafkaClients("x:9092", Map.of("session.timeout.ms", "2000", "heartbeat.interval.ms", "500"), 1, (short) 1);
    assertThat(RunningModel.leaseLength(k)).isEqualTo(750);
    var bad = new KafkaClients("x:9092", Map.of("session.timeout.ms", "2s"), 1, (short) 1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunningModel.leaseLength(bad))
        .hasMessageContaining("kafka.properties.session.timeout.ms");
  }

  @Test
  void digitsStreamPublishesIncreasingVersionsThatReach90PercentHeldOut() throws Exception {
    String name = "digits-e2e";
    var mc = model(digitsYaml(name, "    publish.every.steps: 25\n    publish.every.ms: 0\n"));
    Datasets.Digits d = Datasets.digits();
    var split = HeldOut.digits(d, SPLIT_SEED);
    List<Integer> train = split.train(), test = split.test();
    List<byte[]> lines = new ArrayList<>();
    Random order = new Random(11);
    for (int e = 0; e < 5; e++) {
      Collections.shuffle(train, order);
      for (int i : train) lines.add(DemoProducer.digitsLine(d.pixels()[i], d.labels()[i]));
    }
    var registry = StreamlearnMeters.newRegistry();
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000)) {
      StreamlearnMeters.bind(registry, runner.verticle());
      runner.onPublish(p -> seen.add(p.version()));
      runner.start();
      long t0 = System.nanoTime();
      produce(bootstrap, name + ".train", lines);
      await().atMost(Duration.ofSeconds(60)).until(() -> runner.rowsTrained() == lines.size());
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf("digits: %d records produced and trained in %.2f s (%.0f/s), %d versions%n",
          lines.size(), secs, lines.size() / secs, seen.size());
      await().atMost(Duration.ofSeconds(10)).until(() -> runner.status().ready());
      assertThat(runner.status().problem()).isNull();

      String scrape = registry.scrape();
      assertThat(scrape).contains("streamlearn_train_examples_total{model=\"digits-e2e\"} " + lines.size() + ".0")
          .contains("streamlearn_train_steps_total{model=\"digits-e2e\"}")
          .contains("streamlearn_prequential_accuracy{average=\"window\",model=\"digits-e2e\"}")
          .contains("streamlearn_train_step_latency_seconds_bucket{model=\"digits-e2e\"")
          .contains("streamlearn_weights_publish_latency_seconds_count{model=\"digits-e2e\"}")
          .contains("streamlearn_weights_freshness_seconds{model=\"digits-e2e\",quantile=\"0.99\"}")
          .contains("streamlearn_consumer_lag{model=\"digits-e2e\",partition=\"digits-e2e.train-0\"}")
          .contains("streamlearn_ingest_dead_lettered_total{model=\"digits-e2e\",reason=\"malformed\"} 0.0")
          .contains("streamlearn_ingest_paused{model=\"digits-e2e\"}")
          .contains("streamlearn_weights_version{model=\"digits-e2e\"}")
          .contains("jvm_memory_used_bytes");
    }
    assertThat(seen).isSorted().doesNotHaveDuplicates();

    List<ConsumerRecord<byte[], byte[]>> weights = readAll(bootstrap, Topics.weights(name), seen.size());
    List<Long> versions = new ArrayList<>();
    SafeTensors.Contents last = null;
    for (var r : weights) {
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(name);
      last = SafeTensors.read(r.value());
      versions.add(Long.parseLong(last.metadata().get(SafeTensors.META_VERSION)));
    }
    assertThat(versions).as("versions on %s", Topics.weights(name)).hasSizeGreaterThan(5).isSorted()
        .doesNotHaveDuplicates().isEqualTo(seen);
    Map<String, String> meta = last.metadata();
    assertThat(meta).containsEntry(SafeTensors.META_MODEL, name)
        .containsEntry(SafeTensors.META_SPEC, "input(64) dense(64) relu dense(10)")
        .containsEntry(SafeTensors.META_OFFSETS, "{\"digits-e2e.train-0\":" + lines.size() + "}");
    assertThat(meta.get(SafeTensors.META_CREATED)).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    var metrics = new ObjectMapper().readTree(meta.get(SafeTensors.META_METRICS));
    assertThat(metrics.get("accuracy_window").asDouble()).isGreaterThan(0.8);

    Model m = Model.of(ModelSpec.parse(meta.get(SafeTensors.META_SPEC)));
    float[] params = new float[m.paramCount()];
    for (var t : m.tensors()) System.arraycopy(last.tensor(t.name()).data(), 0, params, t.offset(), t.numel());
    double acc = HeldOut.accuracy(meta.get(SafeTensors.META_SPEC), params, WeightsFiles.scaling(last), d, test);
    System.out.printf("digits: held-out accuracy of the last published version %d: %.4f%n", versions.getLast(), acc);
    assertThat(acc).as("held-out accuracy of version %d", versions.getLast()).isGreaterThanOrEqualTo(0.9);
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(lines.size());
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicUnchangedWhileTrainingGoesOn() throws Exception {
    String name = "dlq-e2e";
    var mc = model("""
        models:
          dlq-e2e:
            topics: [dlq-e2e.train]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(8) relu dense(3)
            batch.size: 8
            batch.linger.ms: 10
        """);
    Map<Reason, String> bad = new EnumMap<>(Reason.class);
    bad.put(Reason.MALFORMED, "1,x,3,4,1");
    bad.put(Reason.WRONG_LENGTH, "1,2,3,1");
    bad.put(Reason.NON_FINITE, "1,NaN,3,4,2");
    bad.put(Reason.MISSING_LABEL, "1,2,3,4,");
    bad.put(Reason.LABEL_OUT_OF_RANGE, "1,2,3,4,7");
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    Random rnd = new Random(3);
    int good = 0, badCount = 0;
    for (int i = 0; i < 400; i++) {
      if (i % 20 == 7) {
        Reason r = Reason.values()[(i / 20) % Reason.values().length];
        var rec = new ProducerRecord<>(name + ".train", ascii("key-" + i), ascii(bad.get(r)));
        rec.headers().add("origin", ascii("test-" + i));
        records.add(rec);
        badCount++;
      } else {
        int y = rnd.nextInt(3);
        records.add(new ProducerRecord<>(name + ".train", ascii("key-" + i),
            ascii(y + "," + rnd.nextFloat() + "," + (y * 0.5f) + "," + rnd.nextFloat() + "," + y)));
        good++;
      }
    }
    int total = records.size(), goodRecords = good, deadRecords = badCount;
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produceRecords(bootstrap, records);
      await().atMost(Duration.ofSeconds(30)).until(() -> runner.rowsTrained() == goodRecords
          && runner.deadLetteredTotal() == deadRecords);
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(bootstrap, mc.group(), name + ".train") == total);
      for (Reason r : Reason.values()) assertThat(runner.deadLettered(r)).as("dead-lettered %s", r).isEqualTo(4);
      assertThat(runner.rowsTrained() + runner.deadLetteredTotal()).isEqualTo(total);
      assertThat(runner.recordsIn()).isEqualTo(total);
    }
    List<ConsumerRecord<byte[], byte[]>> dlq = readAll(bootstrap, Topics.deadLetters(name), badCount);
    assertThat(dlq).hasSize(badCount);
    for (var r : dlq) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      int i = Integer.parseInt(key.substring(4));
      var original = records.get(i);
      assertThat(r.value()).as("value of %s unchanged", key).isEqualTo(original.value());
      Reason reason = Reason.valueOf(header(r, "dlq.reason"));
      assertThat(new String(r.value(), StandardCharsets.US_ASCII)).isEqualTo(bad.get(reason));
      assertThat(header(r, "dlq.detail")).isNotBlank();
      assertThat(header(r, "dlq.topic")).isEqualTo(name + ".train");
      assertThat(header(r, "dlq.partition")).isEqualTo("0");
      assertThat(header(r, "dlq.offset")).isEqualTo(Integer.toString(i));
      assertThat(header(r, "dlq.timestamp")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
      assertThat(header(r, "origin")).as("original headers kept").isEqualTo("test-" + i);
    }
  }

  @Test
  void backpressurePausesAndResumesWithinTheQueueBoundAndLosesNothing() throws Exception {
    String name = "bp-e2e";
    // A deliberately slow learner (batch 1, two 384-wide layers) fed much faster than it trains.
    var mc = model("""
        models:
          bp-e2e:
            topics: [bp-e2e.train]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: input(64) dense(384) relu dense(384) relu dense(10)
            batch.size: 1
            queue.max.records: 64
            publish.every.ms: 0
            publish.every.steps: 0
        """);
    List<byte[]> lines = DemoProducer.digitsLines().subList(0, 1500);
    List<Boolean> pausedSeen = new CopyOnWriteArrayList<>();
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", lines);
      await().atMost(Duration.ofSeconds(50)).pollInterval(Duration.ofMillis(5)).until(() -> {
        Status s = runner.status();
        if (s.paused()) pausedSeen.add(true);
        assertThat(runner.queueDepth()).isLessThanOrEqualTo(64);
        return runner.rowsTrained() == lines.size();
      });
      System.out.printf("backpressure: %d pauses, deepest queue %d of %d%n", runner.pauses(), runner.maxQueueDepth(),
          runner.queueCapacity());
      assertThat(runner.pauses()).as("times paused").isPositive();
      assertThat(pausedSeen).as("Status showed paused at some point").isNotEmpty();
      assertThat(runner.maxQueueDepth()).isLessThanOrEqualTo(64);
      await().atMost(Duration.ofSeconds(5)).until(() -> !runner.paused());
      assertThat(runner.recordsIn()).isEqualTo(lines.size());
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(lines.size());
  }

  @Test
  void gracefulShutdownPublishesALastVersionAndARestartContinuesFromCommittedOffsets() throws Exception {
    String name = "restart-e2e";
    // No publishing by steps or time: only the graceful shutdown publishes.
    var mc = model(digitsYaml(name, 60_000, "    publish.every.steps: 0\n    publish.every.ms: 0\n"));
    List<byte[]> lines = DemoProducer.digitsLines();
    List<byte[]> first = lines.subList(0, 1000), second = lines.subList(1000, 1500);
    long v1;
    try (var r1 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", first);
      // 1000 = 31 full batches + 8 rows that wait (linger 60 s) until the shutdown trains them.
      await().atMost(Duration.ofSeconds(30)).until(() -> r1.recordsIn() == 1000 && r1.queueDepth() == 0);
      await().atMost(Duration.ofSeconds(10)).until(() -> r1.rowsTrained() == 992);
      assertThat(r1.latest()).as("nothing published before shutdown").isNull();
      r1.close();
      assertThat(r1.rowsTrained()).as("the batch in flight was trained on close").isEqualTo(1000);
      v1 = r1.steps();
      assertThat(r1.latest().version()).isEqualTo(v1).isEqualTo(32);
      assertThat(r1.status().ready()).isFalse();
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(1000);
    var w = readAll(bootstrap, Topics.weights(name), 1);
    assertThat(w).hasSize(1);
    var meta = SafeTensors.read(w.getFirst().value()).metadata();
    assertThat(meta).containsEntry(SafeTensors.META_VERSION, Long.toString(v1))
        .containsEntry(SafeTensors.META_OFFSETS, "{\"restart-e2e.train-0\":1000}");

    produce(bootstrap, name + ".train", second);
    try (var r2 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> r2.recordsIn() >= 500 && r2.queueDepth() == 0);
      r2.close();
      assertThat(r2.recordsIn()).as("only the records after the committed offset").isEqualTo(500);
      assertThat(r2.rowsTrained()).isEqualTo(500);
      assertThat(r2.latest().version()).as("resumed from version %d", v1).isEqualTo(v1 + 16);
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(1500);
    var versions = readAll(bootstrap, Topics.weights(name), 2).stream()
        .map(r -> {
          try {
            return Long.parseLong(SafeTensors.read(r.value()).metadata().get(SafeTensors.META_VERSION));
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        }).toList();
    assertThat(versions).containsExactly(v1, v1 + 16);
  }
}
