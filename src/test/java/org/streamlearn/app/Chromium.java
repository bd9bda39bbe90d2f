package org.streamlearn.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) driven over the Chrome DevTools
 * Protocol: started with {@code --remote-debugging-port=0}, its port read from DevToolsActivePort
 * in the fresh user-data-dir, and its first page's WebSocket opened with the JDK's client. No
 * dependency beyond the JDK and the JSON the service already uses.
 */
final class Chromium implements AutoCloseable {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final Path log;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private final List<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();

  /** The browser binary; fails with what to do when it is not installed. */
  static Path binary() {
    Path p = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    if (!Files.isExecutable(p))
      throw new AssertionError("Chromium not found at " + p + ": this test drives a real headless Chromium. Install "
          + "Debian's packages (apt-get install -y chromium chromium-driver; .ci/run does) or set CHROMIUM to its path.");
    return p;
  }

  /** Starts Chromium headless with a window of the given size, in a fresh profile under dir. */
  static Chromium launch(Path dir, int width, int height) throws Exception {
    Path binary = binary();
    Path profile = Files.createDirectories(dir.resolve("profile"));
    Path log = dir.resolve("chromium.log");
    Process p = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
        "--mute-audio", "--hide-scrollbars", "--window-size=" + width + "," + height,
        "--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      return new Chromium(p, log, pageSocketUrl(p, profile, log));
    } catch (Throwable t) {
      kill(p);
      throw t;
    }
  }

  private static String pageSocketUrl(Process p, Path profile, Path log) throws Exception {
    Path portFile = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    HttpClient http = HttpClient.newHttpClient();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) throw new AssertionError("Chromium exited with " + p.exitValue() + ": " + tail(log));
      List<String> lines = Files.exists(portFile) ? Files.readAllLines(portFile) : List.of();
      if (!lines.isEmpty() && !lines.get(0).isBlank()) {
        var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + lines.get(0).strip() + "/json/list"))
            .timeout(Duration.ofSeconds(5)).build();
        for (Object o : new JsonArray(http.send(req, HttpResponse.BodyHandlers.ofString()).body())) {
          JsonObject t = (JsonObject) o;
          if ("page".equals(t.getString("type"))) return t.getString("webSocketDebuggerUrl");
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("Chromium opened no DevTools page within 20 s: " + tail(log));
  }

  private Chromium(Process process, Path log, String url) throws Exception {
    this.process = process;
    this.log = log;
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        .buildAsync(URI.create(url), new Listener()).get(10, TimeUnit.SECONDS);
  }

  /** Receives every protocol event (objects with method and params). */
  void onEvent(Consumer<JsonObject> listener) {
    listeners.add(listener);
  }

  JsonObject call(String method) throws Exception {
    return call(method, new JsonObject());
  }

  /** Sends one command and waits for its result; a protocol error fails with its message. */
  JsonObject call(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    var answer = new CompletableFuture<JsonObject>();
    pending.put(id, answer);
    String text = new JsonObject().put("id", id).put("method", method).put("params", params).encode();
    synchronized (socket) { // one message at a time
      socket.sendText(text, true).get(10, TimeUnit.SECONDS);
    }
    JsonObject m;
    try {
      m = answer.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      pending.remove(id);
    }
    if (m.containsKey("error")) throw new IllegalStateException(method + " failed: " + m.getJsonObject("error").encode());
    return m.getJsonObject("result", new JsonObject());
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable); a thrown error fails. */
  Object evaluate(String expression) throws Exception {
    JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression)
        .put("returnByValue", true).put("awaitPromise", true));
    if (r.containsKey("exceptionDetails"))
      throw new IllegalStateException(expression + " threw " + r.getJsonObject("exceptionDetails").encode());
    return r.getJsonObject("result").getValue("value");
  }

  /** A PNG of the whole page (not only the window) as it is now. */
  byte[] screenshot() throws Exception {
    JsonObject size = call("Page.getLayoutMetrics").getJsonObject("cssContentSize");
    var clip = new JsonObject().put("x", 0).put("y", 0).put("width", size.getDouble("width"))
        .put("height", size.getDouble("height")).put("scale", 1);
    String data = call("Page.captureScreenshot", new JsonObject().put("format", "png").put("clip", clip)
        .put("captureBeyondViewport", true)).getString("data");
    return java.util.Base64.getDecoder().decode(data);
  }

  /** Closes the browser (Browser.close, then the process and its children, forcibly if need be). */
  @Override
  public void close() {
    try {
      synchronized (socket) {
        socket.sendText(new JsonObject().put("id", ids.incrementAndGet()).put("method", "Browser.close").encode(), true)
            .get(5, TimeUnit.SECONDS);
      }
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // killed below
    }
    socket.abort();
    kill(process);
  }

  private static void kill(Process p) {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  String logTail() {
    return tail(log);
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Collects a message's fragments; answers complete their call, everything else is an event. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        JsonObject m = new JsonObject(text.toString());
        text.setLength(0);
        Integer id = m.getInteger("id");
        if (id != null) {
          var f = pending.get(id);
          if (f != null) f.complete(m);
        } else {
          for (var l : listeners) l.accept(m);
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      pending.values().forEach(f -> f.completeExceptionally(error));
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      pending.values().forEach(f -> f.completeExceptionally(new IllegalStateException("DevTools socket closed: " + reason)));
      return null;
    }
  }
}
