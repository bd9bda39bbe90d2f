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
 * @param scaling the standardization these weights expect of their inputs (and apply to their outputs)
 */
public record Snapshot(String spec, long version, long examples, long createdMillis, float[] params,
    Metrics metrics, long divergences, float learningRate, float gradNorm, Scaling scaling) {

  public Snapshot {
    if (scaling == null) scaling = Scaling.NONE;
  }

  /** A copy with another version number (a replica group's version line). */
  public Snapshot withVersion(long v) {
    return new Snapshot(spec, v, examples, createdMillis, params, metrics, divergences, learningRate, gradNorm, scaling);
  }

  public ModelSpec modelSpec() {
    return ModelSpec.parse(spec);
  }
}
