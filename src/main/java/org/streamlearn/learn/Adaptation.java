package org.streamlearn.learn;

/**
 * How a learner adapts to a live stream, beyond its optimizer: standardization of inputs (and of
 * regression targets) by running statistics ({@link Standardizer}), and drift detection on the
 * prequential loss with an action ({@link DriftSpec}).
 *
 * @param inputStandard standardize every feature by its running mean and standard deviation
 * @param labelStandard standardize regression targets likewise (the model learns scaled targets;
 *     predictions and MAE/RMSE are in label units again)
 * @param halfLife examples after which an example's weight in those statistics has halved; 0: all
 *     examples weigh the same (Welford)
 * @param drift drift detector and action (null: none)
 * @param plasticity continual backprop or shrink-and-perturb (null: none)
 */
public record Adaptation(boolean inputStandard, boolean labelStandard, double halfLife, DriftSpec drift,
    PlasticitySpec plasticity) {
  /** Raw inputs and targets. */
  public static final Adaptation NONE = new Adaptation(false, false, 0);
  /** Inputs standardized over the whole stream (the service's default). */
  public static final Adaptation STANDARD = new Adaptation(true, false, 0);

  public Adaptation(boolean inputStandard, boolean labelStandard, double halfLife) {
    this(inputStandard, labelStandard, halfLife, DriftSpec.NONE, PlasticitySpec.NONE);
  }

  public Adaptation withDrift(DriftSpec d) {
    return new Adaptation(inputStandard, labelStandard, halfLife, d, plasticity);
  }

  public Adaptation withPlasticity(PlasticitySpec p) {
    return new Adaptation(inputStandard, labelStandard, halfLife, drift, p);
  }

  public Adaptation {
    if (drift == null) drift = DriftSpec.NONE;
    if (plasticity == null) plasticity = PlasticitySpec.NONE;
    if (!(halfLife == 0 || halfLife >= 1))
      throw new IllegalArgumentException("halfLife = " + halfLife + ": must be 0 (whole stream) or >= 1");
  }
}
