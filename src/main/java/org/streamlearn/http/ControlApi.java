package org.streamlearn.http;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;
import org.streamlearn.model.ModelEvents;

/**
 * {@code POST /models/{m}/control}: bearer-token check, then a JSON command applied on the model's
 * trainer thread. In order: body over {@link #BODY_LIMIT} → 413 (Vert.x Web reads the body before
 * any other handler; the limit keeps that cheap); no token configured → 403 (off); Authorization
 * missing or not {@code Bearer <token>} → 401 with {@code WWW-Authenticate}; wrong token → 403; not
 * JSON → 415; unknown model → 404; bad command → 400 naming the field; trainer not running or not
 * answering within the timeout → 503. Authentication comes before the model and the command are
 * looked at, so a client without the token learns nothing but that it needs one.
 *
 * <p>Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual} (constant time, and
 * the length of the secret does not show either). Neither the token nor the Authorization header is
 * ever logged or echoed.
 */
final class ControlApi {
  private static final Logger LOG = LoggerFactory.getLogger(ControlApi.class);
  /** Control commands are a few dozen bytes: a small limit of their own, whatever http.body.limit.bytes says. */
  static final long BODY_LIMIT = 4096;
  static final String REALM = "Bearer realm=\"streamlearn\"";
  static final String ENABLE_HINT = "the control API is off: set http.control.token (environment: "
      + "STREAMLEARN_HTTP_CONTROL_TOKEN) to a secret of at least 16 characters, e.g. from `openssl rand -hex 32`, "
      + "and send it as Authorization: Bearer <token>";

  private final byte[] tokenDigest; // null: control off
  private final long timeoutMs;

  ControlApi(HttpOptions options) {
    this.tokenDigest = options.controlToken().isEmpty() ? null : sha256(options.controlToken());
    this.timeoutMs = options.controlTimeout().toMillis();
  }

  boolean enabled() {
    return tokenDigest != null;
  }

  /** Lets the request through only with the right bearer token. */
  void authorize(RoutingContext ctx) {
    if (tokenDigest == null) {
      HttpErrors.send(ctx, 403, "control disabled", ENABLE_HINT);
      return;
    }
    String h = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String presented = bearer(h);
    if (presented == null) {
      ctx.response().putHeader("WWW-Authenticate", REALM);
      HttpErrors.send(ctx, 401, "unauthorized", (h == null ? "no Authorization header" : "Authorization is not a "
          + "bearer token") + ": send Authorization: Bearer <http.control.token>");
      return;
    }
    if (!MessageDigest.isEqual(tokenDigest, sha256(presented))) {
      LOG.warn("control request refused: wrong bearer token (from {})", ctx.request().remoteAddress());
      HttpErrors.send(ctx, 403, "forbidden", "the bearer token is not the configured http.control.token");
      return;
    }
    ctx.next();
  }

  /**
   * Lets posted records through: with a token configured, only with it (as control); without one, only
   * while the HTTP server listens on a loopback address, the same trust as the embedded broker's
   * loopback listener that takes the same records from kcat with no credentials. An HTTP server
   * reachable from other machines and no token: 403 with the hint.
   */
  void authorizeRecords(RoutingContext ctx, String host) {
    if (tokenDigest != null) {
      authorize(ctx);
    } else if (HttpOptions.loopback(host)) {
      ctx.next();
    } else {
      HttpErrors.send(ctx, 403, "records disabled", "posted records need a token when http.host (" + host
          + ") is not a loopback address: set http.control.token (environment: STREAMLEARN_HTTP_CONTROL_TOKEN) "
          + "and send it as Authorization: Bearer <token>");
    }
  }

  /** The token of {@code Bearer <token>} (scheme case-insensitive, RFC 7235), else null. */
  static String bearer(String header) {
    if (header == null) return null;
    String h = header.strip();
    if (h.length() <= 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
    String t = h.substring(7).strip();
    return t.isEmpty() || t.indexOf(' ') >= 0 ? null : t;
  }

  /** 415 unless the body is declared JSON (checked after authentication). */
  void requireJson(RoutingContext ctx) {
    String ct = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String mime = ct == null ? "" : ct.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!mime.equals("application/json")) {
      HttpErrors.send(ctx, 415, "unsupported media type", "Content-Type " + (ct == null ? "(none)" : ct)
          + " not supported on POST " + ctx.request().path() + ": send application/json");
      return;
    }
    ctx.next();
  }

