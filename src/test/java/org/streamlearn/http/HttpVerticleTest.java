package org.streamlearn.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.learn.Predictor;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;

/**
 * The HTTP API over loopback against real Vert.x, a real Prometheus registry and real learners
 * (three models: a classifier and a regressor trained on a few hundred synthetic examples, and one
 * that never publishes). Seeds: 7 (classifier), 11 (regressor), 13 (unpublished).
 */
class HttpVerticleTest {
  static final long BODY_LIMIT = 4096;
  static final int MAX_ROWS = 32;

  static Vertx vertx;
  static HttpClientAgent client;
  static PrometheusMeterRegistry registry;
  static LearnedModel iris, line, fresh;
  static HttpVerticle verticle;
  static int port;

  record Resp(int status, MultiMap headers, Buffer body) {
    JsonObject json() {
      if (body.length() == 0) throw new AssertionError("empty body, status " + status + ", headers " + headers.entries());
      return body.toJsonObject();
    }

    String type() {
      return headers.get("Content-Type");
    }
  }

  @BeforeAll
  static void start() throws Exception {
    System.out.println("seeds: classifier 7, regressor 11, unpublished 13");
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    iris = LearnedModel.classifier(vertx, "iris", 7);
    line = LearnedModel.regressor(vertx, "line", 11);
    fresh = LearnedModel.classifier(vertx, "fresh", 13);
    for (int i = 0; i < 3; i++) {
      iris.trainAndPublish(160);
      line.trainAndPublish(160);
    }
    var options = new HttpOptions("127.0.0.1", 0, BODY_LIMIT).withMaxBatchRows(MAX_ROWS)
        .withHeartbeat(Duration.ofMillis(200));
    verticle = new HttpVerticle(options, List.of(iris, line, fresh), registry);
    vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
    port = verticle.actualPort();
    assertThat(port).isPositive();
    client = vertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().await(20, TimeUnit.SECONDS);
    for (LearnedModel m : List.of(iris, line, fresh)) if (m != null) m.shutdown();
  }

  static Resp call(HttpMethod method, String path, Map<String, String> headers, Buffer body) throws Exception {
    return onLoop(() -> client.request(method, port, "127.0.0.1", path)
        .compose(req -> {
          headers.forEach(req::putHeader);
          return body == null ? req.send() : req.send(body);
        })
        .compose(res -> res.body().map(b -> new Resp(res.statusCode(), res.headers(), b))));
  }

