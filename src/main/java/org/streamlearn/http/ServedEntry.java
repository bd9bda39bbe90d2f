package org.streamlearn.http;

import io.vertx.core.buffer.Buffer;
import java.util.Map;
import org.streamlearn.learn.Predictor;
import org.streamlearn.model.ModelView;
import org.streamlearn.model.Published;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;

/**
 * What the verticle keeps per served model: the model built once from its spec, one
 * {@link Predictor} per worker thread, how to read its outputs, the last weights response, and the
 * update streams its event-bus consumers feed.
 */
final class ServedEntry {
  /** Rows per forward pass of a predictor; larger requests run in chunks. */
  static final int PREDICT_CHUNK = 64;

  final ModelView served;
  /** The open update streams of this model; event-loop thread (a concurrent set only so tests may count). */
  final java.util.Set<UpdateStream> streams = java.util.concurrent.ConcurrentHashMap.newKeySet();
  final Model model;
  final OutputKind kind;
  private final ThreadLocal<Predictor> predictors;
  private volatile CachedWeights weights;

  /** How outputs are turned into classes and probabilities. */
  enum OutputKind {
    /** Regression: outputs only. */
    VALUES,
    /** cross_entropy: argmax classes, softmax probabilities. */
    SOFTMAX,
    /** bce_with_logits: sigmoid probabilities per output; with one output, class = logit > 0. */
    SIGMOID
  }

  record CachedWeights(Published published, Buffer bytes) {}

  ServedEntry(ModelView served) {
    this.served = served;
    this.model = Model.of(ModelSpec.parse(served.spec()));
    this.kind = kindOf(served.describe(), model.outputSize());
    this.predictors = ThreadLocal.withInitial(() -> new Predictor(model, PREDICT_CHUNK));
  }

  String name() {
    return served.name();
  }

  Predictor predictor() {
    return predictors.get();
  }

  /**
   * Reads describe(): {@code loss} names the loss (cross_entropy, bce_with_logits, ...); a boolean
   * {@code classification} without a loss means softmax when there are several outputs.
   */
  static OutputKind kindOf(Map<String, Object> d, int outputs) {
    Object loss = d == null ? null : d.get("loss");
    String l = loss == null ? "" : loss.toString().trim().toLowerCase(java.util.Locale.ROOT);
    if (l.startsWith("cross_entropy")) return OutputKind.SOFTMAX;
    if (l.startsWith("bce")) return OutputKind.SIGMOID;
    if (!l.isEmpty()) return OutputKind.VALUES;
    Object c = d == null ? null : d.get("classification");
    boolean cls = c instanceof Boolean b ? b : c != null && Boolean.parseBoolean(c.toString());
    if (!cls) return OutputKind.VALUES;
    return outputs > 1 ? OutputKind.SOFTMAX : OutputKind.SIGMOID;
  }

  /** The response body of GET weights for this version, wrapped once and shared by requests. */
  Buffer weightsBuffer(Published p) {
    CachedWeights w = weights;
    if (w == null || w.published() != p) { // a version number may name other weights after a restart
      w = new CachedWeights(p, Buffer.buffer(p.safetensors()));
      weights = w;
    }
    return w.bytes();
  }
}