  /**
   * Last handler: parses the command, sends it to the model's control address
   * ({@link ModelEvents#control(Vertx, String, Command, long)}) and answers when the trainer applied it.
   */
  void control(RoutingContext ctx, ServedEntry e, Vertx vertx) {
    Command cmd;
    try {
      cmd = parse(ctx.body().buffer());
    } catch (HttpProblem p) {
      HttpErrors.send(ctx, p.status, p.error, p.detail());
      return;
    }
    String action = cmd.action().name().toLowerCase(Locale.ROOT);
    // Request/reply on the model's control address; the reply comes back on this request's context.
    ModelEvents.control(vertx, e.name(), cmd, timeoutMs).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("model {}: control {}{} applied", e.name(), action,
            cmd.action() == Action.LR ? " " + cmd.value() : "");
        var res = ctx.response();
        if (!res.ended() && !res.closed())
          res.putHeader(HttpHeaders.CONTENT_TYPE, HttpErrors.JSON).end(new JsonObject().put("model", e.name())
              .put("action", action).put("status", ModelJson.status(ar.result())).toBuffer());
        return;
      }
      Throwable t = ar.cause();
      if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) t = t.getCause();
      switch (t) {
        case IllegalArgumentException iae -> HttpErrors.send(ctx, 400, "invalid value", iae.getMessage());
        case IllegalStateException ise -> HttpErrors.send(ctx, 503, "model not running", ise.getMessage());
        case UnsupportedOperationException uoe -> HttpErrors.send(ctx, 501, "not implemented", uoe.getMessage());
        case TimeoutException te -> HttpErrors.send(ctx, 503, "trainer busy", "the trainer of model " + e.name()
            + " did not apply " + action + " within " + timeoutMs + " ms; it is queued and may still take effect: "
            + "check GET /models/" + e.name());
        default -> {
          LOG.error("control {} of model {} failed", action, e.name(), t);
          HttpErrors.send(ctx, 500, "internal error", t.getClass().getSimpleName() + ": " + t.getMessage());
        }
      }
    });
  }

  /**
   * {@code {"action": "pause" | "resume" | "reset"}} or {@code {"action": "lr", "value": <number > 0>}};
   * any other field, a missing or unknown action, a value where none belongs or a bad value is a 400
   * naming the field.
   */
  static Command parse(Buffer body) {
    JsonObject o;
    try {
      if (body == null || body.length() == 0) throw new DecodeException("empty body");
      Object v = io.vertx.core.json.Json.decodeValue(body);
      if (!(v instanceof JsonObject j))
        throw HttpProblem.badRequest("invalid request", "body must be a JSON object like {\"action\": \"pause\"}");
      o = j;
    } catch (DecodeException ex) {
      throw HttpProblem.badRequest("malformed JSON", "body is not JSON: " + shortMessage(ex));
    }
    for (String f : o.fieldNames())
      if (!f.equals("action") && !f.equals("value"))
        throw HttpProblem.badRequest("unknown field", "field \"" + clip(f) + "\" is not allowed; send \"action\" "
            + "(and \"value\" with lr)");
    Object a = o.getValue("action");
    if (a == null) throw HttpProblem.badRequest("missing field", "field \"action\" is required: pause, resume, reset or lr");
    if (!(a instanceof String s))
      throw HttpProblem.badRequest("invalid action", "field \"action\" must be a string: pause, resume, reset or lr");
    Action action = switch (s) {
      case "pause" -> Action.PAUSE;
      case "resume" -> Action.RESUME;
      case "reset" -> Action.RESET;
      case "lr" -> Action.LR;
      default -> throw HttpProblem.badRequest("invalid action", "field \"action\" = \"" + clip(s)
          + "\" is not one of pause, resume, reset, lr");
    };
    Object value = o.getValue("value");
    if (action != Action.LR) {
      if (o.containsKey("value"))
        throw HttpProblem.badRequest("unexpected field", "field \"value\" only goes with \"action\": \"lr\"");
      return Command.of(action);
    }
    if (!(value instanceof Number n))
      throw HttpProblem.badRequest("invalid value", "field \"value\" must be a number > 0 (the new base learning "
          + "rate), got " + (value == null ? "nothing" : clip(String.valueOf(value))));
    double d = n.doubleValue();
    if (!(d > 0) || !Double.isFinite(d))
      throw HttpProblem.badRequest("invalid value", "field \"value\" = " + n + " must be a finite number > 0");
    return new Command(action, d);
  }

  private static String clip(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String shortMessage(DecodeException ex) {
    String m = String.valueOf(ex.getMessage());
    int cut = m.indexOf("\n");
    m = cut >= 0 ? m.substring(0, cut) : m;
    return m.replaceAll("\\s*\\(start marker at \\[Source:.*?\\]\\)", "");
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
