package org.streamlearn.http;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.Drift;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelView;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * The HTTP API: models, their weights, live updates and divergences as server-sent events,
 * predictions, control behind a bearer token ({@link ControlApi}), health, readiness and Prometheus
 * metrics. Every error is JSON ({@link HttpErrors}); every answer says nosniff. The event loop only
 * moves bytes: request parsing, inference and the metrics scrape run on worker threads, control
 * commands on the model's trainer thread. It knows a model only as a {@link ModelView} (figures,
 * latest version, checkpoint, intake) and through its event-bus addresses ({@link ModelEvents}):
 * versions, divergences and drifts arrive on local consumers, commands go out as requests.
 *
 * <p>Deploy with {@code vertx.deployVerticle(new HttpVerticle(options, models, registry))}: the
 * deployment fails when the port cannot be bound; {@link #actualPort()} then tells the port (useful
 * with port 0).
 */
public final class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final java.util.regex.Pattern POST_PATH = java.util.regex.Pattern.compile("/models/[^/]+/(predict|control|records)/?");

  private final HttpOptions options;
  private final Map<String, ServedEntry> models = new LinkedHashMap<>();
  private final PrometheusMeterRegistry registry;
  /** The event-bus consumers of every model's versions, divergences and drifts; registered in start(). */
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final ControlApi control;
  private final RecordsApi records;
  private HttpServer server;
  private volatile int actualPort = -1;

  public HttpVerticle(HttpOptions options, List<? extends ModelView> models, PrometheusMeterRegistry registry) {
    this.options = options;
    this.registry = registry;
    this.control = new ControlApi(options);
    this.records = new RecordsApi(options.bodyLimitBytes());
    for (ModelView m : models) {
      if (this.models.putIfAbsent(m.name(), new ServedEntry(m)) != null)
        throw new IllegalArgumentException("two models named " + m.name());
    }
  }

  /** The bound port once deployed (the chosen one when the options said 0), else -1. */
  public int actualPort() {
    return actualPort;
  }

  @Override
  public Future<?> start() {
    ModelEvents.registerCodecs(vertx);
    for (ServedEntry e : models.values()) listen(e);
    Router r = Router.router(vertx);
    r.route().handler(this::timed);
    for (var page : PAGE.entrySet()) r.get(page.getKey()).handler(ctx -> page(ctx, page.getValue()));
    r.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    r.get("/ready").handler(this::ready);
    r.get("/metrics").handler(this::metrics);
    r.get("/models").handler(this::list);
    r.get("/models/:m").handler(this::describe);
    r.get("/models/:m/weights").handler(this::weights);
    r.get("/models/:m/updates").handler(this::updates);
    r.get("/models/:m/checkpoint").handler(this::checkpoint);
    r.post("/models/:m/predict").consumes("application/json")
        .handler(BodyHandler.create(false).setBodyLimit(options.bodyLimitBytes()))
        .handler(this::predict);
    // Vert.x Web runs a body handler before any other: at most 4 KiB is read before authentication.
    r.post("/models/:m/control")
        .handler(BodyHandler.create(false).setBodyLimit(Math.min(ControlApi.BODY_LIMIT, options.bodyLimitBytes())))
        .handler(control::authorize)
        .handler(control::requireJson)
        .handler(ctx -> {
          ServedEntry e = model(ctx);
          if (e != null) control.control(ctx, e, vertx);
        });
    // Writes: behind the control token when one is set, open on a loopback listener without one
    // (ControlApi.authorizeRecords); the body limit is http.body.limit.bytes.
    r.post("/models/:m/records")
        .handler(BodyHandler.create(false).setBodyLimit(options.bodyLimitBytes()))
        .handler(ctx -> control.authorizeRecords(ctx, options.host()))
        .handler(ctx -> {
          ServedEntry e = model(ctx);
          if (e != null) records.post(ctx, e, vertx);
        })
        .failureHandler(records::tooLarge);
    r.route().failureHandler(HttpErrors::handle);
    for (int status : new int[] {400, 404, 406, 413, 415, 500, 501, 503}) r.errorHandler(status, HttpErrors::handle);
    r.errorHandler(405, ctx -> { // RFC 9110: a 405 lists the methods the resource allows
      ctx.response().putHeader(HttpHeaders.ALLOW, POST_PATH.matcher(ctx.request().path()).matches() ? "POST" : "GET");
      HttpErrors.handle(ctx);
    });
    return vertx.createHttpServer()
        .requestHandler(r)
        .listen(options.port(), options.host())
        .onSuccess(s -> {
          server = s;
          actualPort = s.actualPort();
          LOG.info("HTTP API on {}:{} serving models {}; control API {}", options.host(), actualPort, models.keySet(),
              control.enabled() ? "on (bearer token)" : "off (no http.control.token)");
        })
        .onFailure(t -> consumers.forEach(MessageConsumer::unregister)); // a port in use: nothing stays registered
  }

  @Override
  public Future<?> stop() {
    for (ServedEntry e : models.values()) for (UpdateStream s : List.copyOf(e.streams)) s.close();
    List<Future<?>> done = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) done.add(c.unregister());
    if (server != null) done.add(server.close());
    return Future.join(done);
  }

  /**
   * Feeds the model's update streams from its event-bus addresses: every published version, every
   * divergence and drift ({@link ModelEvents}). The handlers run on this verticle's context; each
   * stream hops to its own request's context.
   */
  private void listen(ServedEntry e) {
    var bus = vertx.eventBus();
    consumers.add(bus.<Published>localConsumer(ModelEvents.weights(e.name()), m -> {
      for (UpdateStream s : e.streams) s.version(m.body());
    }));
    consumers.add(bus.<Divergence>localConsumer(ModelEvents.divergence(e.name()), m -> {
      for (UpdateStream s : e.streams) s.divergence(m.body());
    }));
    consumers.add(bus.<Drift>localConsumer(ModelEvents.drift(e.name()), m -> {
      for (UpdateStream s : e.streams) s.drift(m.body());
    }));
  }

  /** Open update streams of a model (tests). */
  int updateStreams(String model) {
    return models.get(model).streams.size();
  }

  /** The event-bus consumers this verticle registered (tests: unregistered once it stopped). */
  List<MessageConsumer<?>> busConsumers() {
    return List.copyOf(consumers);
  }

  /** Records every answer in streamlearn.http.requests (method, route template, status); sets nosniff. */
  private void timed(RoutingContext ctx) {
    long start = System.nanoTime();
    // Every answer is typed; no browser may guess HTML from a body that echoes a path or a field.
    ctx.response().putHeader("X-Content-Type-Options", "nosniff");
    ctx.addEndHandler(ar -> {
      Route route = ctx.currentRoute();
      String path = route == null || route.getPath() == null ? "unmatched" : route.getPath();
      Timer.builder("streamlearn.http.requests")
          .description("HTTP requests answered, by method, route and status")
          .tag("method", ctx.request().method().name())
          .tag("route", path)
          .tag("status", Integer.toString(ctx.response().getStatusCode()))
          .register(registry)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    });
    ctx.next();
  }

  private ServedEntry model(RoutingContext ctx) {
    String name = ctx.pathParam("m");
    ServedEntry e = models.get(name);
    if (e == null) HttpErrors.send(ctx, 404, "unknown model", "no model named \"" + name + "\"; models: " + models.keySet());
    return e;
  }

  private void list(RoutingContext ctx) {
    var a = new JsonArray();
    for (ServedEntry e : models.values()) a.add(ModelJson.summary(e.served));
    json(ctx, 200, a.toBuffer());
  }

  private void describe(RoutingContext ctx) {
    ServedEntry e = model(ctx);
    if (e == null) return;
    json(ctx, 200, ModelJson.detail(e.served).put("outputs", e.kind.name().toLowerCase()).toBuffer());
  }

  private void weights(RoutingContext ctx) {
    ServedEntry e = model(ctx);
    if (e == null) return;
    Published p = e.served.latest();
    if (p == null) {
      HttpErrors.send(ctx, 503, "no weights yet", "model " + e.name() + " has not published a version yet");
      return;
    }
    String etag = p.etag();
    var res = ctx.response().putHeader(HttpHeaders.ETAG, etag).putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
    if (matches(ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
      res.setStatusCode(304).end();
      return;
    }
    res.putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
        .putHeader("Content-Disposition", "attachment; filename=\"" + e.name().replaceAll("[^A-Za-z0-9._-]", "_")
            + "-" + p.version() + ".safetensors\"")
        .end(e.weightsBuffer(p));
  }

  /** The newest durable checkpoint: file, step, examples, created, offsets, size_bytes. */
  private void checkpoint(RoutingContext ctx) {
    ServedEntry e = model(ctx);
    if (e == null) return;
    Map<String, Object> c = e.served.checkpoint();
    if (c == null) {
      HttpErrors.send(ctx, 404, "no checkpoint", "model " + e.name() + " has no checkpoint yet");
      return;
    }
    json(ctx, 200, new JsonObject(new java.util.LinkedHashMap<>(c)).toBuffer());
  }

  /** If-None-Match: a list of (possibly weak) entity tags, or *. */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) return false;
    for (String t : ifNoneMatch.split(",")) {
      t = t.trim();
      if (t.startsWith("W/")) t = t.substring(2);
      if (t.equals("*") || t.equals(etag)) return true;
    }
    return false;
  }

  private void updates(RoutingContext ctx) {
    ServedEntry e = model(ctx);
    if (e == null) return;
    var stream = new UpdateStream(e, ctx.response(), vertx.getOrCreateContext(), e.streams::remove);
    stream.start(options.heartbeat());
  }

  private void predict(RoutingContext ctx) {
    ServedEntry e = model(ctx);
    if (e == null) return;
    Published p = e.served.latest();
    if (p == null) {
      HttpErrors.send(ctx, 503, "no weights yet", "model " + e.name() + " has not published a version yet");
      return;
    }
    Buffer body = ctx.body().buffer(); // null when empty; copied to an array on the worker
    vertx.executeBlocking(() -> Prediction.run(e, p.snapshot(), body == null ? new byte[0] : body.getBytes(),
            options.maxBatchRows()), false)
        .onSuccess(bytes -> json(ctx, 200, Buffer.buffer(bytes)))
        .onFailure(ctx::fail);
  }

  /**
   * 200 when every model is ready, else 503 naming each unready model's problem. A ready model with
   * a problem (failing checkpoints) is degraded: still 200, the problem under "degraded".
   */
  private void ready(RoutingContext ctx) {
    var problems = new JsonObject();
    var degraded = new JsonObject();
    var all = new JsonObject();
    for (ServedEntry e : models.values()) {
      Status s = e.served.status();
      all.put(e.name(), ModelJson.status(s));
      if (!s.ready()) problems.put(e.name(), s.problem() == null ? "not ready" : s.problem());
      else if (s.problem() != null) degraded.put(e.name(), s.problem());
    }
    if (problems.isEmpty()) {
      var body = new JsonObject().put("status", "READY");
      if (!degraded.isEmpty()) body.put("degraded", degraded);
      json(ctx, 200, body.put("models", all).toBuffer());
    } else {
      var detail = new ArrayList<String>();
      problems.forEach(en -> detail.add(en.getKey() + ": " + en.getValue()));
      json(ctx, 503, new JsonObject().put("error", "not ready").put("detail", String.join("; ", detail))
          .put("problems", problems).put("models", all).toBuffer());
    }
  }

  private void metrics(RoutingContext ctx) {
    vertx.executeBlocking(registry::scrape, false)
        .onSuccess(text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text))
        .onFailure(ctx::fail);
  }

  /**
   * The built-in page and its own script, style and icon (src/main/resources/web), read once: path →
   * content type and bytes. The policy lets the page load only those and talk only to this origin.
   */
  private static final Map<String, PageFile> PAGE = Map.of(
      "/", PageFile.load("index.html", "text/html; charset=utf-8"),
      "/web/page.js", PageFile.load("page.js", "text/javascript; charset=utf-8"),
      "/web/page.css", PageFile.load("page.css", "text/css; charset=utf-8"),
      "/web/icon.svg", PageFile.load("icon.svg", "image/svg+xml"));
  static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  record PageFile(String type, Buffer body) {
    static PageFile load(String name, String type) {
      try (var in = HttpVerticle.class.getResourceAsStream("/web/" + name)) {
        if (in == null) throw new IllegalStateException("web/" + name + " is missing from the class path");
        return new PageFile(type, Buffer.buffer(in.readAllBytes()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("reading web/" + name, e);
      }
    }
  }

  private static void page(RoutingContext ctx, PageFile f) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, f.type())
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("Content-Security-Policy", PAGE_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .end(f.body());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    json(ctx, status, body.toBuffer());
  }

  private static void json(RoutingContext ctx, int status, Buffer body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, HttpErrors.JSON).end(body);
  }

  Collection<String> modelNames() {
    return models.keySet();
  }
}
