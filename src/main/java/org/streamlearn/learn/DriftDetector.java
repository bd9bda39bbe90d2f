package org.streamlearn.learn;

/**
 * A change detector on a stream of numbers (here each example's prequential loss). {@link #update}
 * returns true at the value where a rise is detected. State can be exported for checkpoints, so a
 * resumed learner detects exactly where the original would have.
 */
public interface DriftDetector {
  /** Adds one value; true when a drift (a rise of the monitored loss) is detected at it. */
  boolean update(double x);

  /** Detector state as doubles, restored by {@link #restore}. */
  double[] export();

  void restore(double[] s);
}
