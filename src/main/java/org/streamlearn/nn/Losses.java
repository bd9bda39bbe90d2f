package org.streamlearn.nn;

import org.streamlearn.kernels.Kernels;

/**
 * The losses of {@link Loss#of}. Element-wise losses (mse, bce_with_logits, huber) average over
 * all B·O elements, as PyTorch's default {@code reduction='mean'}: an example's loss is the mean
 * over its O outputs and the batch loss the mean over examples. Per-element arithmetic is scalar
 * (no kernel fuses these), one pass, no allocation. Cross-entropy's exp is the kernels' and BCE's
 * exp and log1p are StrictMath's: their results do not depend on the JIT tier (Math's may be
 * intrinsics that differ by an ulp), so training is reproducible bit for bit across JVMs.
 */
final class Losses {
  private Losses() {}

  /** (out − y)². */
  static final class Mse implements Loss {
    @Override public int targetSize(int o) { return o; }
    @Override public boolean classification() { return false; }
    @Override public String name() { return "mse"; }

    @Override
    public float lossAndGrad(int B, int O, float[] out, int outOff, float[] y, int yOff, float[] dOut,
        float[] perExample) {
      float scale = 2f / (B * O);
      double total = 0;
      for (int b = 0; b < B; b++) {
        double s = 0;
        for (int j = 0; j < O; j++) {
          int k = b * O + j;
          float d = out[outOff + k] - y[yOff + k];
          s += d * d;
          dOut[k] = scale * d;
        }
        perExample[b] = (float) (s / O);
        total += s;
      }
      return B == 0 ? 0f : (float) (total / ((double) B * O));
    }
  }

  /**
   * Softmax cross-entropy on logits, target the class index: −log softmax(z)_k = logsumexp(z) − z_k,
   * computed through the log-softmax kernel (max subtracted, so large logits do not overflow).
   * Gradient: (softmax(z) − onehot(k)) / B. The label range is the decoder's job; an index outside
   * [0, O) fails here with the array bounds exception.
   */
  static final class CrossEntropy implements Loss {
    @Override public int targetSize(int o) { return 1; }
    @Override public boolean classification() { return true; }
    @Override public String name() { return "cross_entropy"; }

    @Override
    public float lossAndGrad(int B, int O, float[] out, int outOff, float[] y, int yOff, float[] dOut,
        float[] perExample) {
      Kernels.logSoftmaxRows(B, O, out, outOff, dOut, 0); // dOut temporarily holds log p
      float invB = 1f / B;
      double total = 0;
      for (int b = 0; b < B; b++) {
        float l = -dOut[b * O + (int) y[yOff + b]];
        perExample[b] = l;
        total += l;
      }
      Kernels.exp(B * O, dOut, 0, dOut, 0); // p
      Kernels.scale(B * O, invB, dOut, 0);
      for (int b = 0; b < B; b++) dOut[b * O + (int) y[yOff + b]] -= invB;
      return B == 0 ? 0f : (float) (total / B);
    }
  }

  /**
   * Binary cross-entropy on logits, stable form max(z,0) − z·y + log(1 + e^−|z|) (never exp of a
   * large positive number). Gradient: (σ(z) − y) / (B·O).
   */
  static final class BceWithLogits implements Loss {
    @Override public int targetSize(int o) { return o; }
    @Override public boolean classification() { return true; }
    @Override public String name() { return "bce_with_logits"; }

    @Override
    public float lossAndGrad(int B, int O, float[] out, int outOff, float[] y, int yOff, float[] dOut,
        float[] perExample) {
      float scale = 1f / (B * O);
      double total = 0;
      for (int b = 0; b < B; b++) {
        double s = 0;
        for (int j = 0; j < O; j++) {
          int k = b * O + j;
          float z = out[outOff + k], t = y[yOff + k];
          double e = StrictMath.exp(-Math.abs(z));  // in (0, 1]
          s += Math.max(z, 0f) - z * t + StrictMath.log1p(e);
          double sig = z >= 0 ? 1 / (1 + e) : e / (1 + e);
          dOut[k] = (float) ((sig - t) * scale);
        }
        perExample[b] = (float) (s / O);
        total += s;
      }
      return B == 0 ? 0f : (float) (total / ((double) B * O));
    }
  }

  /** Huber: ½d² for |d| ≤ δ, else δ·(|d| − ½δ), d = out − y; gradient d or δ·sign(d), over B·O. */
  static final class Huber implements Loss {
    final float delta;

    Huber(float delta) { this.delta = delta; }

    @Override public int targetSize(int o) { return o; }
    @Override public boolean classification() { return false; }

    @Override
    public String name() {
      return delta == 1f ? "huber" : "huber(" + delta + ")";
    }

    @Override
    public float lossAndGrad(int B, int O, float[] out, int outOff, float[] y, int yOff, float[] dOut,
        float[] perExample) {
      float scale = 1f / (B * O);
      double total = 0;
      for (int b = 0; b < B; b++) {
        double s = 0;
        for (int j = 0; j < O; j++) {
          int k = b * O + j;
          float d = out[outOff + k] - y[yOff + k], a = Math.abs(d);
          if (a <= delta) {
            s += 0.5 * d * d;
            dOut[k] = d * scale;
          } else {
            s += delta * (a - 0.5 * delta);
            dOut[k] = Math.copySign(delta, d) * scale;
          }
        }
        perExample[b] = (float) (s / O);
        total += s;
      }
      return B == 0 ? 0f : (float) (total / ((double) B * O));
    }
  }
}
