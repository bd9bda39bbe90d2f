package org.streamlearn.learn;

/**
 * Everything that determines a learner's future, copied out of it: parameters, optimizer state and
 * step (the schedule's position is the step), the divergence guard's last good copy and learning
 * rate factor, the mini-batch being assembled, and the prequential metrics. Restoring it into a
 * learner of the same configuration makes that learner continue exactly, bit for bit, as the one
 * it was taken from. (The learner draws no random numbers after initialisation, so there is no
 * random state.)
 *
 * <p>{@code step} is the weights version; the optimizer's own step count is {@code step − stepOrigin}
 * (steps discarded by rollbacks and resets), and {@code goodStep} counts in the optimizer's steps.
 * {@code goodVersion} is the weights version of the good copy, {@code goodExamples} the examples
 * count when it was taken (or at the last rollback), {@code rolledBackExamples} the examples whose
 * training rollbacks discarded. {@code scalers}: the {@link Standardizer} states, input first then
 * label, of those the configuration turns on (empty when none).
 */
public record LearnerState(String spec, long step, long examples, float lrFactor, long divergences,
    long lastDivergenceStep, float lastGradNorm, float lastLoss, float[] params, float[][] optimizerState,
    float[] goodParams, float[][] goodState, long goodStep, int pending, float[] pendingX, float[] pendingY,
    double[] metricScalars, float[][] metricRings, long stepOrigin, long goodVersion,
    long goodExamples, long rolledBackExamples, double[][] scalers) {
  public LearnerState {
    if (scalers == null) scalers = new double[0][];
  }
}
