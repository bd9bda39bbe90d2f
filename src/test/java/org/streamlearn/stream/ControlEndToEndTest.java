package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.ascii;
import static org.streamlearn.stream.StreamTestKit.committed;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;
import static org.streamlearn.stream.StreamTestKit.readAll;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.http.HttpOptions;
import org.streamlearn.http.HttpVerticle;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.metrics.StreamlearnMeters;

/**
 * The control API and the divergence guard end to end: Apache Kafka's broker on loopback, real
 * {@link ModelVerticle}s with their meters, and the HTTP API with a bearer token, driven over HTTP
 * (JDK client) like an operator would. Records that drive the loss to infinity and an absurd
 * learning rate set through the API make the guard fire; the event reaches an SSE client, the
 * counter rises, training goes on, and every version on the weights topic and over HTTP holds only
 * finite floats. A pause stops training with nothing lost and resume continues in order. Seeds:
 * data 51 (div), 53 (pause).
 */
@Timeout(180)
class ControlEndToEndTest extends BrokerPerClass {
  static final String TOKEN = "e2e-token-2b7f0c4d9a1e6f35";
  static final Duration WAIT = Duration.ofSeconds(60);
  static Vertx vertx;
  static HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception { // before the broker stops (the superclass's @AfterAll runs last)
    if (vertx != null) vertx.close().await(20, TimeUnit.SECONDS);
  }

  static String yaml(String name, String extra) {
    return yaml(name, "input(4) dense(8) tanh dense(1)", "{name: adam, lr: 0.01}", extra);
  }

  /** A regression model on 4 csv features; {@code extra}: more keys, each line indented by 4. */
  static String yaml(String name, String layers, String optimizer, String extra) {
    return """
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 4
            label.type: regression
            targets: 1
            layers: %s
            loss: mse
            optimizer: %s
            seed: 5
        %s""".formatted(name, name, layers, optimizer, extra);
  }

