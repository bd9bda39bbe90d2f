package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
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
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.data.Datasets;
import org.streamlearn.data.HeldOut;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.nn.Model;
import org.streamlearn.stream.DemoProducer;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.OfflineReplay;
import org.streamlearn.stream.TrainingAudit;

/**
 * Issue 7's proof: three instances of one model as separate JVMs ({@link ChildJvm})
 * against one broker, on a 6-partition digits topic, exchanging parameters through
 * {@code scale.sync}. They split the partitions two each; the publisher (owner of partition 0) is
 * SIGKILLed while records stream in; the two survivors take its partitions from its committed
 * (checkpointed) offsets, one of them is elected publisher, and training goes on to the end. Then:
 * the replicas stayed within a stated distance of one another while training and agree once idle;
 * the group's model on {@code scale.weights} is within one point of held-out accuracy of a single
 * learner trained on the same records; the version line only increases; and the three training
 * audits show every record trained, twice only where the killed instance trained it at or after
 * its last commit (the tail it had not yet handed over).
 */
class ScaleOutTest {
  static final long SEED = 20261123L;
  static final String MODEL = "scale", TOPIC = "scale.train";
  static final int PARTITIONS = 6, EPOCHS = 24, REPLICAS = 3;
  static final String LAYERS = "input(64) dense(64) relu dense(10)";
  /**
   * Bounds on ‖θ_replica − θ_avg‖ / ‖θ_avg‖ as the replicas report it at their exchanges while
   * training (sampled every 100–200 ms): the median of the samples, and the largest. The largest
   * read 0.046–0.13 in most of 15 fresh-clone CI runs on two cores shared by three child JVMs, and
   * 0.21 and 0.251 in two: a replica that the scheduler left behind is far from the others' average
   * at its next exchange, the more so the longer it waited. The median (0.009–0.010 alone and under
   * a CPU hog, 0.019 in a fresh-clone CI) tells broken averaging, every exchange far off, from such a
   * spell.
   */
  static final double MEDIAN_RELATIVE_DIVERGENCE = 0.1, MAX_RELATIVE_DIVERGENCE = 0.4;
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  @Timeout(300)
  void threeJvmsTrainOneModelAndSurviveAKill(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    Random rnd = new Random(SEED);
    // The data: 80% of the digits for training, EPOCHS passes in seeded orders, round-robin over the partitions.
    Datasets.Digits d = Datasets.digits();
    var split = HeldOut.digits(d, SEED + 1);
    List<Integer> train = split.train(), test = split.test();
    List<byte[]> records = new ArrayList<>();
    Random order = new Random(SEED + 2);
    for (int e = 0; e < EPOCHS; e++) {
      Collections.shuffle(train, order);
      for (int i : train) records.add(DemoProducer.digitsLine(d.pixels()[i], d.labels()[i]));
    }
    int n = records.size();

    List<Path> configs = new ArrayList<>();
    for (int r = 0; r < REPLICAS; r++) configs.add(config(dir, r));
    ModelConfig mc = ConfigLoader.load(configs.getFirst(), Map.of()).models().get(MODEL);

    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("group.min.session.timeout.ms", "1000"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      List<ChildJvm> children = new ArrayList<>();
      int victim;
      List<String> bases = new ArrayList<>();
      HttpClient http = HttpClient.newHttpClient();
      try {
        for (Path c : configs) children.add(ChildJvm.service("service", c, bootstrap));
        for (var c : children) bases.add(base(c));
        System.out.printf("scale-out: 3 children serve HTTP at %.1f s%n", secs(t0));
        // All three in the group, two partitions each, exactly one publisher.
        awaitAll(children, 120, () -> {
          for (String b : bases) if (owned(http, b) != 2) return false;
          return true;
        });
        int publisher = -1;
        for (int r = 0; r < REPLICAS; r++)
          if (scaleOut(http, bases.get(r)).get("publisher").asBoolean()) {
            assertThat(publisher).as("a single publisher").isEqualTo(-1);
            publisher = r;
          }
        assertThat(publisher).as("a publisher").isNotEqualTo(-1);
        System.out.printf("scale-out: 3 replicas ready at %.1f s, r%d publishes%n", secs(t0), publisher);

        // Stream the records at ~2000/s (some 17 s); kill the publisher once it has checkpointed a
        // tenth of its share, at a seeded random moment after that.
        Thread producer = Thread.ofPlatform().daemon(true).start(() -> produce(bootstrap, records, 2000));
        victim = publisher;
        Checkpoints victimCkpts = new Checkpoints(dir.resolve("ckpt-r" + victim).resolve(MODEL), MODEL, 3);
        Divergences div = new Divergences(t0);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (examplesIn(victimCkpts) < n / 30) {
          assertThat(System.nanoTime()).as("victim checkpointed progress; output:%n%s", children.get(victim).output())
              .isLessThan(until);
          div.add(maxDivergence(http, bases));
          Thread.sleep(100);
        }
        Thread.sleep(100 + rnd.nextInt(700));
        children.get(victim).p().toHandle().destroyForcibly(); // SIGKILL
        assertThat(children.get(victim).p().waitFor(20, TimeUnit.SECONDS)).isTrue();
        System.out.printf("scale-out: SIGKILLed r%d at %.1f s, its newest checkpoint holds %d examples%n", victim,
            secs(t0), examplesIn(victimCkpts));
        assertThat(allCommitted(bootstrap, n)).as("killed while records were left to train").isFalse();
        List<Integer> survivors = new ArrayList<>();
        for (int r = 0; r < REPLICAS; r++) if (r != victim) survivors.add(r);

        // The survivors take its partitions over (three each) and one becomes the publisher.
        awaitAll(children, 60, () -> {
          for (int r : survivors) if (owned(http, bases.get(r)) != 3) return false;
          return true;
        });
        // publisher and partitions_owned come from one snapshot of the consumer's figures: once both
        // survivors own three partitions, the one with the lead partition says it publishes.
        int pubs = 0;
        for (int r : survivors) if (scaleOut(http, bases.get(r)).get("publisher").asBoolean()) pubs++;
        assertThat(pubs).as("one survivor publishes").isEqualTo(1);
        System.out.printf("scale-out: survivors own 3 partitions each at %.1f s%n", secs(t0));

        // Until every record is covered by the group's commits (checkpointed by its trainer).
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!allCommitted(bootstrap, n)) {
          for (int r : survivors)
            assertThat(children.get(r).p().isAlive()).as("r%d alive; output:%n%s", r, children.get(r).output()).isTrue();
          assertThat(System.nanoTime()).as("all records committed in time").isLessThan(until);
          div.add(maxDivergence(http, survivors.stream().map(bases::get).toList()));
          Thread.sleep(200);
        }
        producer.join(10_000);
        System.out.printf("scale-out: all %d records committed at %.1f s; relative divergence %s%n", n, secs(t0), div);
        assertThat(div.median()).as("median ‖θ_replica − θ_avg‖/‖θ_avg‖ at exchanges while training: %s", div)
            .isPositive().isLessThan(MEDIAN_RELATIVE_DIVERGENCE);
        assertThat(div.max()).as("largest ‖θ_replica − θ_avg‖/‖θ_avg‖ at exchanges while training: %s", div)
            .isLessThan(MAX_RELATIVE_DIVERGENCE);

        // Idle, the survivors converge to one model (plain averaging of idle replicas).
        float[][] served = new float[2][];
        double dist = Double.MAX_VALUE;
        until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (dist > 1e-4 && System.nanoTime() < until) {
          Thread.sleep(500);
          for (int k = 0; k < 2; k++) served[k] = weights(http, bases.get(survivors.get(k)));
          dist = relativeDistance(served[0], served[1]);
        }
        System.out.printf("scale-out: idle survivors' relative distance %.2e%n", dist);
        assertThat(dist).as("‖θ_a − θ_b‖/‖θ_a‖ of the idle survivors").isLessThan(1e-4);

        for (int r : survivors) children.get(r).p().toHandle().destroy(); // SIGTERM: graceful
        for (int r : survivors)
          assertThat(children.get(r).p().waitFor(30, TimeUnit.SECONDS)).as("r%d stopped", r).isTrue();
        // Each replica's group events, to read an audit failure by.
        for (int r = 0; r < REPLICAS; r++)
          for (String l : children.get(r).out())
            if (l.contains("GroupMembership") || l.contains("lost partitions") || l.contains("no news of group")
                || l.contains("answered") || l.contains("hand-over"))
              System.out.printf("scale-out: r%d said: %s%n", r, l);
      } finally {
        for (var c : children) c.close();
      }

      // The group's model: the newest version on scale.weights; versions only increase across publishers.
      List<Long> versions = new ArrayList<>();
      var groupFile = lastWeightsFile(bootstrap, versions);
      float[] group = flat(groupFile);
      assertThat(versions).hasSizeGreaterThan(5).isSorted().doesNotHaveDuplicates();
      OnlineLearner single = OfflineReplay.replay(mc, records);
      single.flush();
      double accGroup = HeldOut.accuracy(LAYERS, group, scaling(groupFile), d, test),
          accSingle = HeldOut.accuracy(LAYERS, single.liveParams(), single.scaling(), d, test);
      System.out.printf("scale-out: held-out accuracy: group %.4f (version %d), single instance %.4f%n", accGroup,
          versions.getLast(), accSingle);
      assertThat(accGroup).as("group within 1 point of a single instance").isGreaterThanOrEqualTo(accSingle - 0.01);

      // The audits: every record trained; twice only in the killed instance's tail.
      audit(dir, n, victim);
    }
    System.out.printf("scale-out test: %.1f s%n", secs(t0));
  }

  /**
   * Reads the three audits. Each record id (partition@offset) must be in some replica's state:
   * a survivor's (graceful stop: everything it trained) or the killed one's up to its last durable
   * checkpoint. A record in two states is allowed only if one is the killed instance's and
   * its offset is at or after the killed instance's last commit of that partition; the killed
   * instance's lines after its last checkpoint died with it (the survivors trained them again). On a
   * loaded machine a survivor's session may expire: a record of a partition it lost is allowed in its
   * state and the next owner's when its audit has it in that tail ({@link TrainingAudit.Read#lostTail}).
   */
  static void audit(Path dir, int n, int victim) throws Exception {
    Map<String, List<String>> holders = new HashMap<>();
    // Per replica, the records of partitions its expired session lost that it holds past its last commit.
    Map<String, java.util.Set<String>> lostTails = new HashMap<>();
    TrainingAudit.Read killed = null;
    StringBuilder history = new StringBuilder(); // what a failure needs to be read by: losses and last commits
    for (int r = 0; r < REPLICAS; r++) {
      var a = TrainingAudit.read(dir.resolve("r" + r + ".audit"));
      history.append(String.format("%n  %s: partitions lost %s (%d queued rows dropped), last commits %s", a.replica(),
          a.partitionsLost(), a.rowsDropped(), a.commits()));
      assertThat(a.runs()).isEqualTo(1);
      List<TrainingAudit.Entry> held = a.effective();
      if (r == victim) {
        killed = a;
        held = held.subList(0, held.size() - a.afterLastCheckpoint().size());
      } else {
        assertThat(a.afterLastCheckpoint()).as("r%d stopped gracefully: all it trained is checkpointed", r).isEmpty();
      }
      for (var e : held) holders.computeIfAbsent(e.id(), k -> new ArrayList<>()).add(a.replica());
      lostTails.put(a.replica(), a.lostTail().stream().map(TrainingAudit.Entry::id)
          .collect(java.util.stream.Collectors.toSet()));
    }
    int killedTail = killed.afterLastCheckpoint().size();
    String killedReplica = killed.replica();
    List<String> missing = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++)
      for (long o = 0; o < partitionSize(n, p); o++) if (!holders.containsKey(TOPIC + "-" + p + "@" + o)) missing.add(p + "@" + o);
    assertThat(missing).as("records in no replica's state").isEmpty();
    assertThat(holders).hasSize(n);
    int twice = 0, expired = 0;
    List<String> bad = new ArrayList<>();
    for (var e : holders.entrySet()) {
      if (e.getValue().size() == 1) continue;
      twice++;
      String tp = e.getKey().substring(0, e.getKey().indexOf('@'));
      long off = Long.parseLong(e.getKey().substring(e.getKey().indexOf('@') + 1));
      boolean allowed = e.getValue().size() == 2 && e.getValue().contains(killed.replica())
          && off >= killed.commits().getOrDefault(tp, 0L);
      if (!allowed && e.getValue().size() == 2 // a survivor's session expired (a loaded machine): its tail of a lost partition
          && e.getValue().stream().anyMatch(r -> !r.equals(killedReplica) && lostTails.get(r).contains(e.getKey()))) {
        allowed = true;
        expired++;
      }
      if (!allowed) bad.add(e.getKey() + " in " + e.getValue());
    }
    System.out.printf("scale-out audit: %d records, %d in two states (the killed replica's durably checkpointed but"
        + " uncommitted tail; %d of them a survivor's uncommitted tail of a partition its expired session lost), %d"
        + " trained by it after its last durable checkpoint and again by a survivor%n", n, twice, expired, killedTail);
    assertThat(bad.size()).as("records trained twice outside the killed instance's uncommitted tail: %d, the first"
        + " %s; killed r%d; per replica:%s", bad.size(), bad.stream().sorted().limit(12).toList(), victim, history)
        .isZero();
  }

  static long partitionSize(int n, int p) {
    return partitionSize(n, PARTITIONS, p);
  }

  static long partitionSize(int n, int partitions, int p) {
    return n / partitions + (p < n % partitions ? 1 : 0);
  }

  static Path config(Path dir, int r) throws Exception {
    return config(dir, r, MODEL, TOPIC, LAYERS, "", "");
  }

  /**
   * Replica {@code r}'s service configuration: a group member with a short session, checkpoints,
   * exchanges and an audit file under {@code dir}; {@code service} and {@code modelKeys} add lines
   * (YAML, one key per line) to the service and the model.
   */
  static Path config(Path dir, int r, String model, String topic, String layers, String service, String modelKeys)
      throws Exception {
    Path f = dir.resolve("r" + r + ".yaml");
    Files.writeString(f, """
        http.port: 0
        demo.enabled: false
        progress.interval.ms: 0
        shutdown.timeout.ms: 10000
        kafka.properties.session.timeout.ms: 2000
        kafka.properties.heartbeat.interval.ms: 500
        %s
        models:
          %s:
            topics: [%s]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: %s
            optimizer: {name: adam, lr: 0.003}
            batch.size: 16
            batch.linger.ms: 20
            publish.every.steps: 50
            publish.every.ms: 500
            seed: 7
            checkpoint.dir: "%s"
            checkpoint.every.steps: 20
            checkpoint.every.ms: 500
            replica.id: r%d
            sync.every.steps: 10
            sync.every.ms: 250
            sync.stale.ms: 3000
            audit.path: "%s"
        %s
        """.formatted(service, model, topic, layers, slash(dir.resolve("ckpt-r" + r)), r,
        slash(dir.resolve("r" + r + ".audit")), modelKeys.lines().map(l -> "    " + l).collect(
            java.util.stream.Collectors.joining("\n"))));
    return f;
  }

  static String slash(Path p) {
    return p.toString().replace("\\", "/");
  }

  static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static void produce(String bootstrap, List<byte[]> records, int perSecond) {
    produce(bootstrap, TOPIC, PARTITIONS, records, perSecond);
  }

  /** Record i to partition i % partitions of topic, at perSecond. */
  static void produce(String bootstrap, String topic, int partitions, List<byte[]> records, int perSecond) {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      long start = System.nanoTime();
      for (int i = 0; i < records.size(); i++) {
        p.send(new ProducerRecord<>(topic, i % partitions, null, records.get(i)));
        long due = start + (long) (i * 1e9 / perSecond), wait = due - System.nanoTime();
        if (wait > 1_000_000) Thread.sleep(wait / 1_000_000);
      }
      p.flush();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String base(ChildJvm c) throws Exception {
    return base(c, MODEL);
  }

  /** The child's URL of the model, once its HTTP port is in its output. */
  static String base(ChildJvm c, String model) throws Exception {
    var m = Pattern.compile("HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      var matcher = m.matcher(c.output());
      if (matcher.find()) return "http://127.0.0.1:" + matcher.group(1) + "/models/" + model;
      assertThat(c.p().isAlive()).as("child alive; output:%n%s", c.output()).isTrue();
      assertThat(System.nanoTime()).as("HTTP port in time; output:%n%s", c.output()).isLessThan(until);
      Thread.sleep(100);
    }
  }

  static void awaitAll(List<ChildJvm> cs, int seconds, java.util.concurrent.Callable<Boolean> cond)
      throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!cond.call()) {
      StringBuilder out = new StringBuilder();
      for (var c : cs) out.append("\n---- child ----\n").append(c.output());
      assertThat(System.nanoTime()).as("timed out; outputs:%s", out).isLessThan(until);
      Thread.sleep(200);
    }
  }

  static JsonNode describe(HttpClient http, String base) throws Exception {
    var res = http.send(HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return JSON.readTree(res.body()).get("describe");
  }

  static JsonNode scaleOut(HttpClient http, String base) throws Exception {
    return describe(http, base).get("scale_out");
  }

  static int owned(HttpClient http, String base) {
    try {
      return describe(http, base).get("partitions_owned").asInt();
    } catch (Exception e) {
      return -1;
    }
  }

  /** The replicas' relative divergences as sampled while training (polls where one reported a number). */
  static final class Divergences {
    private final long t0;
    private final List<Double> values = new ArrayList<>();
    private double max;
    private double maxAt;

    Divergences(long t0) {
      this.t0 = t0;
    }

    void add(double v) {
      if (!(v > 0)) return;
      values.add(v);
      if (v > max) {
        max = v;
        maxAt = secs(t0);
      }
    }

    double max() {
      return max;
    }

    double median() {
      if (values.isEmpty()) return 0;
      List<Double> sorted = values.stream().sorted().toList();
      return sorted.get(sorted.size() / 2);
    }

    @Override
    public String toString() {
      return String.format(java.util.Locale.ROOT, "median %.4f, largest %.4f at %.1f s, %d samples", median(), max,
          maxAt, values.size());
    }
  }

  static double maxDivergence(HttpClient http, List<String> bases) {
    double m = 0;
    for (String b : bases) {
      try {
        JsonNode v = scaleOut(http, b).get("relative_divergence");
        if (v != null && v.isNumber()) m = Math.max(m, v.asDouble());
      } catch (Exception e) {
        // a replica being killed does not answer
      }
    }
    return m;
  }

  static float[] weights(HttpClient http, String base) throws Exception {
    var res = http.send(HttpRequest.newBuilder(URI.create(base + "/weights")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(res.statusCode()).isEqualTo(200);
    return flat(SafeTensors.read(res.body()));
  }

  static float[] flat(SafeTensors.Contents c) {
    Model m = Model.of(org.streamlearn.nn.ModelSpec.parse(LAYERS));
    float[] p = new float[m.paramCount()];
    for (var t : m.tensors()) System.arraycopy(c.tensor(t.name()).data(), 0, p, t.offset(), t.numel());
    return p;
  }

  static double relativeDistance(float[] a, float[] b) {
    double s = 0, n = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) (a[i] - b[i]) * (a[i] - b[i]);
      n += (double) a[i] * a[i];
    }
    return Math.sqrt(s / n);
  }

  /** The committed offsets of the group reach the end of every partition. */
  static boolean allCommitted(String bootstrap, int n) throws Exception {
    return allCommitted(bootstrap, MODEL, TOPIC, PARTITIONS, n);
  }

  /** The model's group has committed the end of every partition of topic (n records round-robin). */
  static boolean allCommitted(String bootstrap, String model, String topic, int partitions, int n) throws Exception {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      var offs = a.listConsumerGroupOffsets("streamlearn-" + model).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
      for (int p = 0; p < partitions; p++) {
        var o = offs.get(new TopicPartition(topic, p));
        if (o == null || o.offset() < partitionSize(n, partitions, p)) return false;
      }
      return true;
    }
  }

  /** Newest weights on scale.weights as flat parameters; every version read is added to versions. */
  /** The input standardization a weights file states (input.mean, input.std), or none. */
  static org.streamlearn.learn.Scaling scaling(SafeTensors.Contents c) {
    if (!c.metadata().containsKey(SafeTensors.META_NORMALIZATION)) return org.streamlearn.learn.Scaling.NONE;
    return new org.streamlearn.learn.Scaling(c.tensor("input.mean").data(), c.tensor("input.std").data(), 0, null, null, 0);
  }

  static SafeTensors.Contents lastWeightsFile(String bootstrap, List<Long> versions) throws Exception {
    TopicPartition tp = new TopicPartition(MODEL + ".weights", 0);
    byte[] last = null;
    try (var c = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.position(tp) < end && System.nanoTime() < until)
        for (var r : c.poll(Duration.ofMillis(200))) {
          last = r.value();
          versions.add(Long.parseLong(SafeTensors.read(last).metadata().get(SafeTensors.META_VERSION)));
        }
    }
    assertThat(last).as("a version on scale.weights").isNotNull();
    return SafeTensors.read(last);
  }

  static long examplesIn(Checkpoints c) {
    try {
      return c.latest().latest().map(l -> l.state().examples()).orElse(0L);
    } catch (Exception e) {
      return 0;
    }
  }
}