  /**
   * Runs a client exchange from an event-loop context and waits for it. Chained from the test
   * thread instead, a step can be attached after the response (or a chunk) arrived, and the body is
   * lost: the answer then looks empty.
   */
  static <T> T onLoop(java.util.function.Supplier<io.vertx.core.Future<T>> exchange) throws Exception {
    io.vertx.core.Promise<T> done = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> exchange.get().onComplete(done));
    return done.future().await(20, TimeUnit.SECONDS);
  }

  static Resp get(String path) throws Exception {
    return call(HttpMethod.GET, path, Map.of(), null);
  }

  static Resp predict(String model, String json) throws Exception {
    return call(HttpMethod.POST, "/models/" + model + "/predict", Map.of("Content-Type", "application/json"),
        Buffer.buffer(json));
  }

  /** Asserts the JSON error shape and returns the detail. */
  static String assertError(Resp r, int status) {
    assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.type()).startsWith("application/json");
    JsonObject o = r.json();
    assertThat(o.getString("error")).isNotBlank();
    assertThat(o.getString("detail")).isNotBlank();
    return o.getString("detail");
  }

  // ---- posted records without a token

  @Test
  void postedRecordsNeedNoTokenOnALoopbackListenerOnly() throws Exception {
    // No token configured and the server on 127.0.0.1: the request passes authorization and reaches
    // the model, which here has no Kafka intake (501), instead of the 403 of a closed endpoint.
    Resp r = call(HttpMethod.POST, "/models/iris/records", Map.of("Content-Type", "text/plain"),
        Buffer.buffer("5.1,3.5,1.4,0.2,0\n"));
    assertThat(assertError(r, 501)).contains("iris");
    for (String open : List.of("127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"))
      assertThat(HttpOptions.loopback(open)).as(open).isTrue();
    for (String closed : List.of("0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "128.0.0.1", "127.example.org"))
      assertThat(HttpOptions.loopback(closed)).as(closed).isFalse();
  }

  // ---- happy paths

  @Test
  void checkpointIsDescribedOr404() throws Exception {
    assertThat(assertError(get("/models/nope/checkpoint"), 404)).contains("nope");
    Resp none = get("/models/iris/checkpoint");
    assertError(none, 404);
    assertThat(none.json().getString("error")).isEqualTo("no checkpoint");
    Map<String, Object> c = new java.util.LinkedHashMap<>();
    c.put("file", "/data/checkpoints/line/line-00000000000000000042.ckpt");
    c.put("step", 42L);
    c.put("examples", 672L);
    c.put("created", "2026-01-01T00:00:00Z");
    c.put("offsets", Map.of("examples-line-0", 672L));
    c.put("size_bytes", 1234L);
    line.checkpoint = c;
    try {
      Resp r = get("/models/line/checkpoint");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.type()).startsWith("application/json");
      JsonObject o = r.json();
      assertThat(o.fieldNames()).containsExactly("file", "step", "examples", "created", "offsets", "size_bytes");
      assertThat(o.getLong("step")).isEqualTo(42);
      assertThat(o.getJsonObject("offsets").getLong("examples-line-0")).isEqualTo(672);
      assertThat(o.getLong("size_bytes")).isEqualTo(1234);
    } finally {
      line.checkpoint = null;
    }
  }

  @Test
  void healthIsUp() throws Exception {
    Resp r = get("/health");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.type()).startsWith("application/json");
    assertThat(r.json().getString("status")).isEqualTo("UP");
  }

  @Test
  void listsEveryModelWithVersionAndMetrics() throws Exception {
    Resp r = get("/models");
    assertThat(r.status()).isEqualTo(200);
    JsonArray a = r.body().toJsonArray();
    assertThat(a.stream().map(o -> ((JsonObject) o).getString("name"))).containsExactly("iris", "line", "fresh");
    JsonObject first = a.getJsonObject(0);
    assertThat(first.getString("spec")).isEqualTo(iris.spec());
    assertThat(first.getLong("version")).isGreaterThanOrEqualTo(iris.latest().version() - 100).isPositive();
    assertThat(first.getLong("examples")).isPositive();
    assertThat(first.getJsonObject("metrics").getDouble("lossEwma")).isPositive();
    JsonObject unpublished = a.getJsonObject(2);
    assertThat(unpublished.containsKey("version")).isTrue();
    assertThat(unpublished.getValue("version")).isNull();
  }

  @Test
  void describesOneModel() throws Exception {
    Snapshot s = iris.latest().snapshot();
    JsonObject o = get("/models/iris").json();
    assertThat(o.getString("spec")).isEqualTo("input(4) dense(8) relu dense(3)");
    assertThat(o.getJsonObject("describe").getString("loss")).isEqualTo("cross_entropy");
    assertThat(o.getJsonObject("describe").getJsonArray("topics")).containsExactly("examples-iris");
    assertThat(o.getLong("version")).isGreaterThanOrEqualTo(s.version());
    JsonObject m = o.getJsonObject("metrics");
    assertThat(m.fieldNames()).containsExactlyInAnyOrder("examples", "skipped", "window", "lossEwma", "lossWindow",
        "accuracyEwma", "accuracyWindow", "maeWindow", "rmseWindow", "all", "sinceReset");
    assertThat(m.getDouble("accuracyWindow")).isBetween(0.0, 1.0);
    assertThat(m.getJsonObject("all").fieldNames()).containsExactlyInAnyOrder("examples", "loss", "accuracy", "mae", "rmse");
    assertThat(m.getJsonObject("all").getLong("examples")).isEqualTo(m.getLong("examples"));
    assertThat(m.getJsonObject("all").getDouble("accuracy")).isBetween(0.0, 1.0);
    assertThat(m.getJsonObject("sinceReset").getLong("examples")).as("no reset yet").isEqualTo(m.getLong("examples"));
    assertThat(m.getValue("maeWindow")).as("NaN for classification becomes null").isNull();
    assertThat(o.getJsonObject("status").getBoolean("ready")).isTrue();
    assertThat(o.getJsonObject("status").fieldNames())
        .containsExactlyInAnyOrder("ready", "paused", "examplesPerSecond", "lag", "problem", "trainingPaused", "step",
            "learningRate");
    assertThat(o.getJsonObject("status").getBoolean("trainingPaused")).isFalse();
    assertThat(o.getDouble("learningRate")).isEqualTo(0.01, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(o.getDouble("gradNorm")).isPositive();
    assertThat(o.getLong("divergences")).isZero();
    assertThat(o.getString("created")).isNotBlank();

    JsonObject reg = get("/models/line").json();
    assertThat(reg.getJsonObject("metrics").getValue("accuracyEwma")).as("NaN for regression").isNull();
    assertThat(reg.getJsonObject("metrics").getDouble("rmseWindow")).isPositive();
  }

  @Test
  void weightsAreTheLatestSafetensorsWithAnEtag() throws Exception {
    Published p = iris.latest();
    Resp r = get("/models/iris/weights");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.type()).isEqualTo("application/octet-stream");
    // "<incarnation>-<version>": the version alone may name other weights after a restart.
    var tag = java.util.regex.Pattern.compile("\"([0-9a-z]+)-(\\d+)\"").matcher(r.headers().get("ETag"));
    assertThat(tag.matches()).as(r.headers().get("ETag")).isTrue();
    long v = Long.parseLong(tag.group(2));
    String inc = tag.group(1);
    assertThat(inc).isEqualTo(iris.latest().incarnation());
    Published now = iris.latest();
    if (now.version() == v) assertThat(r.body().getBytes()).isEqualTo(now.safetensors());
    var contents = SafeTensors.read(r.body().getBytes());
    assertThat(contents.metadata()).containsEntry(SafeTensors.META_VERSION, Long.toString(v));
    assertThat(contents.tensor("layers.0.weight").shape()).containsExactly(8, 4);
    assertThat(v).isGreaterThanOrEqualTo(p.version());

    Resp same = call(HttpMethod.GET, "/models/iris/weights", Map.of("If-None-Match", "\"" + inc + "-" + v + "\""), null);
    assertThat(same.status()).isEqualTo(304);
    assertThat(same.body().length()).isZero();
    assertThat(same.headers().get("ETag")).isEqualTo("\"" + inc + "-" + v + "\"");

    Resp bare = call(HttpMethod.GET, "/models/iris/weights", Map.of("If-None-Match", "\"" + v + "\""), null);
    assertThat(bare.status()).as("the version alone is not the tag").isEqualTo(200);
    Resp other = call(HttpMethod.GET, "/models/iris/weights", Map.of("If-None-Match", "\"" + inc + "-" + (v - 1) + "\""), null);
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.body().length()).isEqualTo(r.body().length());
  }

  @Test
  void weightsBeforeTheFirstPublishAre503() throws Exception {
    assertThat(assertError(get("/models/fresh/weights"), 503)).contains("fresh");
  }

  @Test
  void predictAnswersLikeThePredictorOnTheLatestSnapshot() throws Exception {
    float[][] rows = {{2, 0, 0, 0}, {0, 2.1f, -0.3f, 0.2f}, {0.1f, 0, 1.9f, 0}, {-1.5f, 0.25f, 3, 1e-3f}};
    Snapshot s = iris.latest().snapshot();
    Resp r = predict("iris", new JsonObject().put("x", toJson(rows)).encode());
    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    JsonObject o = r.json();
    assertThat(o.getLong("version")).isEqualTo(s.version());

    Model model = Model.of(ModelSpec.parse(s.spec()));
    float[] x = new float[rows.length * 4], expected = new float[rows.length * 3];
    for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, x, 4 * i, 4);
    s.scaling().applyInput(rows.length, x, 0);
    new Predictor(model, 3).predict(s.params(), rows.length, x, 0, expected, 0);

    JsonArray outputs = o.getJsonArray("outputs"), classes = o.getJsonArray("classes"), probs = o.getJsonArray("probabilities");
    assertThat(outputs).hasSize(rows.length);
    for (int i = 0; i < rows.length; i++) {
      JsonArray row = outputs.getJsonArray(i);
      // JSON carries the shortest decimal that reads back as the same float: equality is exact.
      for (int j = 0; j < 3; j++) assertThat(row.getDouble(j).floatValue()).isEqualTo(expected[3 * i + j]);
      assertThat(classes.getInteger(i)).isEqualTo(Predictor.argmax(expected, 3 * i, 3));
      double sum = 0;
      for (int j = 0; j < 3; j++) sum += probs.getJsonArray(i).getDouble(j);
      assertThat(sum).as("softmax row sums to 1 within float rounding").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }
    // Trained on separable blobs: the first three rows sit on their class centres.
    assertThat(classes.getInteger(0)).isEqualTo(0);
    assertThat(classes.getInteger(1)).isEqualTo(1);
    assertThat(classes.getInteger(2)).isEqualTo(2);
  }

  @Test
  void predictAcceptsOneVectorAndRegressionHasNoClasses() throws Exception {
    JsonObject one = predict("iris", "{\"x\": [2, 0, 0, 0]}").json();
    assertThat(one.getJsonArray("outputs")).hasSize(1);
    assertThat(one.getJsonArray("classes").getInteger(0)).isEqualTo(0);

    Resp r = predict("line", "{\"x\": [[1, 0, 0, 0], [0, 1, 0, 0]], \"id\": \"ignored\"}");
    assertThat(r.status()).isEqualTo(200);
    JsonObject o = r.json();
    assertThat(o.getJsonArray("outputs").getJsonArray(0)).hasSize(2);
    assertThat(o.containsKey("classes")).isFalse();
    assertThat(o.containsKey("probabilities")).isFalse();
  }

  @Test
  void concurrentPredictionsAgreeWithOneAnother() throws Exception {
    // Worker threads each use their own Predictor: 24 requests in flight must all see the same answer.
    String body = "{\"x\": [[0.5, 1.5, -0.5, 2], [2, 0, 0, 0]]}";
    long v = iris.latest().version();
    var futures = new ArrayList<io.vertx.core.Future<Buffer>>();
    onLoop(() -> {
      for (int i = 0; i < 24; i++)
        futures.add(client.request(HttpMethod.POST, port, "127.0.0.1", "/models/iris/predict")
            .compose(req -> req.putHeader("Content-Type", "application/json").send(body))
            .compose(HttpClientResponse::body));
      return io.vertx.core.Future.all(futures);
    });
    JsonObject first = futures.get(0).result().toJsonObject();
    assertThat(first.getLong("version")).isEqualTo(v);
    for (var f : futures) assertThat(f.result().toJsonObject()).isEqualTo(first);
  }

  @Test
  void ifNoneMatchAcceptsListsWeakTagsAndStar() {
    assertThat(HttpVerticle.matches("\"3\"", "\"3\"")).isTrue();
    assertThat(HttpVerticle.matches("\"1\", W/\"3\"", "\"3\"")).isTrue();
    assertThat(HttpVerticle.matches("*", "\"3\"")).isTrue();
    assertThat(HttpVerticle.matches("\"33\"", "\"3\"")).isFalse();
    assertThat(HttpVerticle.matches(null, "\"3\"")).isFalse();
  }

  @Test
  void describeValuesBecomePlainJson() {
    var in = new java.util.LinkedHashMap<String, Object>();
    in.put("nan", Double.NaN);
    in.put("f", 0.5f);
    in.put("nested", Map.of("list", List.of(1, Double.POSITIVE_INFINITY)));
    in.put("other", Duration.ofSeconds(2));
    String json = new JsonObject(ModelJson.plain(in)).encode();
    assertThat(json).isEqualTo("{\"nan\":null,\"f\":0.5,\"nested\":{\"list\":[1,null]},\"other\":\"PT2S\"}");
  }

  @Test
  void readyIs200WhenEveryModelIsReadyAnd503NamingTheProblemOtherwise() throws Exception {
    Resp ok = get("/ready");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().getJsonObject("models").fieldNames()).containsExactly("iris", "line", "fresh");
    fresh.setStatus(new Status(false, false, 0, -1, "no partitions assigned for topic <examples>"));
    try {
      Resp r = get("/ready");
      assertThat(assertError(r, 503)).contains("fresh", "no partitions assigned for topic <examples>");
      assertThat(r.json().getJsonObject("problems").fieldNames()).containsExactly("fresh");
      assertThat(get("/health").status()).isEqualTo(200);
    } finally {
      fresh.setStatus(new Status(true, false, 0, 0, null));
    }
  }

  @Test
  void aReadyModelWithAProblemIsDegradedNotUnready() throws Exception {
    assertThat(get("/ready").json().containsKey("degraded")).isFalse();
    String p = "checkpoints failing: cannot write to /ckpt/fresh: Read-only file system";
    fresh.setStatus(new Status(true, false, 0, 0, p));
    try {
      Resp r = get("/ready");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getString("status")).isEqualTo("READY");
      assertThat(r.json().getJsonObject("degraded").getMap()).containsExactly(java.util.Map.entry("fresh", p));
      assertThat(r.json().getJsonObject("models").getJsonObject("fresh").getString("problem")).isEqualTo(p);
    } finally {
      fresh.setStatus(new Status(true, false, 0, 0, null));
    }
  }

  @Test
  void metricsArePrometheusTextWithTheRegistrysMeters() throws Exception {
    Counter.builder("streamlearn.test.marker").register(registry).increment(3);
    get("/health");
    Resp r = get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.type()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(r.body().toString()).contains("streamlearn_test_marker_total 3.0")
        .contains("streamlearn_http_requests_seconds_count{method=\"GET\",route=\"/health\",status=\"200\"}");
  }

  /** The page and its files: own content types, a strict policy, nothing from elsewhere, no markup from data. */
  @Test
  void indexIsTheBuiltInPageWithItsOwnScriptUnderAStrictPolicy() throws Exception {
    Resp r = get("/");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.type()).isEqualTo("text/html; charset=utf-8");
    assertThat(r.headers().get("Content-Security-Policy")).isEqualTo(HttpVerticle.PAGE_POLICY)
        .startsWith("default-src 'none'; script-src 'self';").doesNotContain("unsafe", "*");
    assertThat(r.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(r.body().toString()).contains("<script src=\"/web/page.js\" defer></script>",
        "href=\"/web/page.css\"", "<main id=\"models\">").doesNotContain("http://", "https://", "<script>", "style=");
    var files = Map.of("/web/page.js", "text/javascript; charset=utf-8", "/web/page.css", "text/css; charset=utf-8",
        "/web/icon.svg", "image/svg+xml");
    for (var f : files.entrySet()) {
      Resp x = get(f.getKey());
      assertThat(x.status()).as(f.getKey()).isEqualTo(200);
      assertThat(x.type()).as(f.getKey()).isEqualTo(f.getValue());
      assertThat(x.headers().get("Content-Security-Policy")).isEqualTo(HttpVerticle.PAGE_POLICY);
    }
    String js = get("/web/page.js").body().toString();
    assertThat(js).contains("new EventSource(", "/updates", "textContent").doesNotContain("innerHTML", "outerHTML",
        "insertAdjacentHTML", "document.write", "eval(", "https://");
    assertThat(get("/web/nope.js").status()).isEqualTo(404);
  }

  // ---- server-sent events

  @Test
  void updatesStreamOneEventPerVersionAndUnregistersOnDisconnect() throws Exception {
    assertThat(verticle.updateStreams("iris")).isZero();
    var text = new StringBuffer();
    HttpClientResponse res = stream(port, "/models/iris/updates", text);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.getHeader("Content-Type")).startsWith("text/event-stream");
    assertThat(res.getHeader("Cache-Control")).isEqualTo("no-cache");

    long first = iris.latest().version();
    await().atMost(Duration.ofSeconds(10)).until(() -> ids(text).contains(first));
    assertThat(verticle.updateStreams("iris")).isEqualTo(1);
    long v2 = iris.trainAndPublish(48).version();
    long v3 = iris.trainAndPublish(48).version();
    await().atMost(Duration.ofSeconds(10)).until(() -> ids(text).contains(v3));
    assertThat(ids(text)).containsExactly(first, v2, v3);
    JsonObject last = events(text).get(2);
    assertThat(last.getLong("version")).isEqualTo(v3);
    assertThat(last.fieldNames()).contains("version", "examples", "metrics", "learningRate", "gradNorm", "created");
    assertThat(last.getJsonObject("metrics").getLong("examples")).isPositive();
    assertThat(text.toString()).contains("event: version\nid: " + v3 + "\ndata: {");
    await().atMost(Duration.ofSeconds(10)).until(() -> text.toString().contains(": heartbeat\n\n"));

    res.request().connection().close().await(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> verticle.updateStreams("iris") == 0);
  }

  @Test
  void updatesOfAModelWithoutVersionsWaitForTheFirst() throws Exception {
    LearnedModel solo = LearnedModel.classifier(vertx, "solo", 17);
    var v = new HttpVerticle(new HttpOptions("127.0.0.1", 0, BODY_LIMIT), List.of(solo), registry);
    String id = vertx.deployVerticle(v).await(20, TimeUnit.SECONDS);
    try {
      var text = new StringBuffer();
      stream(v.actualPort(), "/models/solo/updates", text);
      await().atMost(Duration.ofSeconds(10)).until(() -> v.updateStreams("solo") == 1);
      assertThat(v.busConsumers()).hasSize(3).allMatch(c -> c.isRegistered());
      assertThat(ids(text)).isEmpty();
      long v1 = solo.trainAndPublish(32).version();
      await().atMost(Duration.ofSeconds(10)).until(() -> ids(text).contains(v1));
      assertThat(ids(text)).containsExactly(v1);
    } finally {
      vertx.undeploy(id).await(20, TimeUnit.SECONDS);
      solo.shutdown();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> v.updateStreams("solo") == 0);
    assertThat(v.busConsumers()).hasSize(3).noneMatch(c -> c.isRegistered()); // unregistered when it stopped
  }

  /**
   * Opens an event stream. The request is made from an event-loop context so the body handler is
   * set on that loop as the response head arrives: chained from the test thread, a chunk sent with
   * the head could be delivered before the handler exists, and be lost.
   */
  static HttpClientResponse stream(int port, String path, StringBuffer text) throws Exception {
    return onLoop(() -> client.request(HttpMethod.GET, port, "127.0.0.1", path)
        .compose(req -> req.send())
        .map(res -> res.handler(b -> text.append(b.toString()))));
  }

  static final Pattern ID = Pattern.compile("^id: (\\d+)$", Pattern.MULTILINE);
  static final Pattern DATA = Pattern.compile("^data: (.*)$", Pattern.MULTILINE);

  static List<Long> ids(CharSequence text) {
    var out = new ArrayList<Long>();
    Matcher m = ID.matcher(text);
    while (m.find()) out.add(Long.parseLong(m.group(1)));
    return out;
  }

  static List<JsonObject> events(CharSequence text) {
    var out = new ArrayList<JsonObject>();
    Matcher m = DATA.matcher(text);
    while (m.find()) out.add(new JsonObject(m.group(1)));
    return out;
  }

  // ---- errors

  @Test
  void unknownModelsAre404NamingTheModel() throws Exception {
    for (String path : List.of("/models/nope", "/models/nope/weights", "/models/nope/updates"))
      assertThat(assertError(get(path), 404)).contains("\"nope\"", "iris");
    assertThat(assertError(predict("nope", "{\"x\": [1, 2, 3, 4]}"), 404)).contains("nope");
  }

  @Test
  void unknownRoutesAre404AndWrongMethods405() throws Exception {
    assertThat(assertError(get("/nothing/<here>"), 404)).contains("/nothing/<here>");
    Resp post = call(HttpMethod.POST, "/health", Map.of(), Buffer.buffer("{}"));
    assertThat(assertError(post, 405)).contains("POST", "/health", "allowed: GET");
    assertThat(post.headers().get("Allow")).isEqualTo("GET");
    assertError(call(HttpMethod.DELETE, "/models/iris", Map.of(), null), 405);
    Resp getPredict = get("/models/iris/predict");
    assertError(getPredict, 405);
    assertThat(getPredict.headers().get("Allow")).isEqualTo("POST");
  }

  @Test
  void predictNeedsJson() throws Exception {
    Resp r = call(HttpMethod.POST, "/models/iris/predict", Map.of("Content-Type", "text/plain"), Buffer.buffer("1,2,3,4"));
    assertThat(assertError(r, 415)).contains("text/plain");
    assertError(call(HttpMethod.POST, "/models/iris/predict", Map.of(), Buffer.buffer("{\"x\": [1, 2, 3, 4]}")), 415);
    Resp charset = call(HttpMethod.POST, "/models/iris/predict", Map.of("Content-Type", "application/json; charset=utf-8"),
        Buffer.buffer("{\"x\": [1, 2, 3, 4]}"));
    assertThat(charset.status()).isEqualTo(200);
  }

  @Test
  void bodiesOverTheLimitAre413() throws Exception {
    var sb = new StringBuilder("{\"x\": [");
    while (sb.length() <= BODY_LIMIT) sb.append("[1.000001, 2.000001, 3.000001, 4.000001],");
    sb.setLength(sb.length() - 1);
    sb.append("]}");
    assertError(predict("iris", sb.toString()), 413);
  }

  @Test
  void aRefusedBodyDoesNotSpillIntoTheNextRequest() throws Exception {
    // One pooled connection: the unread rest of a refused body must not be parsed as a request.
    HttpClientAgent one = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(true),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
    try {
      String big = "{\"x\": [" + "[1, 2, 3, 4],".repeat((int) BODY_LIMIT / 12) + "[1, 2, 3, 4]]}";
      for (String type : List.of("application/json", "text/plain")) {
        int refused = onLoop(() -> one.request(HttpMethod.POST, port, "127.0.0.1", "/models/iris/predict")
            .compose(req -> req.putHeader("Content-Type", type).send(big)).compose(r -> r.body().map(b -> r.statusCode())));
        assertThat(refused).isIn(413, 415);
        Buffer next = onLoop(() -> one.request(HttpMethod.GET, port, "127.0.0.1", "/health").compose(req -> req.send())
            .compose(HttpClientResponse::body));
        assertThat(next.toJsonObject().getString("status")).isEqualTo("UP");
      }
    } finally {
      one.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void batchesOverTheRowLimitAre413() throws Exception {
    var rows = new float[MAX_ROWS + 1][4];
    assertThat(assertError(predict("iris", new JsonObject().put("x", toJson(rows)).encode()), 413))
        .contains(Integer.toString(MAX_ROWS));
    assertThat(predict("iris", new JsonObject().put("x", toJson(new float[MAX_ROWS][4])).encode()).status()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      malformed JSON           | {"x": [[1, 2, 3, 4]         | malformed JSON
      NaN token                | {"x": [NaN, 1, 2, 3]        | malformed JSON
      not an object            | [[1, 2, 3, 4]]              | JSON object
      missing x                | {"y": [[1, 2, 3, 4]]}       | missing field "x"
      x not an array           | {"x": "1,2,3,4"}            | "x" must be an array
      empty x                  | {"x": []}                   | "x" is empty
      short row                | {"x": [[1, 2, 3, 4], [1, 2, 3]]} | x[1] has 3 features, model iris expects 4
      long vector              | {"x": [1, 2, 3, 4, 5]}      | x has 5 features, model iris expects 4
      string feature           | {"x": [[1, "2", 3, 4]]}     | x[0][1] must be a number, got the string "2"
      overflows float          | {"x": [[1, 2, 1e39, 4]]}    | x[0][2] = 1e39 is not a finite float32
      overflows double         | {"x": [[1, 2, 3, -1e999]]}  | x[0][3] = -1e999 is not a finite float32
      empty body               | ''                          | JSON object
      """)
  void badPredictRequestsAre400(String name, String body, String expected) throws Exception {
    Resp r = predict("iris", body);
    String detail = assertError(r, 400);
    assertThat(r.json().getString("error") + ": " + detail).contains(expected);
  }

  @Test
  void predictBeforeTheFirstPublishIs503() throws Exception {
    assertError(predict("fresh", "{\"x\": [1, 2, 3, 4]}"), 503);
  }

  @Test
  void aPortInUseFailsDeployment() {
    var again = new HttpVerticle(new HttpOptions("127.0.0.1", port, BODY_LIMIT), List.of(iris), registry);
    assertThatThrownBy(() -> vertx.deployVerticle(again).await(20, TimeUnit.SECONDS))
        .hasMessageContaining("ddress already in use");
    assertThat(again.actualPort()).isEqualTo(-1);
  }

  static JsonArray toJson(float[][] rows) {
    var a = new JsonArray();
    for (float[] r : rows) {
      var row = new JsonArray();
      for (float f : r) row.add(f);
      a.add(row);
    }
    return a;
  }
}
