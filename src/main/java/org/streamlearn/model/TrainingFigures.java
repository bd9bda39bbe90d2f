package org.streamlearn.model;

import org.streamlearn.learn.Metrics;

/**
 * What the trainer knows after a step (or a chunk of rows, a command, a publish): one immutable
 * record, replaced as a whole, so a reader on any thread sees figures of one moment.
 *
 * @param steps optimizer steps taken
 * @param examples examples in the learner's state (a reset or a rollback may lower it)
 * @param rowsTrained records trained on in completed steps, ever (a counter)
 * @param divergences firings of the divergence guard
 * @param examplesRolledBack examples whose training divergence rollbacks discarded
 * @param version newest published weights version, -1 none
 * @param learningRate learning rate of the next step
 * @param gradNorm global gradient L2 norm of the last step, before clipping
 * @param metrics prequential metrics
 * @param examplesPerSecond examples trained in the last second
 * @param trainingPaused paused through the control address
 * @param resets resets applied through the control address
 * @param publishSkipped versions withheld because a weight was not finite
 * @param drifts drifts detected on the prequential loss
 * @param exchanges scale-out: parameter exchanges with the other replicas
 * @param rowsDropped scale-out: queued rows of lost partitions, dropped untrained
 * @param lastPublishMillis wall-clock time of the last publish, 0 none
 * @param trainThreads threads the steps run on now (train.threads; under auto, 1 while the team
 *     measured slower)
 */
public record TrainingFigures(long steps, long examples, long rowsTrained, long divergences, long examplesRolledBack,
    long version, double learningRate, double gradNorm, Metrics metrics, double examplesPerSecond,
    boolean trainingPaused, long resets, long publishSkipped, long drifts, long exchanges, long rowsDropped,
    long lastPublishMillis, int trainThreads) {
  /** Before the trainer ran. */
  public static final TrainingFigures NONE = new TrainingFigures(0, 0, 0, 0, 0, -1, Double.NaN, Double.NaN,
      Metrics.EMPTY, 0, false, 0, 0, 0, 0, 0, 0, 1);
}
