package org.streamlearn.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every 4xx and 5xx answer of the API: {@code {"error": "<code>", "detail": "<what was wrong>"}}
 * with {@code Content-Type: application/json}. User input only ever lands inside JSON strings,
 * escaped by the encoder (and {@code < > &} as unicode escapes), never in HTML.
 */
final class HttpErrors {
  private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);
  static final String JSON = "application/json";

  private HttpErrors() {}

  static void send(RoutingContext ctx, int status, String error, String detail) {
    send(ctx.response(), status, new JsonObject().put("error", error).put("detail", detail));
  }

  static void send(HttpServerResponse res, int status, JsonObject body) {
    if (res.ended() || res.closed()) return;
    if (res.headWritten()) { // a stream already started: nothing valid can follow, drop it
      res.reset();
      return;
    }
    res.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(htmlSafe(body));
  }

  /**
   * The JSON text with {@code <}, {@code >} and {@code &} written as {@code \\u003c}, {@code \\u003e}
   * and {@code \\u0026} (as Go's encoding/json does): the same JSON value, but an echoed path or field
   * can never read as markup, even to a client that ignores the content type. Safe as a plain
   * replacement because those characters only ever occur inside JSON strings.
   */
  static io.vertx.core.buffer.Buffer htmlSafe(JsonObject body) {
    String text = body.encode();
    if (text.indexOf('<') >= 0 || text.indexOf('>') >= 0 || text.indexOf('&') >= 0)
      text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    return io.vertx.core.buffer.Buffer.buffer(text);
  }

  /** Router failure and error handler: maps ctx.fail(...) and thrown exceptions to the JSON body. */
  static void handle(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof HttpProblem p) {
      send(ctx, p.status, p.error, p.detail());
      return;
    }
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    var req = ctx.request();
    String where = req.method() + " " + req.path();
    String detail = switch (status) {
      case 404 -> "no route for " + where;
      case 405 -> "method " + req.method() + " not allowed on " + req.path()
          + (ctx.response().headers().contains(HttpHeaders.ALLOW) ? "; allowed: " + ctx.response().headers().get(HttpHeaders.ALLOW) : "");
      case 406 -> "cannot produce a type listed in Accept: " + req.getHeader(HttpHeaders.ACCEPT);
      case 413 -> "request body is larger than the limit"
          + (req.getHeader(HttpHeaders.CONTENT_LENGTH) == null ? "" : " (Content-Length "
              + req.getHeader(HttpHeaders.CONTENT_LENGTH) + ")");
      case 415 -> "Content-Type " + req.getHeader(HttpHeaders.CONTENT_TYPE) + " not supported on " + where
          + ": send application/json";
      default -> t == null ? where : t.getClass().getSimpleName() + ": " + t.getMessage();
    };
    if (status >= 500) LOG.error("{} failed with {}", where, status, t);
    send(ctx, status, title(status), detail);
  }

  static String title(int status) {
    return switch (status) {
      case 400 -> "bad request";
      case 404 -> "not found";
      case 405 -> "method not allowed";
      case 406 -> "not acceptable";
      case 413 -> "payload too large";
      case 415 -> "unsupported media type";
      case 503 -> "service unavailable";
      default -> status >= 500 ? "internal error" : "http " + status;
    };
  }
}
