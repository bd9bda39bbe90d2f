package org.streamlearn.learn;

/**
 * The standardization a snapshot's weights expect, frozen with them: a consumer computes
 * {@code model((x − inputMean) / inputStd)} and, when the targets were standardized too, multiplies
 * the outputs by {@code labelStd} and adds {@code labelMean}. All float32, one operation at a time,
 * so numpy repeats it bit for bit. Arrays are owned by the scaling and must not be modified.
 *
 * @param inputMean null when inputs are raw
 * @param labelMean null when targets are raw
 * @param inputCount examples the input statistics cover (for a service resuming from the weights)
 */
public record Scaling(float[] inputMean, float[] inputStd, long inputCount, float[] labelMean, float[] labelStd,
    long labelCount) {
  /** Raw inputs and outputs. */
  public static final Scaling NONE = new Scaling(null, null, 0, null, null, 0);

  public boolean input() { return inputMean != null; }
  public boolean label() { return labelMean != null; }

  /** Standardizes n rows of features in place (nothing when inputs are raw). */
  public void applyInput(int n, float[] x, int off) {
    if (inputMean != null) Standardizer.apply(inputMean, inputStd, n, x, off, inputMean.length);
  }

  /** Turns n rows of model outputs back into label units in place (nothing when targets are raw). */
  public void invertOutput(int n, float[] out, int off) {
    if (labelMean != null) Standardizer.invert(labelMean, labelStd, n, out, off, labelMean.length);
  }
}
