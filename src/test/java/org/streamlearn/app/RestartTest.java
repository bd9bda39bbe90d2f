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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.stream.EmbeddedKafka;

/**
 * Restarts with Kafka's default group session (45 s): the service in a child JVM, no instance id
 * configured, so it keeps one in its checkpoint folder and joins as a static member.
 * <ol>
 *   <li>Run 1 trains 200 records and is killed (SIGKILL) once a checkpoint covers them.
 *   <li>Run 2 restores: {@code /models} and {@code /models/{m}} show the restored version at once,
 *       with a new weights incarnation in the ETag (run 1 died: its later versions are unknown).
 *       Killed once it owns the partition.
 *   <li>100 more records; run 3 must train the first of them within 15 s of its start (a dynamic
 *       member waits for the dead one's 45 s session). Stopped with SIGTERM, it leaves the group at
 *       once (no member left) and marks the stop clean.
 *   <li>Run 4 restores that clean stop: same incarnation, so the same ETag for the same weights.
 * </ol>
 */
class RestartTest {
  static final String MODEL = "restart", TOPIC = "restart.train";
  static final int B = 4;
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  @Test
  @Timeout(200)
  void restartAfterKillResumesAtOnceAndShowsTheRestoredVersion(@TempDir Path dir) throws Exception {
    Path ckptDir = dir.resolve("ckpt"), config = dir.resolve("restart.yaml");
    KillNineTest.writeService(config, MODEL, TOPIC, ckptDir, "", """
        checkpoint.every.steps: 5
        checkpoint.every.ms: 500
        publish.every.steps: 5
        publish.every.ms: 0
        """);
    // Kafka's default session (45 s) and a dynamic id unless ours: drop the test helper's short session and fixed id.
    Files.writeString(config, Files.readString(config).lines()
        .filter(l -> !l.contains("session.timeout.ms") && !l.contains("heartbeat.interval.ms") && !l.contains("group.instance.id"))
        .collect(java.util.stream.Collectors.joining("\n")));
    List<byte[]> records = KillNineTest.records().subList(0, 300);
    Checkpoints ckpts = new Checkpoints(ckptDir.resolve(MODEL), MODEL, 3);
    Path instanceFile = ckptDir.resolve(MODEL).resolve("instance.id");
    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"))) {
      String bootstrap = kafka.start();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      KillNineTest.send(bootstrap, TOPIC, records.subList(0, 200));
      String etag1;
      try (ChildJvm c = ChildJvm.service("run1", config, bootstrap)) {
        String base = KillNineTest.httpBase(c);
        KillNineTest.await(c, 90, () -> covered(ckpts) >= 200);
        etag1 = weightsEtag(base);
        c.kill();
      }
      String instance = Files.readString(instanceFile).strip();
      assertThat(instance).startsWith(MODEL + "-");
      long restored = ckpts.latest().latest().orElseThrow().state().step();
      assertThat(restored).isEqualTo(200 / B);

      String etag2;
      try (ChildJvm c = ChildJvm.service("run2", config, bootstrap)) {
        String base = KillNineTest.httpBase(c);
        // No record is left to train: what /models shows from the first answer on is the restored state.
        JsonNode list = get(base + "/models");
        assertThat(list.get(0).path("version").isNumber()).as("version in GET /models: %s", list).isTrue();
        assertThat(list.get(0).path("version").asLong()).isEqualTo(restored);
        assertThat(get(base + "/models/" + MODEL).path("version").asLong()).isEqualTo(restored);
        etag2 = weightsEtag(base);
        assertThat(etag2).endsWith("-" + restored + "\"");
        assertThat(incarnation(etag2)).as("run 1 was killed: a new incarnation").isNotEqualTo(incarnation(etag1));
        KillNineTest.await(c, 60, () -> get(base + "/ready").path("models").path(MODEL).path("ready").asBoolean());
        c.kill(); // a static member of the group now, with a 45 s session
      }

      KillNineTest.send(bootstrap, TOPIC, records.subList(200, 300));
      long t0 = System.nanoTime();
      String etag3;
      try (ChildJvm c = ChildJvm.service("run3", config, bootstrap)) {
        String base = KillNineTest.httpBase(c);
        KillNineTest.await(c, 60, () -> get(base + "/models/" + MODEL).path("status").path("step").asLong() > restored);
        java.time.LocalTime trained = java.time.LocalTime.now();
        double secs = (System.nanoTime() - t0) / 1e9;
        c.out().stream().filter(l -> l.contains("ModelVerticle") || l.contains("HTTP on")).forEach(System.out::println);
        // From the consumer's start (its log line, same clock): JVM start-up on a loaded machine is not Kafka's doing.
        String joined = c.awaitLine(1, "(group.instance.id)");
        double fromJoin = java.time.Duration.between(java.time.LocalTime.parse(joined.substring(0, 12)), trained).toMillis() / 1e3;
        System.out.printf("restart after kill -9: first record trained %.1f s after the consumer started, %.1f s after "
            + "the process started (Kafka's default session, what a dynamic member waits for, is 45 s)%n", fromJoin, secs);
        assertThat(fromJoin).as("seconds from the consumer's start to the first trained record; output:%n%s", c.output())
            .isLessThan(15);
        KillNineTest.await(c, 60, () -> covered(ckpts) >= 300);
        KillNineTest.await(c, 30, () -> get(base + "/models/" + MODEL).path("version").asLong() == 300 / B);
        etag3 = weightsEtag(base);
        c.terminate(30);
      }
      long left = System.nanoTime();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        var members = admin.describeConsumerGroups(List.of("streamlearn-" + MODEL)).all().get(30, TimeUnit.SECONDS)
            .get("streamlearn-" + MODEL).members();
        System.out.printf("group members %.1f s after the graceful stop: %d%n", (System.nanoTime() - left) / 1e9, members.size());
        assertThat(members).as("a graceful stop leaves the group (LEAVE_GROUP), static member or not").isEmpty();
      }
      assertThat(Files.readString(ckptDir.resolve(MODEL).resolve("incarnation")))
          .isEqualTo(incarnation(etag3) + " clean " + 300 / B + "\n");

      try (ChildJvm c = ChildJvm.service("run4", config, bootstrap)) {
        String base = KillNineTest.httpBase(c);
        assertThat(weightsEtag(base)).as("restored from a clean stop: the same weights, the same ETag").isEqualTo(etag3);
        c.terminate(30);
      }
      assertThat(Files.readString(instanceFile).strip()).as("instance id created once").isEqualTo(instance);
    }
  }

  /** Next offset the newest valid checkpoint covers, 0 none. */
  static long covered(Checkpoints c) {
    try {
      return c.latest().latest().map(l -> l.offsets().getOrDefault(TOPIC + "-0", 0L)).orElse(0L);
    } catch (Exception e) {
      return 0;
    }
  }

  static String incarnation(String etag) {
    return etag.substring(1, etag.lastIndexOf('-'));
  }

  String weightsEtag(String base) throws Exception {
    var res = http.send(HttpRequest.newBuilder(URI.create(base + "/models/" + MODEL + "/weights")).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(res.statusCode()).isEqualTo(200);
    String etag = res.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).matches("\"[0-9]{8}-\\d+\"");
    var again = http.send(HttpRequest.newBuilder(URI.create(base + "/models/" + MODEL + "/weights"))
        .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.discarding());
    assertThat(again.statusCode()).isIn(304, 200); // 200 only if a new version came in between
    return etag;
  }

  JsonNode get(String url) {
    return KillNineTest.get(http, json, url);
  }
}
