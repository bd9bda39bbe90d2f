package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.data.Datasets;
import org.streamlearn.stream.DemoProducer;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.TrainingAudit;

/**
 * Partitions lost to a session expiry: two replicas of one model as child JVMs on a 4-partition
 * digits topic (session.timeout.ms 2 s). The victim's training is paused through the control API
 * until its consumer pauses for backpressure (its ring then holds over 375 rows, up to 1000), then
 * its JVM is frozen with SIGSTOP and a resume is sent to it (read when it wakes). The group expires
 * it and the survivor takes its partitions from its committed offsets and trains past every row
 * queued in the victim; then SIGCONT: the victim wakes with a ring of rows of partitions that are no
 * longer its own, and training resumed at once, racing the consumer's discovery of the loss.
 * Streaming then runs to the end and both stop gracefully.
 *
 * <p>The audits (their time lines date each trained record) must show every record in some
 * replica's state, and a record trained twice only if the victim trained it before the freeze at
 * or after its last commit (the tail the group could not know it had): never one it trained after
 * waking up on a partition it had lost.
 */
class SessionExpiryTest {
  static final String MODEL = "expiry", TOPIC = "expiry.train", TOKEN = "session-expiry-test-token";
  static final int PARTITIONS = 4, EPOCHS = 10, RATE = 1500, VICTIM = 0, SURVIVOR = 1;

