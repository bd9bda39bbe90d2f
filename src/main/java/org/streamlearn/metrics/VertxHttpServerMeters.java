package org.streamlearn.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientConfig;
import io.vertx.core.http.HttpServerConfig;
import io.vertx.core.net.QuicEndpointConfig;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TcpClientConfig;
import io.vertx.core.net.TcpServerConfig;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TransportMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MicrometerMetricsFactory;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Vert.x metrics for the service's registry: everything vertx-micrometer-metrics measures (worker
 * pools, event bus), plus the HTTP server meters it cannot give on this Vert.x.
 *
 * <p>Why: vertx-micrometer-metrics is served only as 5.0.x and 5.2.x, none for vertx-core 5.1.x.
 * Vert.x 5.1 changed the metrics SPI: core now asks for
 * {@code createHttpServerMetrics(HttpServerConfig, SocketAddress, SocketAddress)} and
 * {@code createTcpServerMetrics(...)}, whose defaults return null, while the 5.0 module implements
 * the 5.0 signatures ({@code createHttpServerMetrics(HttpServerOptions, SocketAddress)}), which 5.1
 * never calls. So no {@code vertx_http_server_*} meter ever appeared. This factory implements the
 * 5.1 HTTP and TCP server hooks itself, with the module's meter names:
 *
 * <ul>
 *   <li>{@code vertx_http_server_requests_total{method,route,code}} counter, at response end;
 *   <li>{@code vertx_http_server_response_time_seconds{method,route,code}} histogram, request
 *       begin to response end;
 *   <li>{@code vertx_http_server_active_requests} and {@code vertx_http_server_active_connections}
 *       gauges.
 * </ul>
 *
 * <p>Cardinality: {@code route} is the route template Vert.x Web reports as matched (for instance
 * {@code /models/:m/predict}), never the request path; a request no route matched (a 404) has
 * {@code route="unmatched"}. {@code method} is one of the standard methods or {@code OTHER};
 * {@code code} is the status code the service sent. Every label thus comes from a set the code
 * fixes, whatever the clients send.
 */
public final class VertxHttpServerMeters implements VertxMetricsFactory {

  static final String UNMATCHED = "unmatched";
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");
  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  private final MeterRegistry registry;
  private final MicrometerMetricsFactory micrometer;

  public VertxHttpServerMeters(MeterRegistry registry) {
    this.registry = registry;
    this.micrometer = new MicrometerMetricsFactory(registry);
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new Metrics(micrometer.metrics(options), new Server(registry));
  }

  /** The module's metrics for everything but the servers, which {@link Server} measures. */
  private record Metrics(VertxMetrics delegate, Server server) implements VertxMetrics {
    @Override
    public HttpServerMetrics<?, ?> createHttpServerMetrics(HttpServerConfig config, SocketAddress tcp,
        SocketAddress quic) {
      return server;
    }

    @Override
    public TransportMetrics<?> createTcpServerMetrics(TcpServerConfig config, String protocol, SocketAddress local) {
      return protocol != null && protocol.toLowerCase(java.util.Locale.ROOT).startsWith("http") ? server.connections
          : delegate.createTcpServerMetrics(config, protocol, local);
    }

    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      return delegate.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remote, String type, String namespace) {
      return delegate.createClientMetrics(remote, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?> createHttpClientMetrics(HttpClientConfig config) {
      return delegate.createHttpClientMetrics(config);
    }

    @Override
    public TransportMetrics<?> createTcpClientMetrics(TcpClientConfig config, String protocol) {
      return delegate.createTcpClientMetrics(config, protocol);
    }

    @Override
    public TransportMetrics<?> createQuicEndpointMetrics(QuicEndpointConfig config, String protocol,
        SocketAddress local) {
      return delegate.createQuicEndpointMetrics(config, protocol, local);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return delegate.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
      return delegate.createPoolMetrics(type, name, maxSize);
    }

    @Override
    public void vertxCreated(io.vertx.core.Vertx vertx) {
      delegate.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return delegate.isMetricsEnabled();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /** One request in flight: its start, method, the route Vert.x Web matched, and the status sent. */
  private static final class Request {
    final long start = System.nanoTime();
    final String method;
    final AtomicBoolean done = new AtomicBoolean();
    volatile String route = UNMATCHED;
    volatile int code;

    Request(String method) {
      this.method = method;
    }
  }

  /** Shared by every HTTP server of the Vert.x instance (they all report into the same meters). */
  private static final class Server implements HttpServerMetrics<Request, Void> {
    private final MeterRegistry registry;
    private final AtomicLong activeRequests = new AtomicLong();
    private final AtomicLong activeConnections = new AtomicLong();
    final TransportMetrics<Void> connections = new TransportMetrics<>() {
      @Override
      public Void connected(SocketAddress remote, String remoteName) {
        activeConnections.incrementAndGet();
        return null;
      }

      @Override
      public void disconnected(Void socket, SocketAddress remote) {
        activeConnections.decrementAndGet();
      }
    };

    Server(MeterRegistry registry) {
      this.registry = registry;
      Gauge.builder("vertx.http.server.active.requests", activeRequests, AtomicLong::get)
          .description("HTTP requests begun and not yet answered or reset").register(registry);
      Gauge.builder("vertx.http.server.active.connections", activeConnections, AtomicLong::get)
          .description("open HTTP server connections").register(registry);
    }

    @Override
    public Request requestBegin(SocketAddress remote, HttpRequest request) {
      activeRequests.incrementAndGet();
      String m = request.method() == null ? "OTHER" : request.method().name();
      return new Request(METHODS.contains(m) ? m : "OTHER");
    }

    @Override
    public void requestRouted(Request r, String route) {
      // Vert.x Web reports each route whose handler ran; a route without a path (a handler on
      // every request) reports no name, so the last named one is the one that answered.
      if (r != null && route != null && !route.isEmpty()) r.route = route;
    }

    @Override
    public void responseBegin(Request r, HttpResponse response) {
      if (r != null) r.code = response.statusCode();
    }

    @Override
    public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
      if (r == null || !r.done.compareAndSet(false, true)) return;
      activeRequests.decrementAndGet();
      String code = Integer.toString(response != null ? response.statusCode() : r.code);
      Counter.builder("vertx.http.server.requests")
          .description("HTTP requests answered, by method, route template and status code")
          .tag("method", r.method).tag("route", r.route).tag("code", code)
          .register(registry).increment();
      Timer.builder("vertx.http.server.response.time")
          .description("HTTP request begin to response end, by method, route template and status code")
          .tag("method", r.method).tag("route", r.route).tag("code", code)
          .serviceLevelObjectives(BUCKETS)
          .register(registry).record(System.nanoTime() - r.start, TimeUnit.NANOSECONDS);
    }

    @Override
    public void requestReset(Request r) {
      if (r != null && r.done.compareAndSet(false, true)) activeRequests.decrementAndGet();
    }
  }
}
