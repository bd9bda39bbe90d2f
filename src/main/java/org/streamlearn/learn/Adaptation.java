package org.streamlearn.learn;

/**
 * How a learner adapts to a live stream, beyond its optimizer: standardization of inputs (and of
 * regression targets) by running statistics ({@link Standardizer}).
 *
 * @param inputStandard standardize every feature by its running mean and standard deviation
 * @param labelStandard standardize regression targets likewise (the model learns scaled targets;
 *     predictions and MAE/RMSE are in label units again)
 * @param halfLife examples after which an example's weight in those statistics has halved; 0: all
 *     examples weigh the same (Welford)
 */
public record Adaptation(boolean inputStandard, boolean labelStandard, double halfLife) {
  /** Raw inputs and targets. */
  public static final Adaptation NONE = new Adaptation(false, false, 0);
  /** Inputs standardized over the whole stream (the service's default). */
  public static final Adaptation STANDARD = new Adaptation(true, false, 0);

  public Adaptation {
    if (!(halfLife == 0 || halfLife >= 1))
      throw new IllegalArgumentException("halfLife = " + halfLife + ": must be 0 (whole stream) or >= 1");
  }
}
