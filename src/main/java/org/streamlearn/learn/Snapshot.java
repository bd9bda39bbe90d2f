package org.streamlearn.learn;

import org.streamlearn.nn.ModelSpec;

/**
 * An immutable copy of a learner at one step: its parameters, how far it got, and its prequential
 * metrics. Taken on the trainer thread in one array copy; safe to hand to any other thread. The
 * {@code params} array is owned by the snapshot and must not be modified.
 *
 * @param version optimizer steps taken (the weights version)
 * @param examples examples trained on
 * @param createdMillis wall-clock time the snapshot was taken
 * @param divergences divergence events so far
 * @param learningRate the learning rate the next step will use
 * @param gradNorm global gradient norm of the last step (before clipping)
 */
public record Snapshot(String spec, long version, long examples, long createdMillis, float[] params,
    Metrics metrics, long divergences, float learningRate, float gradNorm) {

  public ModelSpec modelSpec() {
    return ModelSpec.parse(spec);
  }
}
