package org.streamlearn.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import org.streamlearn.learn.Metrics;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.ModelView;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/** The JSON views of models, snapshots, metrics and status. Non-finite numbers become null. */
final class ModelJson {
  private ModelJson() {}

  /** A double as JSON: null when NaN or infinite (JSON has no such numbers). */
  static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  static JsonObject metrics(Metrics m) {
    return new JsonObject()
        .put("examples", m.examples())
        .put("skipped", m.skipped())
        .put("window", m.window())
        .put("lossEwma", num(m.lossEwma()))
        .put("lossWindow", num(m.lossWindow()))
        .put("accuracyEwma", num(m.accuracyEwma()))
        .put("accuracyWindow", num(m.accuracyWindow()))
        .put("maeWindow", num(m.maeWindow()))
        .put("rmseWindow", num(m.rmseWindow()))
        .put("all", cumulative(m.all()))
        .put("sinceReset", cumulative(m.sinceReset()));
  }

  /** Whole-stream means of a span (since start, since the last reset). */
  static JsonObject cumulative(Metrics.Cumulative c) {
    return new JsonObject()
        .put("examples", c.examples())
        .put("loss", num(c.loss()))
        .put("accuracy", num(c.accuracy()))
        .put("mae", num(c.mae()))
        .put("rmse", num(c.rmse()));
  }

  /** The data of an SSE {@code drift} event. */
  static JsonObject drift(org.streamlearn.learn.Drift d) {
    return new JsonObject()
        .put("count", d.count())
        .put("step", d.step())
        .put("examples", d.examples())
        .put("detector", d.detector())
        .put("action", d.action())
        .put("lossEwma", num(d.lossEwma()))
        .put("time", Instant.ofEpochMilli(d.timeMillis()).toString());
  }

  static JsonObject metricsSummary(Metrics m) {
    return new JsonObject()
        .put("lossEwma", num(m.lossEwma()))
        .put("accuracyEwma", num(m.accuracyEwma()))
        .put("rmseWindow", num(m.rmseWindow()));
  }

  static JsonObject status(Status s) {
    return new JsonObject()
        .put("ready", s.ready())
        .put("paused", s.paused())
        .put("examplesPerSecond", num(s.examplesPerSecond()))
        .put("lag", s.lag())
        .put("problem", s.problem())
        .put("trainingPaused", s.trainingPaused())
        .put("step", s.step() < 0 ? null : s.step())
        .put("learningRate", num(s.learningRate()));
  }

  /** The data of an SSE {@code divergence} event. */
  static JsonObject divergence(org.streamlearn.learn.Divergence d) {
    return new JsonObject()
        .put("count", d.count())
        .put("step", d.step())
        .put("cause", d.cause())
        .put("loss", num(d.loss()))
        .put("gradNorm", num(d.gradNorm()))
        .put("lrBefore", num(d.lrBefore()))
        .put("lrAfter", num(d.lrAfter()))
        .put("rolledBackTo", d.rolledBackTo())
        .put("versionAfter", d.versionAfter())
        .put("time", Instant.ofEpochMilli(d.timeMillis()).toString());
  }

  /** One published version: the data of an SSE event, and part of GET /models/{m}. */
  static JsonObject version(Snapshot s) {
    return new JsonObject()
        .put("version", s.version())
        .put("examples", s.examples())
        .put("metrics", metrics(s.metrics()))
        .put("learningRate", num(s.learningRate()))
        .put("gradNorm", num(s.gradNorm()))
        .put("divergences", s.divergences())
        .put("created", Instant.ofEpochMilli(s.createdMillis()).toString());
  }

  /** Entry of GET /models. */
  static JsonObject summary(ModelView m) {
    Published p = m.latest();
    Snapshot s = p == null ? null : p.snapshot();
    return new JsonObject()
        .put("name", m.name())
        .put("spec", m.spec())
        .put("version", s == null ? null : s.version())
        .put("examples", s == null ? 0L : s.examples())
        .put("metrics", metricsSummary(s == null ? Metrics.EMPTY : s.metrics()))
        .put("ready", m.status().ready());
  }

  /** GET /models/{m}. */
  static JsonObject detail(ModelView m) {
    Published p = m.latest();
    Snapshot s = p == null ? null : p.snapshot();
    JsonObject o = new JsonObject()
        .put("name", m.name())
        .put("spec", m.spec())
        .put("describe", new JsonObject(plain(m.describe())))
        .put("status", status(m.status()))
        .put("version", s == null ? null : s.version());
    if (s == null) {
      o.put("examples", 0L).put("metrics", metrics(Metrics.EMPTY)).put("learningRate", null).put("gradNorm", null)
          .put("divergences", 0L).put("created", null);
    } else {
      o.mergeIn(version(s));
    }
    return o;
  }

  /**
   * A copy of describe() that JSON can encode whatever the implementation put in: maps and
   * collections recursively, numbers (non-finite as null), strings, booleans; anything else as its
   * toString().
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> plain(Map<String, ?> in) {
    var out = new java.util.LinkedHashMap<String, Object>();
    if (in != null) in.forEach((k, v) -> out.put(String.valueOf(k), plainValue(v)));
    return out;
  }

  private static Object plainValue(Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long) return v;
    if (v instanceof Number n) return num(n.doubleValue());
    if (v instanceof Map<?, ?> m) {
      var o = new JsonObject();
      m.forEach((k, x) -> o.put(String.valueOf(k), plainValue(x)));
      return o;
    }
    if (v instanceof Collection<?> c) {
      var a = new JsonArray();
      c.forEach(x -> a.add(plainValue(x)));
      return a;
    }
    return v.toString();
  }
}
