package org.streamlearn.http;

import java.time.Duration;
import org.streamlearn.config.HttpConfig;

/**
 * Settings of {@link HttpVerticle}.
 *
 * @param host address to bind, e.g. 0.0.0.0 or 127.0.0.1
 * @param port TCP port, 0 for any free port ({@link HttpVerticle#actualPort()} tells which)
 * @param bodyLimitBytes largest request body accepted; larger ones get 413
 * @param maxBatchRows largest number of feature vectors in one predict request; more get 413
 * @param heartbeat interval of the comment lines that keep an idle event stream open through proxies
 * @param controlToken bearer token of {@code POST /models/{m}/control}; empty: the endpoint is off
 *     (403). A secret: {@link #toString()} masks it.
 * @param controlTimeout how long a control request waits for the trainer to apply it; then 503
 */
public record HttpOptions(String host, int port, long bodyLimitBytes, int maxBatchRows, Duration heartbeat,
    String controlToken, Duration controlTimeout) {
  public static final int DEFAULT_MAX_BATCH_ROWS = 1024;
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
  public static final Duration DEFAULT_CONTROL_TIMEOUT = Duration.ofSeconds(5);

  public HttpOptions {
    if (host == null || host.isBlank()) throw new IllegalArgumentException("host is required");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port = " + port + ": must be in [0, 65535]");
    if (bodyLimitBytes < 1) throw new IllegalArgumentException("bodyLimitBytes = " + bodyLimitBytes + ": must be >= 1");
    if (maxBatchRows < 1) throw new IllegalArgumentException("maxBatchRows = " + maxBatchRows + ": must be >= 1");
    if (heartbeat == null || heartbeat.toMillis() < 1)
      throw new IllegalArgumentException("heartbeat = " + heartbeat + ": must be at least 1 ms");
    if (controlToken == null) controlToken = "";
    if (controlTimeout == null || controlTimeout.toMillis() < 1)
      throw new IllegalArgumentException("controlTimeout = " + controlTimeout + ": must be at least 1 ms");
  }

  public HttpOptions(String host, int port, long bodyLimitBytes) {
    this(host, port, bodyLimitBytes, DEFAULT_MAX_BATCH_ROWS, DEFAULT_HEARTBEAT, "", DEFAULT_CONTROL_TIMEOUT);
  }

  public static HttpOptions of(HttpConfig c) {
    return new HttpOptions(c.host(), c.port(), c.bodyLimitBytes()).withControlToken(c.controlToken());
  }

  public HttpOptions withMaxBatchRows(int rows) {
    return new HttpOptions(host, port, bodyLimitBytes, rows, heartbeat, controlToken, controlTimeout);
  }

  public HttpOptions withHeartbeat(Duration d) {
    return new HttpOptions(host, port, bodyLimitBytes, maxBatchRows, d, controlToken, controlTimeout);
  }

  public HttpOptions withControlToken(String token) {
    return new HttpOptions(host, port, bodyLimitBytes, maxBatchRows, heartbeat, token, controlTimeout);
  }

  public HttpOptions withControlTimeout(Duration d) {
    return new HttpOptions(host, port, bodyLimitBytes, maxBatchRows, heartbeat, controlToken, d);
  }

  @Override public String toString() {
    return "HttpOptions[host=" + host + ", port=" + port + ", bodyLimitBytes=" + bodyLimitBytes + ", maxBatchRows="
        + maxBatchRows + ", heartbeat=" + heartbeat + ", controlToken=" + (controlToken.isEmpty() ? "(none)" : "******")
        + ", controlTimeout=" + controlTimeout + "]";
  }

  /**
   * True for a loopback host name or address ({@code 127.0.0.0/8}, {@code ::1}, {@code localhost}): on such
   * a listener posted records need no token ({@code ControlApi.authorizeRecords}).
   */
  public static boolean loopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) return true;
    if (h.matches("127(\\.\\d{1,3}){3}")) return true;
    return h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }
}