  /** y = x·(1, −2, 0.5, 1) + 0.3, features N(0, 1); {@code target} replaces y when not null. */
  static List<byte[]> lines(SplittableRandom r, int n, String target) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double[] x = {r.nextGaussian(), r.nextGaussian(), r.nextGaussian(), r.nextGaussian()};
      double y = x[0] - 2 * x[1] + 0.5 * x[2] + x[3] + 0.3;
      out.add(ascii(String.format(Locale.ROOT, "%.5f,%.5f,%.5f,%.5f,%s", x[0], x[1], x[2], x[3],
          target != null ? target : String.format(Locale.ROOT, "%.5f", y))));
    }
    return out;
  }

  record Served(int port, PrometheusMeterRegistry registry) {}

  static Served serve(RunningModel runner) throws Exception {
    var registry = StreamlearnMeters.newRegistry();
    StreamlearnMeters.bind(registry, runner.verticle());
    var v = new HttpVerticle(new HttpOptions("127.0.0.1", 0, 1 << 20).withControlToken(TOKEN), List.of(runner.verticle()), registry);
    vertx.deployVerticle(v).await(20, TimeUnit.SECONDS);
    return new Served(v.actualPort(), registry);
  }

  static JsonObject control(int port, String model, String body) throws Exception {
    var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/models/" + model + "/control"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    var r = http.send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s → %s", body, r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  static HttpResponse<byte[]> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The value of a sample in the Prometheus text, e.g. {@code streamlearn_train_divergences_total{model="div"}}. */
  static double sample(int port, String series) throws Exception {
    String text = new String(get(port, "/metrics").body(), java.nio.charset.StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertThat(m.find()).as("%s in /metrics", series).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** Every tensor of a safetensors file: all finite. Returns the version. */
  static long assertFinite(byte[] safetensors, String where) throws Exception {
    var c = SafeTensors.read(safetensors);
    for (var t : c.tensors())
      for (int i = 0; i < t.data().length; i++)
        assertThat(Float.isFinite(t.data()[i])).as("%s: %s[%d] = %s", where, t.name(), i, t.data()[i]).isTrue();
    return Long.parseLong(c.metadata().get(SafeTensors.META_VERSION));
  }

  @Test
  void divergenceIsRolledBackReportedOverSseAndNeverPublished() throws Exception {
    String name = "div";
    ModelConfig mc = model(yaml(name, """
                batch.size: 8
                batch.linger.ms: 20
                publish.every.steps: 2
                publish.every.ms: 200
            """));
    var r = new SplittableRandom(51);
    List<Long> published = new CopyOnWriteArrayList<>(), nonFinite = new CopyOnWriteArrayList<>();
    List<String> sse = new CopyOnWriteArrayList<>();
    int produced = 0;
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000, vertx)) {
      runner.onPublish(p -> { // on the trainer thread: record, never throw
        published.add(p.version());
        for (float w : p.snapshot().params()) if (!Float.isFinite(w)) nonFinite.add(p.version());
      });
      Served s = serve(runner);
      runner.start();
      CompletableFuture<Void> stream = http.sendAsync(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + s.port() + "/models/" + name + "/updates")).build(),
          HttpResponse.BodyHandlers.ofLines()) // read on a thread of its own, never on this one
          .thenAcceptAsync(res -> res.body().forEach(sse::add), t -> Thread.ofPlatform().daemon(true).name("sse-reader").start(t));

      // 1. Learns on good records.
      var good = lines(r, 400, null);
      produce(bootstrap, name + ".train", good);
      produced += good.size();
      await().atMost(WAIT).until(() -> runner.steps() >= 40 && sse.contains("event: version"));
      assertThat(runner.divergences()).isZero();

      // 2. Records whose target is 1e30 (finite float32, so not dead-lettered): the squared error overflows.
      var bad = lines(r, 40, "1e30");
      produce(bootstrap, name + ".train", bad);
      produced += bad.size();
      await().atMost(WAIT).until(() -> runner.divergences() >= 1 && sse.contains("event: divergence"));
      JsonObject first = divergenceEvents(sse).getFirst();
      assertThat(first.getString("cause")).isEqualTo("loss");
      assertThat(first.getValue("loss")).as("an infinite loss is null in JSON").isNull();
      assertThat(first.getDouble("lrAfter")).isCloseTo(first.getDouble("lrBefore") * 0.5, org.assertj.core.api.Assertions.offset(1e-9));
      assertThat(first.getLong("rolledBackTo")).isLessThanOrEqualTo(first.getLong("step"));
      assertThat(first.getLong("versionAfter")).as("the failed batch takes a version").isEqualTo(first.getLong("step") + 1);
      assertThat(sample(s.port(), "streamlearn_train_divergences_total{model=\"div\"}")).isGreaterThanOrEqualTo(1.0);

      // 3. An absurd rate set through the API: the next steps overflow, the guard halves it each time.
      long d0 = runner.divergences();
      JsonObject st = control(s.port(), name, "{\"action\":\"lr\",\"value\":1e30}").getJsonObject("status");
      assertThat(st.getDouble("learningRate")).isGreaterThan(1e29);
      var more = lines(r, 200, null);
      produce(bootstrap, name + ".train", more);
      produced += more.size();
      await().atMost(WAIT).until(() -> runner.divergences() >= d0 + 3);
      int total1 = produced;
      await().atMost(WAIT).until(() -> runner.recordsIn() == total1);

      // 4. Back to a sane rate: training goes on, versions keep coming.
      control(s.port(), name, "{\"action\":\"lr\",\"value\":0.01}");
      long steps = runner.steps(), versions = published.size();
      var after = lines(r, 400, null);
      produce(bootstrap, name + ".train", after);
      produced += after.size();
      await().atMost(WAIT).until(() -> runner.steps() >= steps + 40 && published.size() > versions + 5);
      double metric = sample(s.port(), "streamlearn_train_divergences_total{model=\"div\"}");
      System.out.printf("div: %d divergences (metric %.0f), %d versions, step %d, lr %.4g, rmse %.4g%n",
          runner.divergences(), metric, published.size(), runner.steps(), runner.learningRate(), runner.metrics().rmseWindow());
      assertThat(metric).isEqualTo((double) runner.divergences()).isGreaterThanOrEqualTo(d0 + 3);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(divergenceEvents(sse).size())
          .as("one event per divergence (the stream kept up)").isEqualTo((int) runner.divergences()));
      assertThat(divergenceEvents(sse)).extracting(e -> e.getLong("count")).isSorted().doesNotHaveDuplicates();
      assertThat(runner.publishSkipped()).isZero();

      // Over HTTP: the latest version is finite.
      var w = get(s.port(), "/models/" + name + "/weights");
      assertThat(w.statusCode()).isEqualTo(200);
      assertFinite(w.body(), "GET /models/div/weights");
      stream.cancel(true);
    }
    int total = produced;
    assertThat(published).as("versions only go up").isSorted().doesNotHaveDuplicates();
    assertThat(nonFinite).as("versions published with a non-finite weight").isEmpty();
    // Every version on the weights topic, read back: finite floats only.
    var records = readAll(bootstrap, Topics.weights(name), published.size());
    assertThat(records).hasSameSizeAs(published);
    List<Long> onTopic = new ArrayList<>();
    for (var rec : records) onTopic.add(assertFinite(rec.value(), Topics.weights(name) + "@" + rec.offset()));
    assertThat(onTopic).isEqualTo(published);
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(total);
  }

  static List<JsonObject> divergenceEvents(List<String> sse) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i + 1 < sse.size(); i++)
      if (sse.get(i).equals("event: divergence")) out.add(new JsonObject(sse.get(i + 1).substring("data: ".length())));
    return out;
  }

  @Test
  void pauseStopsTrainingWithoutLosingARecordAndResumeContinuesInOrder() throws Exception {
    String name = "pz";
    // Full batches only (a long linger): the steps are then exactly those of an offline replay.
    ModelConfig mc = model(yaml(name, """
                batch.size: 4
                batch.linger.ms: 60000
                queue.max.records: 64
                publish.every.steps: 10
                publish.every.ms: 0
            """));
    var r = new SplittableRandom(53);
    List<byte[]> all = new ArrayList<>(lines(r, 200, null));
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000, vertx)) {
      Served s = serve(runner);
      runner.start();
      produce(bootstrap, name + ".train", all);
      await().atMost(WAIT).until(() -> runner.rowsTrained() == 200);

      JsonObject paused = control(s.port(), name, "{\"action\":\"pause\"}").getJsonObject("status");
      assertThat(paused.getBoolean("trainingPaused")).isTrue();
      assertThat(paused.getLong("step")).isEqualTo(50);
      var more = lines(r, 1000, null);
      all.addAll(more);
      produce(bootstrap, name + ".train", more);
      // The ring fills and ingest pauses by backpressure: nothing is trained, nothing dropped.
      await().atMost(WAIT).until(() -> runner.paused() && runner.queueDepth() >= 64 - 16);
      Thread.sleep(500);
      assertThat(runner.rowsTrained()).isEqualTo(200);
      assertThat(runner.steps()).isEqualTo(50);
      assertThat(runner.queueDepth()).isLessThanOrEqualTo(64);
      JsonObject st = new JsonObject(new String(get(s.port(), "/models/" + name).body())).getJsonObject("status");
      assertThat(st.getBoolean("trainingPaused")).isTrue();
      assertThat(st.getBoolean("paused")).as("backpressure, as a consequence").isTrue();
      assertThat(sample(s.port(), "streamlearn_train_paused{model=\"pz\"}")).isEqualTo(1.0);
      assertThat(sample(s.port(), "streamlearn_ingest_paused{model=\"pz\"}")).isEqualTo(1.0);

      JsonObject resumed = control(s.port(), name, "{\"action\":\"resume\"}").getJsonObject("status");
      assertThat(resumed.getBoolean("trainingPaused")).isFalse();
      await().atMost(WAIT).until(() -> runner.rowsTrained() == all.size());
      assertThat(runner.recordsIn()).isEqualTo(all.size());
      assertThat(runner.deadLetteredTotal()).isZero();
      assertThat(runner.steps()).isEqualTo(all.size() / 4);
      assertThat(sample(s.port(), "streamlearn_train_paused{model=\"pz\"}")).isEqualTo(0.0);
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(all.size());

    // In order, each row once: the same rows replayed offline give the same weights (float
    // rounding aside: the trainer's kernels may have run before JIT compilation, the replay's after).
    var runnerWeights = readAll(bootstrap, Topics.weights(name), 1);
    var last = SafeTensors.read(runnerWeights.getLast().value());
    assertThat(last.metadata().get(SafeTensors.META_VERSION)).isEqualTo(Long.toString(all.size() / 4));
    OnlineLearner offline = OfflineReplay.replay(mc, all);
    assertThat(offline.step()).isEqualTo(all.size() / 4);
    double worst = 0;
    for (var t : offline.model().tensors()) {
      float[] got = last.tensor(t.name()).data();
      for (int i = 0; i < t.numel(); i++) {
        float want = offline.liveParams()[t.offset() + i];
        worst = Math.max(worst, Math.abs(got[i] - want) / (1e-4 * Math.max(Math.abs(want), 1e-3)));
      }
    }
    System.out.printf("pz: worst |diff|/tol against the offline replay %.3g%n", worst);
    assertThat(worst).as("weights against an offline replay, in units of 1e-4 relative").isLessThanOrEqualTo(1.0);
  }

  /**
   * Plain SGD at batch 1 leaves each step's update pending until the next forward (one pass over the
   * weights for both); publishing a version and writing a checkpoint apply it first. Published every
   * 6 steps and checkpointed every 11, the service ends with the bits of an offline learner that
   * applied nothing early: the pending update is invisible.
   */
  @Test
  void batchOneSgdPublishesAndCheckpointsWithoutChangingABit() throws Exception {
    String name = "b1";
    ModelConfig mc = model(yaml(name, "input(4) dense(40) tanh dense(1)", "{name: sgd, lr: 0.01}", """
                batch.size: 1
                publish.every.steps: 6
                publish.every.ms: 0
                checkpoint.every.steps: 11
            """));
    assertThat(new OnlineLearner(mc.learnerConfig()).defersSgd()).as("the deferred path is what runs").isTrue();
    List<byte[]> all = lines(new SplittableRandom(59), 300, null);
    try (var runner = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000, vertx)) {
      runner.start();
      produce(bootstrap, name + ".train", all);
      await().atMost(WAIT).until(() -> runner.rowsTrained() == all.size());
    }
    var published = readAll(bootstrap, Topics.weights(name), 300 / 6);
    var last = SafeTensors.read(published.getLast().value());
    assertThat(last.metadata().get(SafeTensors.META_VERSION)).isEqualTo("300");
    OnlineLearner offline = OfflineReplay.replay(mc, all);
    float[] want = offline.liveParams();
    for (var t : offline.model().tensors()) {
      float[] got = last.tensor(t.name()).data();
      for (int i = 0; i < t.numel(); i++)
        assertThat(Float.floatToRawIntBits(got[i])).as("%s[%d]", t.name(), i)
            .isEqualTo(Float.floatToRawIntBits(want[t.offset() + i]));
    }
  }

}
