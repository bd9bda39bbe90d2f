package org.streamlearn.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.Metrics;
import org.streamlearn.metrics.StreamlearnMeters;
import org.streamlearn.model.ModelView;
import org.streamlearn.stream.BrokerUnavailableException;
import org.streamlearn.stream.DemoProducer;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.KafkaClients;
import org.streamlearn.stream.ModelVerticle;

/**
 * The running service: the embedded broker (when no brokers are configured), one {@link ModelVerticle}
 * per model, the demo streams, the metrics registry, the HTTP server and the progress lines. Starts
 * in that order and stops in reverse, within shutdown.timeout.ms.
 */
public final class Service implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Service.class);
  static final List<String> DEMO_STREAMS = List.of("digits", "co2");

  private final AppConfig cfg;
  private final PrometheusMeterRegistry registry = StreamlearnMeters.newRegistry();
  private final List<ModelVerticle> runners = new ArrayList<>();
  private final List<DemoProducer> demos = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private EmbeddedKafka kafka;
  /** Created first: the runners publish on its event bus, the HTTP verticle consumes there. */
  private io.vertx.core.Vertx vertx;
  private AutoCloseable http;
  private ScheduledExecutorService progress;
  private volatile boolean closed;

  private Service(AppConfig cfg) {
    this.cfg = cfg;
  }

  /** Starts everything; on failure stops what had started and rethrows. */
  public static Service start(AppConfig cfg) {
    Service s = new Service(cfg);
    try {
      s.startAll();
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void startAll() {
    vertx = io.vertx.core.Vertx.builder()
        .with(new io.vertx.core.VertxOptions().setMetricsOptions(
            // Event-bus meters off: vertx-micrometer 5.0 registers its handlers gauge again for every
            // handler, and Micrometer warns about it at each start; the bus only carries control calls.
            new io.vertx.micrometer.MicrometerMetricsOptions().setEnabled(true)
                .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.EVENT_BUS)))
        .withMetrics(new org.streamlearn.metrics.VertxHttpServerMeters(registry))
        .build();
    String bootstrap = cfg.kafka().bootstrapServers();
    if (cfg.kafka().embedded()) {
      kafka = embeddedBroker(cfg.kafka());
      bootstrap = kafka.start();
    }
    this.bootstrap = bootstrap;
    var clients = new KafkaClients(bootstrap, cfg.kafka().properties(), cfg.kafka().topicPartitions(),
        cfg.kafka().topicReplication());
    List<ModelVerticle> waiting = new ArrayList<>();
    long t0 = System.nanoTime();
    for (ModelConfig mc : cfg.models().values()) {
      var r = new ModelVerticle(mc, clients, cfg.shutdownTimeoutMs());
      StreamlearnMeters.bind(registry, r);
      runners.add(r);
      if (!waiting.isEmpty()) { // the broker did not answer for the one before: do not wait again here
        waiting.add(r);
        continue;
      }
      try {
        deploy(r);
        started(r);
      } catch (BrokerUnavailableException e) {
        if (cfg.kafka().startupTimeoutMs() > 0 && System.nanoTime() - t0 >= cfg.kafka().startupTimeoutMs() * 1_000_000L)
          throw new BrokerUnavailableException(e.getMessage() + " (waited kafka.startup.timeout.ms = "
              + cfg.kafka().startupTimeoutMs() + " ms)", e);
        waiting.add(r);
        log.warn("broker at {} not reachable ({}); HTTP serves meanwhile, GET /ready answers 503, and the models start "
            + "as soon as it answers ({})", bootstrap, e.getMessage(), cfg.kafka().startupTimeoutMs() == 0
            ? "kafka.startup.timeout.ms = 0: waiting for ever" : "giving up after kafka.startup.timeout.ms = "
            + cfg.kafka().startupTimeoutMs());
      }
    }
    for (ModelVerticle r : waiting) r.waiting(waitingProblem(bootstrap));
    if (cfg.demo().enabled()) {
      for (ModelConfig mc : cfg.models().values()) {
        if (mc.demo().equals("none")) continue;
        if (!DEMO_STREAMS.contains(mc.demo())) {
          log.warn("model {}: no demo stream for data set '{}' yet (have {}); produce into {} yourself", mc.name(),
              mc.demo(), DEMO_STREAMS, mc.topics().getFirst());
          continue;
        }
        demos.add(new DemoProducer(clients, mc.demo(), mc.topics().getFirst(), cfg.demo().rate(), mc.seed()));
      }
    }
    http = startHttp();
    if (!waiting.isEmpty()) {
      long deadline = cfg.kafka().startupTimeoutMs() > 0 ? t0 + cfg.kafka().startupTimeoutMs() * 1_000_000L : Long.MAX_VALUE;
      String b = bootstrap;
      starter = Thread.ofPlatform().name("sl-start").daemon(true).start(() -> startWhenReachable(waiting, b, deadline));
    }
    if (cfg.progressIntervalMs() > 0) {
      progress = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("sl-progress").daemon(true).unstarted(r));
      progress.scheduleAtFixedRate(this::logProgress, cfg.progressIntervalMs(), cfg.progressIntervalMs(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The HTTP verticle on the service's Vert.x (created first, with its own meters in the service's
   * registry: vertx_* series, the HTTP server's from {@link org.streamlearn.metrics.VertxHttpServerMeters}).
   * A port in use fails start-up. The event loop only serves: training runs on the runners' threads,
   * predictions on Vert.x worker threads. Closing undeploys it (Vert.x itself closes after the runners).
   */
  private AutoCloseable startHttp() {
    var verticle = new org.streamlearn.http.HttpVerticle(org.streamlearn.http.HttpOptions.of(cfg.http()),
        List.copyOf(runners), registry);
    String id;
    try {
      id = vertx.deployVerticle(verticle).await();
    } catch (RuntimeException e) {
      throw new IllegalStateException("HTTP server could not listen on " + cfg.http().host() + ":" + cfg.http().port()
          + ": " + e.getMessage() + " (set http.port, or STREAMLEARN_HTTP_PORT)", e);
    }
    httpPort = verticle.actualPort();
    log.info("HTTP on http://{}:{}/", cfg.http().host(), httpPort);
    return () -> vertx.undeploy(id).await();
  }

  /**
   * The embedded broker on kafka.embedded.port, or on a free port with one warning when that port is
   * taken (another broker, a second instance of the service).
   */
  private static EmbeddedKafka embeddedBroker(org.streamlearn.config.KafkaConfig k) {
    int[] ports;
    try {
      ports = EmbeddedKafka.portsPreferring(k.embeddedPort());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot find a free port for the embedded Kafka broker", e);
    }
    if (k.embeddedPort() != 0 && ports[0] != k.embeddedPort())
      log.warn("kafka.embedded.port = {} is taken on 127.0.0.1; the embedded broker listens on 127.0.0.1:{} instead "
          + "(set kafka.embedded.port, or STREAMLEARN_KAFKA_EMBEDDED_PORT, to a free port to keep it fixed)",
          k.embeddedPort(), ports[0]);
    return new EmbeddedKafka(k.embeddedDir(), java.util.Map.of(), ports[0], ports[1]);
  }

  private volatile String bootstrap;
  private volatile int httpPort = -1;
  private Thread starter;
  private volatile String failure;

  private static String waitingProblem(String bootstrap) {
    return "broker at " + bootstrap + " not reachable at start-up: waiting for it (kafka.startup.timeout.ms)";
  }

  private void started(ModelVerticle r) {
    log.info("model {}: {} ({} parameters) from {} in group {}", r.name(), r.spec(), r.describe().get("params"),
        r.modelConfig().topics(), r.modelConfig().group());
  }

  /** Deploys a model on the service's Vert.x and waits for it (a broker that does not answer fails it). */
  private final java.util.Map<ModelVerticle, String> deployments = new java.util.concurrent.ConcurrentHashMap<>();

  private void deploy(ModelVerticle r) {
    try {
      deployments.put(r, vertx.deployVerticle(r).await());
    } catch (BrokerUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable c = e;
      while (c != null && !(c instanceof BrokerUnavailableException)) c = c.getCause();
      if (c != null) throw (BrokerUnavailableException) c;
      throw e;
    }
  }

  /** Undeploys a model (drain, checkpoint, commit, stop) and waits for it. */
  private io.vertx.core.Future<Void> undeploy(ModelVerticle r) {
    String id = deployments.remove(r);
    return id == null ? io.vertx.core.Future.succeededFuture() : vertx.undeploy(id);
  }

  /** The Vert.x instance the models and the HTTP API run on. */
  public io.vertx.core.Vertx vertx() {
    return vertx;
  }

  /**
   * The models the broker was not reachable for at start-up: tried again every 2 s, each as soon
   * as the broker answers; past the deadline the service stops with {@link #failure()} set.
   */
  private void startWhenReachable(List<ModelVerticle> waiting, String bootstrap, long deadline) {
    long t0 = System.nanoTime(), lastWarn = t0;
    try {
      while (!waiting.isEmpty() && !closed) {
        ModelVerticle r = waiting.getFirst();
        try {
          deploy(r);
          waiting.removeFirst();
          if (closed) {
            undeploy(r);
            return;
          }
          log.info("model {}: the broker answered; started after waiting {} s", r.name(), (System.nanoTime() - t0) / 1_000_000_000L);
          started(r);
          continue;
        } catch (BrokerUnavailableException e) {
          for (ModelVerticle w : waiting) w.waiting(waitingProblem(bootstrap));
          long now = System.nanoTime();
          if (now >= deadline) {
            failure = "the broker at " + bootstrap + " did not answer within kafka.startup.timeout.ms = "
                + cfg.kafka().startupTimeoutMs() + " ms: " + e.getMessage();
            log.error("{}; stopping", failure);
            Thread.ofPlatform().name("sl-stop").start(this::close);
            return;
          }
          if (now - lastWarn >= 30_000_000_000L) {
            lastWarn = now;
            log.warn("still waiting for the broker at {} ({} model(s) not started): {}", bootstrap, waiting.size(), e.getMessage());
          }
        }
        Thread.sleep(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) { // a refusal once the broker answers (authorization, a bad topic config)
      if (closed) return; // interrupted by close()
      failure = e.getMessage();
      log.error("start-up failed: {}", e.toString(), e);
      Thread.ofPlatform().name("sl-stop").start(this::close);
    }
  }

  /** Why the service stopped by itself (the broker never answered, or refused), or null. */
  public String failure() {
    return failure;
  }

  /** The port the HTTP server listens on (the real one when http.port is 0), or -1. */
  public int httpPort() {
    return httpPort;
  }

  /** The URLs the HTTP side serves (once wired). */
  public List<String> urls() {
    String base = "http://" + cfg.http().host() + ":" + (httpPort > 0 ? httpPort : cfg.http().port());
    List<String> u = new ArrayList<>(List.of(base + "/  (dashboard)", base + "/metrics  (Prometheus)", base + "/ready"));
    for (ModelVerticle r : runners) u.add(base + "/models/" + r.name() + "  (weights: /models/" + r.name() + "/weights)");
    return u;
  }

  /** The bootstrap servers the models use (the embedded broker's address in the default mode). */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** The start banner's lines on sending one's own records: see {@link SendHint}. */
  public List<String> sendHint() {
    return SendHint.lines(cfg, bootstrap, httpPort > 0 ? httpPort : cfg.http().port(), kafka != null);
  }

  /** The running models as the HTTP API and the meters see them. */
  public List<ModelView> models() {
    return List.copyOf(runners);
  }

  public List<ModelVerticle> runners() {
    return List.copyOf(runners);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  void logProgress() {
    for (ModelVerticle r : runners) log.info(progressLine(r));
  }

  /** One line: examples/s, prequential loss and accuracy (or RMSE), weights version, lag, paused. */
  static String progressLine(ModelView r) {
    var s = r.status();
    var f = r.figures();
    Metrics m = f.training().metrics();
    String quality = r.classification() ? String.format(Locale.ROOT, "acc %.4f", m.accuracyWindow())
        : String.format(Locale.ROOT, "rmse %.4f", m.rmseWindow());
    return String.format(Locale.ROOT, "%s: %.0f ex/s, loss %.4f, %s, version %d, lag %d%s%s", r.name(),
        s.examplesPerSecond(), m.lossWindow(), quality, f.training().version(), s.lag(), s.trainingPaused() ? ", TRAINING PAUSED (control)" : s.paused() ? ", PAUSED" : "",
        s.problem() != null ? " (" + s.problem() + ")" : "");
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /** Graceful stop in reverse order; runners stop in parallel, each within shutdown.timeout.ms. */
  @Override public synchronized void close() {
    if (closed) return;
    closed = true;
    long t0 = System.nanoTime();
    try {
      if (progress != null) progress.shutdownNow();
      if (starter != null) starter.interrupt();
      closeQuietly(http, "HTTP server");
      for (DemoProducer d : demos) closeQuietly(d, "demo stream");
      List<io.vertx.core.Future<Void>> stops = new ArrayList<>();
      for (ModelVerticle r : runners) stops.add(undeploy(r).recover(e -> {
        log.warn("model {}: stopping failed: {}", r.name(), e.toString());
        return io.vertx.core.Future.succeededFuture();
      }));
      try {
        io.vertx.core.Future.join(stops).toCompletionStage().toCompletableFuture()
            .get(cfg.shutdownTimeoutMs() + 2000, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.warn("models did not stop within shutdown.timeout.ms = {}: {}", cfg.shutdownTimeoutMs(), e.toString());
      }
      for (ModelVerticle r : runners)
        log.info("model {}: stopped at weights version {}", r.name(), r.figures().training().version());
      if (vertx != null) closeQuietly(() -> vertx.close().await(), "Vert.x instance");
      if (kafka != null) closeQuietly(kafka, "embedded broker");
      log.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped.countDown();
    }
  }

  private static void closeQuietly(AutoCloseable c, String what) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing the {} failed: {}", what, e.toString());
    }
  }
}
