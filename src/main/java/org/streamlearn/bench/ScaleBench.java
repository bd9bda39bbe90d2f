package org.streamlearn.bench;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamlearn.stream.EmbeddedKafka;

/**
 * {@code bench --only scale}: group throughput of 1, 2 and 3 instances of one model, each a child
 * JVM running the service (the main class, by name: nothing outside {@code app} depends on it),
 * against an embedded broker in this process, on a 6-partition topic of synthetic f32 records for
 * the MLP 784-256-256-10 (SGD, batch 64), exchanging parameters through {@code <model>.sync}. The
 * instances first join the group (partitions split) and train a warm-up share; then N records are
 * produced and the time until the group has trained them all gives examples/s. Exchange latency and
 * the replicas' divergence come from their own meters. All JVMs and the broker share this
 * machine's cores: the figures say what the cores allow, not what separate machines would do.
 */
final class ScaleBench implements AutoCloseable {
  static final String LAYERS = "input(784) dense(256) relu dense(256) relu dense(10)";
  static final int PARTITIONS = 6, FEATURES = 784;
  private static final Pattern PORT = Pattern.compile("HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
  private final Path dir;
  private final EmbeddedKafka broker;
  private final String bootstrap;
  private final HttpClient http = HttpClient.newHttpClient();

  /** What one group size measured. */
  record Result(int instances, double examplesPerSecond, double exchangeMeanMs, long exchanges,
      double maxRelativeDivergence, int[] partitions) {}

  ScaleBench() throws Exception {
    dir = Files.createTempDirectory("streamlearn-scale-bench");
    broker = new EmbeddedKafka(dir.resolve("kafka"));
    bootstrap = broker.start();
  }

  Result measure(int instances, int warm, int n, long syncEverySteps, long syncEveryMs) throws Exception {
    String model = "scale" + instances, topic = model + ".train";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    List<Process> children = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int r = 0; r < instances; r++) {
        Path cfg = dir.resolve(model + "-r" + r + ".yaml"), log = dir.resolve(model + "-r" + r + ".log");
        Files.writeString(cfg, config(model, topic, r, syncEverySteps, syncEveryMs));
        children.add(start(cfg, log));
        logs.add(log);
      }
      List<String> bases = new ArrayList<>();
      for (int r = 0; r < instances; r++) bases.add(base(children.get(r), logs.get(r), model));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      int[] owned = new int[instances];
      while (true) { // every instance in the group with its share of the partitions
        int sum = 0, min = Integer.MAX_VALUE;
        for (int r = 0; r < instances; r++) {
          owned[r] = (int) number(get(bases.get(r)), "\"partitions_owned\":(\\d+)");
          sum += owned[r];
          min = Math.min(min, owned[r]);
        }
        if (sum == PARTITIONS && min > 0) break;
        check(children, logs, until, "the group to form");
        Thread.sleep(200);
      }
      List<byte[]> distinct = records();
      produce(topic, distinct, warm);
      while (trained(bases, model) < warm) {
        check(children, logs, until, "the warm-up records to be trained");
        Thread.sleep(50);
      }
      long t0 = System.nanoTime();
      double e0 = trained(bases, model), maxRel = 0;
      produce(topic, distinct, n);
      until = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
      double e;
      while ((e = trained(bases, model)) < e0 + n) {
        check(children, logs, until, "the records to be trained");
        for (String b : bases) maxRel = Math.max(maxRel, number(get(b), "\"relative_divergence\":([0-9.Ee-]+)"));
        Thread.sleep(100); // scraping is not free: it shares the cores with the instances
      }
      double rate = (e - e0) / ((System.nanoTime() - t0) / 1e9);
      double sum = 0, count = 0;
      for (String b : bases) {
        String m = get(b.substring(0, b.indexOf("/models/")) + "/metrics");
        sum += number(m, "streamlearn_group_exchange_latency_seconds_sum\\{[^}]*model=\"" + model + "\"[^}]*} ([0-9.Ee+-]+)");
        count += number(m, "streamlearn_group_exchange_latency_seconds_count\\{[^}]*model=\"" + model + "\"[^}]*} ([0-9.Ee+-]+)");
      }
      return new Result(instances, rate, count > 0 ? 1000 * sum / count : Double.NaN, (long) count, maxRel, owned);
    } finally {
      for (Process p : children) p.toHandle().destroy(); // SIGTERM: graceful
      for (Process p : children) if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS); // frees the broker's disk
      } catch (Exception ignored) {
        // a leftover topic in a temporary directory
      }
    }
  }

  private String config(String model, String topic, int r, long syncEverySteps, long syncEveryMs) {
    return """
        http.port: 0
        demo.enabled: false
        progress.interval.ms: 0
        kafka.properties.session.timeout.ms: 6000
        kafka.properties.heartbeat.interval.ms: 1000
        models:
          %s:
            topics: [%s]
            format: f32
            features: %d
            label: {type: class, classes: 10}
            layers: %s
            optimizer: {name: sgd, lr: 0.01}
            batch.size: 64
            publish.every.steps: 1000000
            publish.every.ms: 5000
            queue.max.records: 4096
            checkpoint.dir: "%s"
            checkpoint.every.steps: 0
            checkpoint.every.ms: 2000
            replica.id: r%d
            sync.every.steps: %d
            sync.every.ms: %d
        """.formatted(model, topic, FEATURES, LAYERS, dir.resolve("ckpt-" + model + "-r" + r).toString().replace("\\", "/"),
        r, syncEverySteps, syncEveryMs);
  }

  private Process start(Path cfg, Path log) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
      if (a.startsWith("--add-modules") || a.startsWith("-XX:CompileCommand") || a.startsWith("--enable-native-access")
          || a.startsWith("--sun-misc")) cmd.add(a);
    if (cmd.stream().noneMatch(a -> a.contains("jdk.incubator.vector"))) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
    cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), "org.streamlearn.app.Main"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("STREAMLEARN_CONFIG", cfg.toString());
    pb.environment().put("STREAMLEARN_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
    return pb.start();
  }

  private static String base(Process p, Path log, String model) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      Matcher m = PORT.matcher(Files.readString(log));
      if (m.find()) return "http://127.0.0.1:" + m.group(1) + "/models/" + model;
      if (!p.isAlive() || System.nanoTime() > until)
        throw new IllegalStateException("instance did not start; its output:\n" + Files.readString(log));
      Thread.sleep(100);
    }
  }

  private static void check(List<Process> ps, List<Path> logs, long until, String what) throws Exception {
    for (int i = 0; i < ps.size(); i++)
      if (!ps.get(i).isAlive()) throw new IllegalStateException("instance " + i + " died; output:\n" + Files.readString(logs.get(i)));
    if (System.nanoTime() > until) throw new IllegalStateException("timed out waiting for " + what);
  }

  private String get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Sum over the instances of streamlearn_train_examples_total. */
  private double trained(List<String> bases, String model) throws Exception {
    double s = 0;
    for (String b : bases)
      s += number(get(b.substring(0, b.indexOf("/models/")) + "/metrics"),
          "streamlearn_train_examples_total\\{model=\"" + model + "\"} ([0-9.Ee+-]+)");
    return s;
  }

  private static double number(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static List<byte[]> records() {
    SplittableRandom r = new SplittableRandom(17);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < 512; i++) {
      float[] x = new float[FEATURES];
      for (int j = 0; j < FEATURES; j++) x[j] = (float) Math.round(r.nextDouble() * 1000) / 1000f;
      out.add(KafkaBench.f32Record(x, i % 10));
    }
    return out;
  }

  private void produce(String topic, List<byte[]> distinct, int n) {
    try (var p = new KafkaProducer<byte[], byte[]>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) p.send(new ProducerRecord<>(topic, i % PARTITIONS, null, distinct.get(i % distinct.size())));
      p.flush();
    }
  }

  /** One line; {@code one}: examples/s of one instance without exchange. */
  static String format(Result r, double one) {
    String ex = r.exchanges() == 0 ? "no exchange" : String.format(Locale.ROOT,
        "exchange mean %.1f ms (%d exchanges)  max ‖θ−θ_avg‖/‖θ_avg‖ %.4f", r.exchangeMeanMs(), r.exchanges(),
        r.maxRelativeDivergence());
    return String.format(Locale.ROOT, "  %d instance%s  %8.0f ex/s  (%.2f× one alone)  partitions %-9s  %s",
        r.instances(), r.instances() == 1 ? " " : "s", r.examplesPerSecond(), r.examplesPerSecond() / one,
        java.util.Arrays.toString(r.partitions()), ex);
  }

  @Override public void close() throws Exception {
    broker.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
