package org.streamlearn.nn;

/**
 * Every activation, gradient and scratch buffer of one model for batches up to {@link #maxBatch()},
 * allocated once by {@link Model#newWorkspace(int)} so forward and backward allocate nothing.
 * Not thread-safe: one workspace per thread.
 */
public final class Workspace {
  final Model model;
  final int maxBatch;
  final float[][] out;     // out[i]: output of layer i, [maxBatch × out_i]
  final float[][] dOut;    // dOut[i]: gradient w.r.t. out[i] (the last one is the caller's dOut)
  final float[][] scratch; // per-layer scratch
  final float[] dInput;    // [maxBatch × inputSize], written only by backward(..., inputGrad = true)

  Workspace(Model model, int maxBatch, Layer[] layers) {
    this.model = model;
    this.maxBatch = maxBatch;
    int n = layers.length;
    out = new float[n][];
    dOut = new float[n][];
    scratch = new float[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new float[maxBatch * layers[i].out()];
      dOut[i] = i < n - 1 ? new float[maxBatch * layers[i].out()] : null;
      scratch[i] = new float[layers[i].scratchSize(maxBatch)];
    }
    dInput = new float[maxBatch * layers[0].in()];
  }

  public int maxBatch() {
    return maxBatch;
  }

  /**
   * Gradient of the loss w.r.t. the model input, {@code [B × inputSize]} at 0, valid after
   * {@link Model#backward(int, float[], float[], float[], int, float[], Workspace, boolean)} with
   * {@code inputGrad = true} (overwritten by each such call).
   */
  public float[] inputGrad() {
    return dInput;
  }
}
