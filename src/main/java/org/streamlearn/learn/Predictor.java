package org.streamlearn.learn;

import org.streamlearn.nn.Model;
import org.streamlearn.nn.Workspace;

/**
 * Inference with any parameter vector of a model (a {@link Snapshot}'s, typically), with its own
 * workspace: several predictors may run on other threads while the learner trains. Not
 * thread-safe itself: one per thread, or pooled.
 */
public final class Predictor {
  private final Model model;
  private final Workspace ws;
  private final int maxBatch;

  public Predictor(Model model, int maxBatch) {
    this.model = model;
    this.maxBatch = maxBatch;
    this.ws = model.newWorkspace(maxBatch);
  }

  public Model model() {
    return model;
  }

  /**
   * Writes the model outputs (logits for classification) of n examples x[xOff ..] into
   * out[outOff ..], [n × outputSize], in chunks of at most maxBatch.
   */
  public void predict(float[] params, int n, float[] x, int xOff, float[] out, int outOff) {
    int I = model.inputSize(), O = model.outputSize();
    for (int done = 0; done < n; ) {
      int b = Math.min(maxBatch, n - done);
      float[] y = model.forward(b, params, x, xOff + done * I, ws);
      System.arraycopy(y, 0, out, outOff + done * O, b * O);
      done += b;
    }
  }

  /** Index of the largest of row r's O outputs. */
  public static int argmax(float[] out, int off, int O) {
    int best = 0;
    for (int j = 1; j < O; j++) if (out[off + j] > out[off + best]) best = j;
    return best;
  }
}
