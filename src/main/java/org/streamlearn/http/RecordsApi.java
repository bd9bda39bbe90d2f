package org.streamlearn.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.model.RecordIntake;

/**
 * {@code POST /models/{m}/records}: a batch of one's own records into the model's topic, so Kafka
 * stays the log and the model trains them like any other. The body holds one record per line,
 * each exactly what a record value of the model's topic holds (a CSV or JSON line; f32 models:
 * records of {@link RecordIntake#recordBytes()} bytes back to back). Every record is checked by the
 * model's decoder first: one bad line and nothing is produced (400 naming the line and the reason).
 * Otherwise all are produced and the answer, after the broker's acks, is 202
 * {@code {"model","topic","records"}}. Behind the same bearer token as the control API; the body
 * is limited by http.body.limit.bytes (413). Checking and sending run on a worker thread.
 */
final class RecordsApi {
  private static final Logger LOG = LoggerFactory.getLogger(RecordsApi.class);
  static final Set<String> TEXT_TYPES = Set.of("text/plain", "application/x-ndjson", "text/csv");
  static final String BINARY_TYPE = "application/octet-stream";

  private final long bodyLimit;

  RecordsApi(long bodyLimit) {
    this.bodyLimit = bodyLimit;
  }

  void post(RoutingContext ctx, ServedEntry e, Vertx vertx) {
    RecordIntake in = e.served.intake();
    if (in == null) {
      HttpErrors.send(ctx, 501, "not implemented", "model " + e.name() + " takes no posted records");
      return;
    }
    String ct = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String mime = ct == null ? "" : ct.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    boolean binary = in.format().equals("f32");
    if (binary ? !mime.equals(BINARY_TYPE) : !TEXT_TYPES.contains(mime)) {
      HttpErrors.send(ctx, 415, "unsupported media type", "Content-Type " + (ct == null ? "(none)" : ct)
          + " not supported for model " + e.name() + " (format " + in.format() + "): send " + (binary ? BINARY_TYPE
          : "text/plain or application/x-ndjson, one record per line"));
      return;
    }
    Buffer body = ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    var context = vertx.getOrCreateContext();
    vertx.executeBlocking(() -> {
      List<byte[]> records = binary ? splitFixed(bytes, in) : splitLines(bytes, in);
      return in.produce(records);
    }, false).compose(stage -> Future.fromCompletionStage(stage, context)).onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("model {}: {} posted records produced to {}", e.name(), ar.result(), in.topic());
        if (!ctx.response().ended() && !ctx.response().closed())
          ctx.response().setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, HttpErrors.JSON).end(new JsonObject()
              .put("model", e.name()).put("topic", in.topic()).put("records", ar.result()).toBuffer());
      } else if (ar.cause() instanceof HttpProblem p) {
        HttpErrors.send(ctx, p.status, p.error, p.detail());
      } else {
        LOG.warn("model {}: producing posted records to {} failed: {}", e.name(), in.topic(), ar.cause().toString());
        HttpErrors.send(ctx, 503, "service unavailable", "producing to " + in.topic() + " failed (some records may "
            + "have been written): " + ar.cause().getMessage());
      }
    });
  }

  /** 413 of the body handler, naming the limit. */
  void tooLarge(RoutingContext ctx) {
    if (ctx.statusCode() != 413) {
      ctx.next();
      return;
    }
    HttpErrors.send(ctx, 413, "payload too large", "request body is larger than http.body.limit.bytes = " + bodyLimit
        + " bytes: send the records in several requests");
  }

  /** Lines (LF or CRLF); blank lines are skipped, line numbers count them. */
  static List<byte[]> splitLines(byte[] b, RecordIntake in) {
    List<byte[]> out = new ArrayList<>();
    int line = 0;
    for (int start = 0; start < b.length; ) {
      int end = start;
      while (end < b.length && b[end] != '\n') end++;
      line++;
      int stop = end > start && b[end - 1] == '\r' ? end - 1 : end;
      if (!blank(b, start, stop)) {
        byte[] v = java.util.Arrays.copyOfRange(b, start, stop);
        String why = in.check(v);
        if (why != null) throw HttpProblem.badRequest("bad record", "line " + line + ": " + why + "; nothing was produced");
        out.add(v);
      }
      start = end + 1;
    }
    if (out.isEmpty()) throw HttpProblem.badRequest("no records", "the body holds no record: send one per line");
    return out;
  }

  /** f32 records back to back. */
  static List<byte[]> splitFixed(byte[] b, RecordIntake in) {
    int n = in.recordBytes();
    if (b.length == 0) throw HttpProblem.badRequest("no records", "the body holds no record: send records of " + n + " bytes");
    if (b.length % n != 0)
      throw HttpProblem.badRequest("bad record", "record " + (b.length / n + 1) + ": " + b.length % n + " bytes left over; "
          + "records are " + n + " bytes (float32 features then label); nothing was produced");
    List<byte[]> out = new ArrayList<>(b.length / n);
    for (int i = 0; i < b.length / n; i++) {
      byte[] v = java.util.Arrays.copyOfRange(b, i * n, (i + 1) * n);
      String why = in.check(v);
      if (why != null) throw HttpProblem.badRequest("bad record", "record " + (i + 1) + ": " + why + "; nothing was produced");
      out.add(v);
    }
    return out;
  }

  private static boolean blank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) if (b[i] != ' ' && b[i] != '\t') return false;
    return true;
  }
}
