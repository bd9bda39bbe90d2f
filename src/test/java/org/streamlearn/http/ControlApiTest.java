package org.streamlearn.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.model.ModelView;

/**
 * {@code POST /models/{m}/control} over loopback against real Vert.x and real learners: bearer
 * authentication (off without a token, 401 with a challenge, 403 for a wrong token, checked before
 * anything else), the commands and their effect, every refusal as JSON naming the field, the
 * divergence event on the update stream, and the hardening of every answer (JSON content type,
 * nosniff, nothing reflected into HTML). Uses the JDK's HTTP client. Seeds: 31 (iris), 37 (line),
 * 41 (off), 43 (slow).
 */
class ControlApiTest {
  static final String TOKEN = "t0ken-for-tests-4f9c2a61b7e84d0d";
  static final Duration WAIT = Duration.ofSeconds(20);

  static Vertx vertx;
  static PrometheusMeterRegistry registry;
  static LearnedModel iris, line;
  static int port;
  static HttpClient http;
  static final ByteArrayOutputStream logs = new ByteArrayOutputStream();
  static PrintStream stderr;

  record Resp(int status, Map<String, List<String>> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    String header(String name) {
      return headers.getOrDefault(name.toLowerCase(java.util.Locale.ROOT), List.of()).stream().findFirst().orElse(null);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    System.out.println("seeds: iris 31, line 37, off 41, slow 43");
    // slf4j-simple writes to System.err as it is when a line is logged: keep a copy to search.
    stderr = System.err;
    PrintStream original = stderr;
    System.setErr(new PrintStream(new java.io.OutputStream() {
      @Override public void write(int b) {
        original.write(b);
        synchronized (logs) {
          logs.write(b);
        }
      }

      @Override public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        synchronized (logs) {
          logs.write(b, off, len);
        }
      }
    }, true, StandardCharsets.UTF_8));
    vertx = Vertx.vertx();
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    iris = LearnedModel.classifier(vertx, "iris", 31);
    line = LearnedModel.regressor(vertx, "line", 37);
    iris.trainAndPublish(160);
    line.trainAndPublish(160);
    port = deploy(new HttpOptions("127.0.0.1", 0, 1 << 20).withControlToken(TOKEN), List.of(iris, line));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (stderr != null) System.setErr(stderr);
    if (vertx != null) vertx.close().await(20, TimeUnit.SECONDS);
    for (LearnedModel m : new LearnedModel[] {iris, line}) if (m != null) m.shutdown();
  }

  static int deploy(HttpOptions options, List<? extends ModelView> models) throws Exception {
    var v = new HttpVerticle(options, models, registry);
    vertx.deployVerticle(v).await(20, TimeUnit.SECONDS);
    return v.actualPort();
  }

