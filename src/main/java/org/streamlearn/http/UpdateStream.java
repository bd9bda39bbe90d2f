package org.streamlearn.http;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.function.Consumer;
import org.streamlearn.learn.Divergence;
import org.streamlearn.model.Published;

/**
 * One client of GET /models/{m}/updates: a server-sent event per published version, starting with
 * the latest, an event per firing of the divergence guard ({@code event: divergence}, no id, so a
 * reconnecting client's Last-Event-ID stays a version), an event per drift detected on the prequential
 * loss ({@code event: drift}, no id, newest pending kept like a divergence), and a comment line every heartbeat so
 * proxies keep an idle stream open.
 *
 * <p>Versions, divergences and drifts arrive from the verticle's event-bus consumers
 * ({@code ModelEvents}) and hop to the request's context before touching the response. A slow
 * client never queues more than one version and one divergence: while the write queue is full only
 * the newest pending of each is kept (a divergence carries the running count, so skipped ones show),
 * and written when it drains. Versions only go forward (the latest sent at start may also arrive
 * through the event bus).
 */
final class UpdateStream {
  private final ServedEntry entry;
  private final HttpServerResponse res;
  private final Context context;
  private final Consumer<UpdateStream> onClose;
  private Divergence pendingDivergence;
  private org.streamlearn.learn.Drift pendingDrift;
  private long timer = -1;
  private long lastSent = Long.MIN_VALUE;
  private Published pending;
  private boolean closed;

  UpdateStream(ServedEntry entry, HttpServerResponse res, Context context, Consumer<UpdateStream> onClose) {
    this.entry = entry;
    this.res = res;
    this.context = context;
    this.onClose = onClose;
  }

  /** Starts the stream; call on the request's event loop. */
  void start(Duration heartbeat) {
    res.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
    res.closeHandler(v -> close());
    res.exceptionHandler(t -> close());
    res.drainHandler(v -> {
      Divergence d = pendingDivergence;
      pendingDivergence = null;
      if (d != null) offer(d);
      var dr = pendingDrift;
      pendingDrift = null;
      if (dr != null) offer(dr);
      Published p = pending;
      pending = null;
      if (p != null) offer(p);
    });
    // Headers and a first line now, so the client sees the stream open before any version.
    res.write(Buffer.buffer(": " + entry.name() + " updates\nretry: 2000\n\n"));
    // Join the model's streams before reading latest(): a version published in between comes
    // through the event bus (and a repeated one is dropped: versions only go forward).
    entry.streams.add(this);
    Published latest = entry.served.latest();
    if (latest != null) offer(latest);
    timer = context.owner().setPeriodic(heartbeat.toMillis(), id -> {
      if (!closed && !res.writeQueueFull()) res.write(Buffer.buffer(": heartbeat\n\n"));
    });
  }

  /** A version from the event bus, on any context: handled on the request's. */
  void version(Published p) {
    context.runOnContext(v -> offer(p));
  }

  void divergence(Divergence d) {
    context.runOnContext(v -> offer(d));
  }

  void drift(org.streamlearn.learn.Drift d) {
    context.runOnContext(v -> offer(d));
  }

  private void offer(Published p) {
    if (closed || p.version() <= lastSent) return;
    if (res.writeQueueFull()) {
      if (pending == null || p.version() > pending.version()) pending = p;
      return;
    }
    lastSent = p.version();
    String data = ModelJson.version(p.snapshot()).encode(); // one line: JSON strings escape newlines
    res.write(Buffer.buffer("event: version\nid: " + p.version() + "\ndata: " + data + "\n\n"));
  }

  private void offer(Divergence d) {
    if (closed) return;
    if (res.writeQueueFull()) {
      pendingDivergence = d;
      return;
    }
    res.write(Buffer.buffer("event: divergence\ndata: " + ModelJson.divergence(d).encode() + "\n\n"));
  }

  private void offer(org.streamlearn.learn.Drift d) {
    if (closed) return;
    if (res.writeQueueFull()) {
      pendingDrift = d;
      return;
    }
    res.write(Buffer.buffer("event: drift\ndata: " + ModelJson.drift(d).encode() + "\n\n"));
  }

  /** Leaves the model's streams and stops the heartbeat; idempotent. Ends the response if still open. */
  void close() {
    if (closed) return;
    closed = true;
    if (timer >= 0) context.owner().cancelTimer(timer);
    if (!res.ended() && !res.closed()) res.end();
    onClose.accept(this);
  }
}
