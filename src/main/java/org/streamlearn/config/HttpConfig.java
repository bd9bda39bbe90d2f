package org.streamlearn.config;

/**
 * The HTTP server's keys.
 *
 * @param controlToken bearer token of {@code POST /models/{m}/control}; empty: the control API is
 *     off. A secret: {@link #toString()} masks it.
 */
public record HttpConfig(String host, int port, long bodyLimitBytes, String controlToken) {
  public HttpConfig {
    if (controlToken == null) controlToken = "";
  }

  public HttpConfig(String host, int port, long bodyLimitBytes) {
    this(host, port, bodyLimitBytes, "");
  }

  @Override public String toString() {
    return "HttpConfig[host=" + host + ", port=" + port + ", bodyLimitBytes=" + bodyLimitBytes + ", controlToken="
        + (controlToken.isEmpty() ? "(none)" : "******") + "]";
  }
}