  @Test
  @Timeout(240)
  void aFrozenReplicaDropsTheQueuedRowsOfPartitionsItLost(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    Datasets.Digits d = Datasets.digits();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < d.size(); i++) order.add(i);
    List<byte[]> records = new ArrayList<>();
    Random rnd = new Random(20261123L);
    for (int e = 0; e < EPOCHS; e++) {
      Collections.shuffle(order, rnd);
      for (int i : order) records.add(DemoProducer.digitsLine(d.pixels()[i], d.labels()[i]));
    }
    int n = records.size();
    List<Path> configs = List.of(config(dir, 0), config(dir, 1));

    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("group.min.session.timeout.ms", "1000"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      List<ChildJvm> children = new ArrayList<>();
      HttpClient http = HttpClient.newHttpClient();
      long stopMillis, contMillis;
      Map<String, Long> commitsBeforeFreeze;
      try {
        for (Path c : configs) children.add(ChildJvm.service("service", c, bootstrap));
        List<String> bases = new ArrayList<>();
        for (var c : children) bases.add(ScaleOutTest.base(c, MODEL));
        ScaleOutTest.awaitAll(children, 120, () -> ScaleOutTest.owned(http, bases.get(0)) == 2
            && ScaleOutTest.owned(http, bases.get(1)) == 2);
        System.out.printf("session expiry: two replicas own two partitions each at %.1f s%n", ScaleOutTest.secs(t0));

        Thread producer = Thread.ofPlatform().daemon(true)
            .start(() -> ScaleOutTest.produce(bootstrap, TOPIC, PARTITIONS, records, RATE));
        ChildJvm victim = children.get(VICTIM);
        String vbase = bases.get(VICTIM);
        // A durable checkpoint and a commit of the victim's first, so the survivor starts at a committed offset.
        Checkpoints vckpt = new Checkpoints(dir.resolve("ckpt-r" + VICTIM).resolve(MODEL), MODEL, 3);
        victim.await(60, "the victim's checkpoint of 300 examples", () -> ScaleOutTest.examplesIn(vckpt) >= 300);
        victim.await(30, "commits of both its partitions in the victim's audit",
            () -> commits(dir.resolve("r" + VICTIM + ".audit")).size() == 2);

        assertThat(control(http, vbase, "pause").statusCode()).isEqualTo(200);
        victim.await(60, "the victim's ring above its high-water mark (backpressure)",
            () -> status(http, vbase).path("paused").asBoolean());
        System.out.printf("session expiry: victim paused with a full ring at %.1f s%n", ScaleOutTest.secs(t0));

        signal("STOP", victim);
        stopMillis = System.currentTimeMillis();
        commitsBeforeFreeze = commits(dir.resolve("r" + VICTIM + ".audit"));
        // Read when it wakes: training then resumes at once, racing its consumer's discovery of the loss.
        CompletableFuture<HttpResponse<String>> resume = http.sendAsync(controlRequest(vbase, "resume"),
            HttpResponse.BodyHandlers.ofString());
        ScaleOutTest.awaitAll(children, 60, () -> ScaleOutTest.owned(http, bases.get(SURVIVOR)) == PARTITIONS);
        System.out.printf("session expiry: victim frozen at %.1f s; the survivor owns all %d partitions after %d ms%n",
            ScaleOutTest.secs(t0), PARTITIONS, System.currentTimeMillis() - stopMillis);
        // And has trained and committed them 1000 records (or to their end) past the victim's commits,
        // past every row queued in the victim: rows the victim would train after waking it trains too.
        ScaleOutTest.awaitAll(children, 60, () -> {
          Map<String, Long> now = groupCommits(bootstrap);
          for (var e : commitsBeforeFreeze.entrySet()) {
            int p = Integer.parseInt(e.getKey().substring(e.getKey().lastIndexOf('-') + 1));
            if (now.getOrDefault(e.getKey(), -1L) < Math.min(e.getValue() + 1000, ScaleOutTest.partitionSize(n, PARTITIONS, p)))
              return false;
          }
          return true;
        });
        System.out.printf("session expiry: the survivor committed 1000 records past the victim's commits %s after %d ms%n",
            commitsBeforeFreeze, System.currentTimeMillis() - stopMillis);

        contMillis = System.currentTimeMillis();
        signal("CONT", victim);
        assertThat(resume.get(60, TimeUnit.SECONDS).statusCode()).as("resume after waking").isEqualTo(200);
        ScaleOutTest.awaitAll(children, 90, () -> ScaleOutTest.owned(http, bases.get(0)) == 2
            && ScaleOutTest.owned(http, bases.get(1)) == 2);
        System.out.printf("session expiry: woke after %d ms frozen; two partitions each again at %.1f s%n",
            contMillis - stopMillis, ScaleOutTest.secs(t0));

        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!ScaleOutTest.allCommitted(bootstrap, MODEL, TOPIC, PARTITIONS, n)) {
          for (var c : children) assertThat(c.p().isAlive()).as("alive; output:%n%s", c.output()).isTrue();
          assertThat(System.nanoTime()).as("all records committed in time").isLessThan(until);
          Thread.sleep(200);
        }
        producer.join(10_000);
        System.out.printf("session expiry: all %d records committed at %.1f s%n", n, ScaleOutTest.secs(t0));
        for (var c : children) c.p().toHandle().destroy(); // SIGTERM: graceful
        for (var c : children) assertThat(c.p().waitFor(30, TimeUnit.SECONDS)).as("stopped").isTrue();
        for (String l : victim.out())
          if (l.contains("lost partitions") || l.contains("no news of group") || l.contains("answered")
              || l.contains("did not confirm"))
            System.out.println("session expiry: the victim said: " + l);
        for (String l : children.get(SURVIVOR).out())
          if (l.contains("GroupMembership") || l.contains("hand-over") || l.contains("lost partitions"))
            System.out.println("session expiry: the survivor said: " + l);
        for (String l : victim.out())
          if (l.contains("GroupMembership") && l.contains(" takes "))
            System.out.println("session expiry: the victim said: " + l);
        audit(dir, n, commitsBeforeFreeze, contMillis);
        // One warning for the loss, naming the partitions and the rows dropped, as its audit says.
        List<String> warnings = victim.out().stream().filter(l -> l.contains("WARN") && l.contains("lost partitions")).toList();
        assertThat(warnings).as("the victim's warnings about lost partitions; output:%n%s", victim.output()).hasSize(1);
        var m = java.util.regex.Pattern.compile("lost partitions (\\S+) .*dropped (\\d+) queued rows").matcher(warnings.getFirst());
        assertThat(m.find()).as(warnings.getFirst()).isTrue();
        var va = TrainingAudit.read(dir.resolve("r" + VICTIM + ".audit"));
        assertThat(va.partitionsLost()).containsExactlyInAnyOrder(m.group(1).split(","));
        assertThat(va.partitionsLost()).hasSize(2);
        assertThat(va.rowsDropped()).as("rows dropped").isEqualTo(Long.parseLong(m.group(2))).isGreaterThan(0);
      } finally {
        for (var c : children) c.close();
      }
    }
    System.out.printf("session expiry test: %.1f s%n", ScaleOutTest.secs(t0));
  }

  /**
   * A lone replica of a group (replica.id set, no other member) whose session expires while it has
   * trained records it has not committed (checkpoints only at the graceful stop, so the group's
   * committed offsets stay at the start): the group takes its partitions and, as it is the only
   * member, gives them straight back. It must continue after what its state holds, not from the
   * committed offsets, which would train those records a second time into the same state (found in
   * ScaleOutTest under load: a replica's first 100 records of a partition twice in its own state).
   * The audit must show the loss and every record in the state exactly once.
   */
  @Test
  @Timeout(180)
  void aLoneReplicaGivenBackThePartitionsItLostContinuesAfterWhatItTrained(@TempDir Path dir) throws Exception {
    long t0 = System.nanoTime();
    String model = "lone", topic = "lone.train";
    int partitions = 2;
    Datasets.Digits d = Datasets.digits();
    List<byte[]> records = new ArrayList<>();
    for (int e = 0; e < 4; e++)
      for (int i = 0; i < d.size(); i++) records.add(DemoProducer.digitsLine(d.pixels()[i], d.labels()[i]));
    int n = records.size();
    Path config = ScaleOutTest.config(dir, 0, model, topic, "input(64) dense(32) relu dense(10)", "", "");
    String yaml = Files.readString(config);
    Files.writeString(config, yaml.replace("checkpoint.every.steps: 20", "checkpoint.every.steps: 0")
        .replace("checkpoint.every.ms: 500", "checkpoint.every.ms: 0"));
    assertThat(Files.readString(config)).contains("checkpoint.every.steps: 0", "checkpoint.every.ms: 0");

    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), Map.of("group.min.session.timeout.ms", "1000"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      HttpClient http = HttpClient.newHttpClient();
      try (ChildJvm lone = ChildJvm.service("service", config, bootstrap)) {
        List<ChildJvm> all = List.of(lone);
        String base = ScaleOutTest.base(lone, model);
        ScaleOutTest.awaitAll(all, 120, () -> ScaleOutTest.owned(http, base) == partitions);
        Thread producer = Thread.ofPlatform().daemon(true)
            .start(() -> ScaleOutTest.produce(bootstrap, topic, partitions, records, RATE));
        ScaleOutTest.awaitAll(all, 60, () -> examples(http, base) >= 500);
        assertThat(groupCommits(bootstrap, model).values()).as("nothing committed past the start before the freeze")
            .allMatch(o -> o == 0);
        signal("STOP", lone);
        long frozen = System.nanoTime();
        Thread.sleep(6_000); // three session timeouts: the coordinator expires the member
        signal("CONT", lone);
        System.out.printf("lone replica: frozen %.1f s after training 500 records, at %.1f s%n",
            (System.nanoTime() - frozen) / 1e9, ScaleOutTest.secs(t0));
        lone.await(60, "the partitions assigned again after the expiry", () -> lone.out().stream()
            .filter(l -> l.contains(" takes " + topic + "-0 ")).count() >= 2);
        ScaleOutTest.awaitAll(all, 60, () -> ScaleOutTest.owned(http, base) == partitions);
        producer.join(60_000);
        ScaleOutTest.awaitAll(all, 120, () -> examples(http, base) >= n);
        lone.p().toHandle().destroy(); // SIGTERM: graceful, checkpoints, commits, leaves the group
        assertThat(lone.p().waitFor(30, TimeUnit.SECONDS)).as("stopped").isTrue();
        // A static member that did not leave would stay in the group until its session expires.
        assertThat(groupMembers(bootstrap, model)).as("members right after the graceful stop; output:%n%s", lone.output())
            .isZero();
        assertThat(lone.out()).as("the consumer closed cleanly").noneMatch(l -> l.contains("Failed to close")
            || l.contains("failed on invocation of onPartitionsRevoked"));
        for (String l : lone.out())
          if (l.contains("lost partitions") || l.contains(" takes " + topic)) System.out.println("lone replica said: " + l);

        var a = TrainingAudit.read(dir.resolve("r0.audit"));
        assertThat(a.partitionsLost()).as("the session expiry took both partitions; output:%n%s", lone.output())
            .containsExactlyInAnyOrder(topic + "-0", topic + "-1");
        assertThat(a.afterLastCheckpoint()).as("stopped gracefully: all it trained is checkpointed").isEmpty();
        Map<String, Integer> copies = new HashMap<>();
        for (var e : a.effective()) copies.merge(e.id(), 1, Integer::sum);
        List<String> twice = copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted()
            .toList();
        List<String> missing = new ArrayList<>();
        for (int p = 0; p < partitions; p++)
          for (long o = 0; o < ScaleOutTest.partitionSize(n, partitions, p); o++)
            if (!copies.containsKey(topic + "-" + p + "@" + o)) missing.add(p + "@" + o);
        System.out.printf("lone replica audit: %d records, %d in the state twice, %d missing, %d queued rows dropped"
            + " at the loss, %.1f s%n", n, twice.size(), missing.size(), a.rowsDropped(), ScaleOutTest.secs(t0));
        assertThat(twice).as("records trained twice into the one state (%d)", twice.size()).isEmpty();
        assertThat(missing).as("records in no state").isEmpty();
      }
    }
  }

  static int groupMembers(String bootstrap, String model) throws Exception {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      String g = "streamlearn-" + model;
      return a.describeConsumerGroups(List.of(g)).all().get(10, TimeUnit.SECONDS).get(g).members().size();
    }
  }

  /** The examples of the model's newest published version, or -1 while it does not answer. */
  static long examples(HttpClient http, String base) {
    try {
      var res = http.send(HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return ScaleOutTest.JSON.readTree(res.body()).path("examples").asLong(-1);
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Each record must be in some replica's state (both stopped gracefully, so all they trained is
   * checkpointed). A record in two states (or twice in the victim's) is allowed only when one copy
   * is the victim's from before the freeze, at or after its last commit before it.
   */
  static void audit(Path dir, int n, Map<String, Long> commitsBeforeFreeze, long contMillis) throws Exception {
    Map<String, List<TrainingAudit.Entry>> holders = new HashMap<>();
    String victim = null;
    for (int r = 0; r < 2; r++) {
      var a = TrainingAudit.read(dir.resolve("r" + r + ".audit"));
      assertThat(a.runs()).isEqualTo(1);
      assertThat(a.afterLastCheckpoint()).as("r%d stopped gracefully: all it trained is checkpointed", r).isEmpty();
      if (r == VICTIM) victim = a.replica();
      for (var e : a.effective()) holders.computeIfAbsent(e.id(), k -> new ArrayList<>()).add(e);
    }
    List<String> missing = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++)
      for (long o = 0; o < ScaleOutTest.partitionSize(n, PARTITIONS, p); o++)
        if (!holders.containsKey(TOPIC + "-" + p + "@" + o)) missing.add(p + "@" + o);
    assertThat(missing).as("records in no replica's state").isEmpty();
    int tail = 0;
    List<String> bad = new ArrayList<>();
    for (var e : holders.entrySet()) {
      List<TrainingAudit.Entry> copies = e.getValue();
      if (copies.size() == 1) continue;
      String v = victim;
      boolean allowed = copies.size() == 2 && copies.stream().anyMatch(c -> c.replica().equals(v)
          && c.millis() < contMillis && c.offset() >= commitsBeforeFreeze.getOrDefault(c.tp(), 0L));
      if (allowed) tail++;
      else bad.add(e.getKey() + " by " + copies.stream().map(c -> c.replica() + (c.replica().equals(v)
          ? (c.millis() < contMillis ? " before the freeze" : " after waking") : "")).toList());
    }
    Collections.sort(bad);
    System.out.printf("session expiry audit: %d records, %d trained twice in the victim's uncommitted tail, %d"
        + " trained twice otherwise%n", n, tail, bad.size());
    assertThat(bad).as("records trained twice outside the victim's tail before the freeze (%d)", bad.size())
        .isEmpty();
  }

  /** The last offset committed per partition, from the commit lines of an audit file as written so far. */
  static Map<String, Long> commits(Path audit) {
    Map<String, Long> m = new HashMap<>();
    try {
      for (String l : Files.readAllLines(audit, StandardCharsets.UTF_8)) {
        String[] f = l.split(" ");
        if (f.length == 3 && f[0].equals("commit")) m.merge(f[1], Long.parseLong(f[2]), Math::max);
      }
    } catch (Exception e) {
      return Map.of(); // not there yet
    }
    return m;
  }

  /** The model's group's committed offsets per "topic-partition". */
  static Map<String, Long> groupCommits(String bootstrap) throws Exception {
    return groupCommits(bootstrap, MODEL);
  }

  static Map<String, Long> groupCommits(String bootstrap, String model) throws Exception {
    try (Admin a = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      Map<String, Long> m = new HashMap<>();
      a.listConsumerGroupOffsets("streamlearn-" + model).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
          .forEach((tp, o) -> m.put(tp.toString(), o.offset()));
      return m;
    }
  }

  static void signal(String sig, ChildJvm c) throws Exception {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(c.p().pid())).inheritIO().start();
    assertThat(k.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(k.exitValue()).as("kill -%s %d", sig, c.p().pid()).isZero();
  }

  static HttpRequest controlRequest(String base, String action) {
    return HttpRequest.newBuilder(URI.create(base + "/control")).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"" + action + "\"}")).build();
  }

  static HttpResponse<String> control(HttpClient http, String base, String action) throws Exception {
    return http.send(controlRequest(base, action), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode status(HttpClient http, String base) {
    try {
      var res = http.send(HttpRequest.newBuilder(URI.create(base)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return ScaleOutTest.JSON.readTree(res.body()).path("status");
    } catch (Exception e) {
      return ScaleOutTest.JSON.createObjectNode();
    }
  }

  static Path config(Path dir, int r) throws Exception {
    return ScaleOutTest.config(dir, r, MODEL, TOPIC, "input(64) dense(32) relu dense(10)",
        "http.control.token: " + TOKEN, "queue.max.records: 1000");
  }
}
