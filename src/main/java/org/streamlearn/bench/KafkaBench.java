package org.streamlearn.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.stream.DemoProducer;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.KafkaClients;
import org.streamlearn.stream.ModelVerticle;

/**
 * Kafka-fed training against an embedded broker in this process (loopback): end-to-end examples/s
 * of the MLP 784-256-256-10 at batch 64 from pre-produced synthetic records in f32 and json, and
 * freshness of the digits model publishing every step at a steady 1,000 records/s, batch 16.
 */
public final class KafkaBench implements AutoCloseable {
  private final Path dir;
  private final EmbeddedKafka broker;
  private final String bootstrap;
  private final KafkaClients kafka;
  private final io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
  private int seq;

  public KafkaBench() throws Exception {
    dir = Files.createTempDirectory("streamlearn-bench");
    broker = new EmbeddedKafka(dir.resolve("kafka"));
    bootstrap = broker.start();
    kafka = KafkaClients.of(bootstrap);
  }

  private ModelVerticle runner(String modelYaml) {
    // Checkpoints in the bench's own temporary directory: never restore one of an earlier run.
    String yaml = "kafka: {bootstrap.servers: \"" + bootstrap + "\"}\nmodels:\n" + modelYaml
        + "    checkpoint.dir: \"" + dir.resolve("checkpoints").toString().replace("\\", "/") + "\"\n";
    AppConfig cfg = ConfigLoader.parse(yaml, "bench", Map.of());
    return new ModelVerticle(cfg.models().values().iterator().next(), kafka, 10_000);
  }

  static byte[] f32Record(float[] x, int label) {
    ByteBuffer b = ByteBuffer.allocate(4 * (x.length + 1)).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : x) b.putFloat(v);
    b.putFloat(label);
    return b.array();
  }

  static byte[] jsonRecord(float[] x, int label) {
    StringBuilder s = new StringBuilder(x.length * 8).append("{\"x\":[");
    for (int i = 0; i < x.length; i++) s.append(i == 0 ? "" : ",").append(x[i]);
    return s.append("],\"y\":").append(label).append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Produces warm + n synthetic records in the format once, then trains on them from Kafka
   * {@code reps} times, each time as a new model (its own consumer group, from the first offset);
   * returns each time's examples/s over the last n (the first warm records let C2 compile decoder
   * and kernels, and the broker's page cache fill).
   */
  public double[] endToEnd(String format, int warm, int n, int reps) throws Exception {
    String base = "e2e_" + format + "_" + (seq++), topic = base + ".train";
    SplittableRandom r = new SplittableRandom(17);
    List<byte[]> distinct = new ArrayList<>();
    for (int i = 0; i < 512; i++) {
      float[] x = new float[784];
      for (int j = 0; j < 784; j++) x[j] = (float) Math.round(r.nextDouble() * 1000) / 1000f;
      distinct.add(format.equals("f32") ? f32Record(x, i % 10) : jsonRecord(x, i % 10));
    }
    try (var p = new KafkaProducer<byte[], byte[]>(kafka.config(Map.of(ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20, ProducerConfig.COMPRESSION_TYPE_CONFIG, "none")),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < warm + n; i++) p.send(new ProducerRecord<>(topic, distinct.get(i % distinct.size())));
      p.flush();
    }
    double[] rates = new double[reps];
    for (int k = 0; k < reps; k++) rates[k] = trainFrom(base + "_" + k, topic, format, warm, n);
    return rates;
  }

  private double trainFrom(String model, String topic, String format, int warm, int n) throws Exception {
    ModelVerticle run = runner("  " + model + ":\n    topics: [" + topic + "]\n    format: " + format
        + "\n    features: 784\n    label: {type: class, classes: 10}\n"
        + "    layers: input(784) dense(256) relu dense(256) relu dense(10)\n"
        + "    optimizer: {name: sgd, lr: 0.01}\n    batch.size: 64\n    publish.every.steps: 1000000\n"
        + "    queue.max.records: 4096\n");
    String id = vertx.deployVerticle(run).await();
    try {
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (rowsTrained(run) < warm && System.nanoTime() < deadline) Thread.sleep(1);
      long t0 = System.nanoTime(), r0 = rowsTrained(run);
      while (rowsTrained(run) < warm + n && System.nanoTime() < deadline) Thread.sleep(1);
      return (rowsTrained(run) - r0) / ((System.nanoTime() - t0) * 1e-9);
    } finally {
      vertx.undeploy(id).await();
    }
  }

  /** Freshness percentiles (ms) of the digits model publishing every step, batch 16, at rate records/s. */
  public long[] freshness(double rate, int seconds, int lingerMs) throws Exception {
    String model = "fresh" + (seq++), topic = model + ".train";
    ConcurrentLinkedQueue<Long> samples = new ConcurrentLinkedQueue<>();
    ModelVerticle run = runner("  " + model + ":\n    topics: [" + topic + "]\n    format: csv\n    features: 64\n"
        + "    label: {type: class, classes: 10}\n    layers: input(64) dense(64) relu dense(10)\n"
        + "    optimizer: {name: adam, lr: 0.003}\n    batch.size: 16\n    batch.linger.ms: " + lingerMs + "\n"
        + "    publish.every.steps: 1\n");
    long[] warmUntil = {Long.MAX_VALUE};
    run.observe(new ModelObserver() {
      @Override public void freshness(long millis) {
        if (System.nanoTime() > warmUntil[0]) samples.add(millis);
      }
    });
    String id = vertx.deployVerticle(run).await();
    try {
      try (var demo = new DemoProducer(kafka, "digits", topic, rate, 5)) {
        warmUntil[0] = System.nanoTime() + 4_000_000_000L; // connect, join, compile
        Thread.sleep(4000L + seconds * 1000L);
      }
    } finally {
      vertx.undeploy(id).await();
    }
    long[] s = samples.stream().mapToLong(Long::longValue).sorted().toArray();
    if (s.length == 0) return new long[] {-1, -1, 0};
    return new long[] {s[s.length / 2], s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.99) - 1)], s.length};
  }

  private static long rowsTrained(ModelVerticle m) {
    return m.figures().training().rowsTrained();
  }

  @Override public void close() throws Exception {
    vertx.close().await();
    broker.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

}