  static Resp send(int port, String method, String path, Map<String, String> headers, String body) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(WAIT)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Resp(r.statusCode(), r.headers().map(), r.body());
  }

  static Resp control(String model, String body) throws Exception {
    return control(port, model, body, "Bearer " + TOKEN);
  }

  static Resp control(int port, String model, String body, String authorization) throws Exception {
    var h = new java.util.LinkedHashMap<String, String>();
    h.put("Content-Type", "application/json");
    if (authorization != null) h.put("Authorization", authorization);
    return send(port, "POST", "/models/" + model + "/control", h, body);
  }

  static Resp get(String path) throws Exception {
    return send(port, "GET", path, Map.of(), null);
  }

  /** The JSON error shape, the hardening headers; returns the detail. */
  static String assertError(Resp r, int status) {
    assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    JsonObject o = r.json();
    assertThat(o.getString("error")).isNotBlank();
    assertThat(o.getString("detail")).isNotBlank();
    return o.getString("detail");
  }

  // ---- authentication

  @Test
  void withoutAConfiguredTokenTheEndpointIsOffAndSaysHowToTurnItOn() throws Exception {
    LearnedModel off = LearnedModel.classifier(vertx, "off", 41);
    try {
      int p = deploy(new HttpOptions("127.0.0.1", 0, 1 << 20), List.of(off));
      for (String auth : new String[] {null, "Bearer " + TOKEN, "Bearer "}) {
        Resp r = control(p, "off", "{\"action\":\"pause\"}", auth);
        assertThat(assertError(r, 403)).contains("http.control.token", "STREAMLEARN_HTTP_CONTROL_TOKEN", "Bearer");
        assertThat(r.json().getString("error")).isEqualTo("control disabled");
      }
      assertThat(off.status().trainingPaused()).isFalse();
    } finally {
      off.shutdown();
    }
  }

  @ParameterizedTest(name = "[{0}]")
  @CsvSource(nullValues = "NONE", value = {"NONE", "Basic dXNlcjpwYXNz", "Bearer", "'Bearer  '", "Token abcdefghijklmnopq",
      "'Bearer two words'"})
  void missingOrMalformedAuthorizationIs401WithABearerChallenge(String authorization) throws Exception {
    Resp r = control("iris", "{\"action\":\"pause\"}", authorization);
    assertThat(assertError(r, 401)).contains("Authorization: Bearer");
    assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"streamlearn\"");
    String credential = authorization == null ? "" : authorization.substring(authorization.indexOf(' ') + 1).strip();
    if (credential.length() > 8) assertThat(r.body()).as("never echoed").doesNotContain(credential);
    assertThat(iris.status().trainingPaused()).isFalse();
  }

  static Resp control(String model, String body, String authorization) throws Exception {
    return control(port, model, body, authorization);
  }

  @Test
  void aWrongTokenIs403AndNothingChanges() throws Exception {
    for (String wrong : List.of("Bearer x" + TOKEN, "Bearer " + TOKEN.substring(0, TOKEN.length() - 1),
        "Bearer " + TOKEN.toUpperCase(java.util.Locale.ROOT))) {
      Resp r = control("iris", "{\"action\":\"pause\"}", wrong);
      assertThat(assertError(r, 403)).doesNotContain(TOKEN);
      assertThat(r.header("WWW-Authenticate")).isNull();
    }
    assertThat(iris.status().trainingPaused()).isFalse();
    assertThat(control("iris", "{\"action\":\"resume\"}", "bearer " + TOKEN).status()).as("scheme is case-insensitive")
        .isEqualTo(200);
  }

  /** Without the token a client learns nothing else: not the models, not the body rules (only the size limit). */
  @Test
  void authenticationComesBeforeEveryOtherCheck() throws Exception {
    assertError(control("nope", "{\"action\":\"pause\"}", null), 401);
    assertError(control("nope", "{\"action\":\"pause\"}", "Bearer wrong-token-0123456789"), 403);
    assertError(send(port, "POST", "/models/iris/control", Map.of("Content-Type", "text/plain"), "pause"), 401);
    assertError(control("iris", "{\"action\":\"explode\"}", null), 401);
    assertError(control("iris", "x".repeat(100_000), "Bearer wrong-token-0123456789"), 413);
    assertThat(get("/health").status()).isEqualTo(200); // the refused body did not break the server
  }

  // ---- commands

  @Test
  void pauseStopsTrainingResumeContinuesAndBothShowInTheStatus() throws Exception {
    LearnedModel m = line;
    long v0 = m.trainAndPublish(32).version();
    Resp p = control("line", "{\"action\":\"pause\"}");
    assertThat(p.status()).as(p.body()).isEqualTo(200);
    assertThat(p.header("Content-Type")).isEqualTo("application/json");
    JsonObject body = p.json();
    assertThat(body.getString("model")).isEqualTo("line");
    assertThat(body.getString("action")).isEqualTo("pause");
    assertThat(body.getJsonObject("status").getBoolean("trainingPaused")).isTrue();
    assertThat(body.getJsonObject("status").getLong("step")).isEqualTo(v0);
    assertThat(get("/models/line").json().getJsonObject("status").getBoolean("trainingPaused")).isTrue();
    assertThat(m.trainAndPublish(64).version()).as("no training while paused").isEqualTo(v0);
    Resp again = control("line", "{\"action\":\"pause\"}");
    assertThat(again.status()).as("pausing twice is fine").isEqualTo(200);

    Resp r = control("line", "{\"action\":\"resume\"}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getJsonObject("status").getBoolean("trainingPaused")).isFalse();
    assertThat(m.trainAndPublish(32).version()).isEqualTo(v0 + 2);
  }

  @Test
  void lrSetsTheBaseRateAndResetStartsAgainKeepingTheVersionLine() throws Exception {
    LearnedModel m = iris;
    long v = m.trainAndPublish(32).version();
    Resp lr = control("iris", "{\"action\":\"lr\",\"value\":0.002}");
    assertThat(lr.status()).as(lr.body()).isEqualTo(200);
    assertThat(lr.json().getJsonObject("status").getDouble("learningRate")).isCloseTo(0.002, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(control("iris", "{\"action\": \"lr\", \"value\": 1}").json().getJsonObject("status").getDouble("learningRate"))
        .as("an integer value").isEqualTo(1.0);

    Resp reset = control("iris", "{\"action\":\"reset\"}");
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    JsonObject s = reset.json().getJsonObject("status");
    assertThat(s.getLong("step")).as("the version line is kept").isEqualTo(v);
    assertThat(s.getDouble("learningRate")).as("back to the configured rate").isCloseTo(0.01, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(m.trainAndPublish(16).version()).isEqualTo(v + 1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      malformed JSON          | {"action": "pause"               | malformed JSON
      not an object           | ["pause"]                        | JSON object
      empty body              | ''                               | malformed JSON
      missing action          | {}                               | "action" is required
      action not a string     | {"action": 1}                    | "action" must be a string
      unknown action          | {"action": "explode"}            | "action" = "explode" is not one of
      upper case action       | {"action": "PAUSE"}              | "action" = "PAUSE"
      value with pause        | {"action": "pause", "value": 1}  | "value" only goes with
      lr without value        | {"action": "lr"}                 | "value" must be a number
      lr value a string       | {"action": "lr", "value": "0.1"} | "value" must be a number
      lr value zero           | {"action": "lr", "value": 0}     | "value" = 0
      lr value negative       | {"action": "lr", "value": -0.5}  | "value" = -0.5
      lr value overflows      | {"action": "lr", "value": 1e999} | "value"
      lr beyond float range   | {"action": "lr", "value": 1e300} | value = 1.0E300
      unknown field           | {"action": "pause", "why": 1}    | field "why" is not allowed
      """)
  void badCommandsAre400NamingTheField(String name, String body, String expected) throws Exception {
    Resp r = control("iris", body);
    String detail = assertError(r, 400);
    assertThat(r.json().getString("error") + ": " + detail).contains(expected);
    assertThat(iris.status().trainingPaused()).isFalse();
  }

  @Test
  void unknownModelsAre404AndOtherMethods405() throws Exception {
    assertThat(assertError(control("nope", "{\"action\":\"pause\"}"), 404)).contains("\"nope\"");
    Resp r = get("/models/iris/control");
    assertError(r, 405);
    assertThat(r.header("Allow")).isEqualTo("POST");
  }

  @Test
  void bodiesMustBeJsonAndSmall() throws Exception {
    var auth = Map.of("Authorization", "Bearer " + TOKEN);
    var plain = new java.util.HashMap<>(auth);
    plain.put("Content-Type", "text/plain");
    assertThat(assertError(send(port, "POST", "/models/iris/control", plain, "{\"action\":\"pause\"}"), 415))
        .contains("text/plain", "application/json");
    assertError(send(port, "POST", "/models/iris/control", auth, "{\"action\":\"pause\"}"), 415);
    String big = "{\"action\":\"pause\",\"pad\":\"" + "x".repeat((int) ControlApi.BODY_LIMIT) + "\"}";
    assertThat(assertError(control("iris", big), 413)).contains("larger than the limit");
    assertThat(iris.status().trainingPaused()).isFalse();
  }

  @Test
  void aTrainerThatDoesNotAnswerInTimeIs503() throws Exception {
    LearnedModel slow = LearnedModel.classifier(vertx, "slow", 43);
    var release = new CountDownLatch(1);
    try {
      int p = deploy(new HttpOptions("127.0.0.1", 0, 1 << 20).withControlToken(TOKEN)
          .withControlTimeout(Duration.ofMillis(300)), List.of(slow));
      slow.blockTrainer(release);
      Resp r = control(p, "slow", "{\"action\":\"pause\"}", "Bearer " + TOKEN);
      assertThat(assertError(r, 503)).contains("300 ms", "may still take effect");
      release.countDown();
      await().atMost(WAIT).until(() -> slow.status().trainingPaused()); // it was queued, and is applied late
    } finally {
      release.countDown();
      slow.shutdown();
    }
  }

  // ---- divergence events

  @Test
  void anAbsurdRateMakesTheGuardFireAndTheStreamCarriesTheEvent() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/models/iris/updates")).build();
    // Read on a thread of its own: thenAccept would run the endless read on this thread when the
    // response is already there (a CI run hung on that).
    var stream = http.sendAsync(req, HttpResponse.BodyHandlers.ofLines())
        .thenAcceptAsync(r -> r.body().forEach(lines::add), t -> Thread.ofPlatform().daemon(true).name("sse-reader").start(t));
    try {
      await().atMost(WAIT).until(() -> lines.contains("event: version"));
      long before = iris.divergences();
      assertThat(control("iris", "{\"action\":\"lr\",\"value\":1e30}").status()).isEqualTo(200);
      for (int i = 0; i < 20 && iris.divergences() == before; i++) iris.trainAndPublish(64);
      assertThat(iris.divergences()).as("divergences after lr 1e30").isGreaterThan(before);
      await().atMost(WAIT).until(() -> lines.contains("event: divergence"));
      int at = lines.indexOf("event: divergence");
      String data = lines.get(at + 1);
      assertThat(data).startsWith("data: {");
      JsonObject d = new JsonObject(data.substring(6));
      assertThat(d.fieldNames()).contains("count", "step", "cause", "loss", "lrBefore", "lrAfter", "rolledBackTo", "time");
      assertThat(d.getLong("count")).isEqualTo(before + 1);
      assertThat(d.getDouble("lrBefore")).isGreaterThan(1e29);
      assertThat(d.getDouble("lrAfter")).isEqualTo(d.getDouble("lrBefore") * 0.5, org.assertj.core.api.Assertions.offset(d.getDouble("lrBefore") * 1e-6));
      assertThat(d.getLong("rolledBackTo")).isLessThanOrEqualTo(d.getLong("step"));
      for (float w : iris.latest().snapshot().params()) assertThat(w).isFinite();
    } finally {
      stream.cancel(true);
      control("iris", "{\"action\":\"reset\"}");
    }
  }

  // ---- hardening of every answer

  /** User input only ever comes back inside JSON strings, typed application/json with nosniff: never as HTML. */
  @Test
  void nothingReflectsUserInputIntoHtml() throws Exception {
    String evil = "<script>alert(1)</script>";
    String enc = URLEncoder.encode(evil, StandardCharsets.UTF_8).replace("+", "%20");
    List<Resp> answers = new ArrayList<>();
    for (String path : List.of("/models/" + enc, "/models/" + enc + "/weights", "/models/" + enc + "/updates",
        "/models/" + enc + "/checkpoint", "/" + enc, "/web/" + enc, "/models/iris/" + enc))
      answers.add(get(path));
    answers.add(send(port, "POST", "/models/" + enc + "/predict", Map.of("Content-Type", "application/json"), "{\"x\":[1]}"));
    answers.add(send(port, "POST", "/models/iris/predict", Map.of("Content-Type", "text/html"), evil));
    answers.add(send(port, "POST", "/models/iris/predict", Map.of("Content-Type", "application/json"),
        "{\"x\": [[1, \"" + evil + "\", 3, 4]]}"));
    answers.add(control(enc, "{\"action\":\"pause\"}"));
    answers.add(control("iris", "{\"action\":\"" + evil + "\"}"));
    answers.add(control("iris", "{\"" + evil + "\": 1, \"action\": \"pause\"}"));
    int echoed = 0;
    for (Resp r : answers) {
      assertThat(r.status()).as(r.body()).isBetween(400, 499);
      assertThat(r.header("Content-Type")).as(r.body()).isEqualTo("application/json");
      assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
      assertThat(r.body()).as("markup characters escaped").doesNotContain("<", ">");
      if (r.json().encode().contains(evil)) echoed++; // parses: data, not markup
    }
    assertThat(echoed).as("answers that name the input (as JSON data)").isPositive();
    assertThat(get("/").header("Content-Type")).isEqualTo("text/html; charset=utf-8"); // the only HTML, a constant file
  }

  /**
   * Requests refused below the router (an unencoded {@code <} in the target, a target longer than
   * Vert.x's line limit, a bad header): whatever the status, never HTML and never the input echoed.
   */
  @Test
  void requestsRefusedBelowTheRouterEchoNothing() throws Exception {
    String evil = "<script>alert(1)</script>";
    for (String head : List.of("GET /models/" + evil + " HTTP/1.1\r\nHost: x\r\n",
        "GET /models/" + evil + "x".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n",
        "GET /models/iris HTTP/1.1\r\nHost: x\r\nX-" + evil + ": 1\r\n",
        "POST /models/iris/control HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nAuthorization: " + evil + "\r\n")) {
      String answer = raw(head + "Connection: close\r\n\r\n");
      String first = answer.lines().findFirst().orElse("");
      assertThat(first).matches("HTTP/1\\.[01] 4\\d\\d .*");
      assertThat(answer).as(first).doesNotContain("<script").doesNotContainIgnoringCase("text/html");
      System.out.println("raw request refused below the router: " + first);
    }
  }

  /** Sends bytes on a fresh connection and reads the answer until the server closes (or 5 s pass). */
  static String raw(String request) throws Exception {
    try (var socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      var out = new ByteArrayOutputStream();
      try {
        socket.getInputStream().transferTo(out);
      } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
        // a server that keeps the connection open, or resets it: what arrived is the answer
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** The token is never served (model views, readiness, metrics) nor logged, whatever happened above. */
  @Test
  void theTokenIsNeverServedOrLogged() throws Exception {
    control("iris", "{\"action\":\"pause\"}");
    control("iris", "{\"action\":\"resume\"}");
    control("iris", "{\"action\":\"pause\"}", "Bearer not-the-right-token-123");
    for (String path : List.of("/models", "/models/iris", "/ready", "/metrics"))
      assertThat(get(path).body()).as(path).doesNotContain(TOKEN);
    assertThat(new HttpOptions("h", 1, 1).withControlToken(TOKEN).toString()).doesNotContain(TOKEN).contains("******");
    String logged;
    synchronized (logs) {
      logged = logs.toString(StandardCharsets.UTF_8);
    }
    assertThat(logged).as("log capture works").contains("control pause applied", "wrong bearer token");
    assertThat(logged).doesNotContain(TOKEN).doesNotContain("not-the-right-token-123");
  }
}
