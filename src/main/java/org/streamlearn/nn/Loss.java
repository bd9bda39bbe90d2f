package org.streamlearn.nn;

/**
 * A loss over a batch of model outputs {@code out[B×O]} and targets {@code y[B × targetSize(O)]}.
 * Implementations are stateless and allocate nothing per call.
 */
public interface Loss {
  /** Target floats per example: cross_entropy 1 (the class index, stored as a float); others O. */
  int targetSize(int outputSize);

  /**
   * Mean loss over the batch; OVERWRITES dOut[0 .. B·O) with d(mean loss)/d out and
   * perExample[0 .. B) with each example's loss (the mean of which is the return value).
   */
  float lossAndGrad(int B, int O, float[] out, int outOff, float[] y, int yOff, float[] dOut, float[] perExample);

  /** True for losses on logits of classes (cross_entropy, bce_with_logits). */
  boolean classification();

  /** Canonical name, accepted by {@link #of(String)}. */
  String name();

  /**
   * "mse", "cross_entropy" (softmax fused in), "bce_with_logits", "huber" (delta 1) or
   * "huber(delta)"; anything else throws IllegalArgumentException naming it.
   */
  static Loss of(String name) {
    String n = name == null ? "" : name.strip().toLowerCase(java.util.Locale.ROOT);
    switch (n) {
      case "mse": return new Losses.Mse();
      case "cross_entropy": return new Losses.CrossEntropy();
      case "bce_with_logits": return new Losses.BceWithLogits();
      case "huber": return new Losses.Huber(1f);
      default:
        if (n.startsWith("huber(") && n.endsWith(")")) {
          String arg = n.substring(6, n.length() - 1).strip();
          float delta;
          try {
            delta = Float.parseFloat(arg);
          } catch (NumberFormatException e) {
            delta = Float.NaN;
          }
          if (!(delta > 0) || Float.isInfinite(delta))
            throw new IllegalArgumentException("bad delta '" + arg + "' in loss '" + name
                + "'; expected huber(delta) with a finite delta > 0");
          return new Losses.Huber(delta);
        }
        throw new IllegalArgumentException("unknown loss '" + name
            + "'; expected one of mse, cross_entropy, bce_with_logits, huber, huber(delta)");
    }
  }
}
