package org.streamlearn.learn;

import org.streamlearn.nn.ModelSpec;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.OptimizerSpec;

/**
 * Everything that defines an online learner, validated on construction.
 *
 * @param spec the layer stack
 * @param loss loss name as accepted by {@code Loss.of} (mse, cross_entropy, bce_with_logits, huber(d))
 * @param optimizer optimizer and its hyperparameters; {@code optimizer.lr()} is the base rate
 * @param schedule learning-rate schedule text as accepted by {@code Schedule.parse}
 * @param clip gradient clipping (none, norm(x), value(x))
 * @param batchSize examples per optimizer step, 1 (true SGD) to 65536
 * @param seed seed of the parameter initialisation
 * @param divergenceLrFactor factor in (0, 1) applied to the learning rate after each divergence
 * @param backupEvery steps between copies of the last good state (the divergence guard rolls back
 *     to the newest copy; a copy costs one pass over parameters and optimizer state)
 * @param metricsWindow examples in the sliding window of the prequential metrics
 * @param ewmaHalfLife examples after which an example's weight in the exponentially weighted
 *     metrics has halved
 * @param adaptation input/label standardization (null: {@link Adaptation#NONE})
 */
public record LearnerConfig(ModelSpec spec, String loss, OptimizerSpec optimizer, String schedule,
    ClipSpec clip, int batchSize, long seed, float divergenceLrFactor, int backupEvery, int metricsWindow,
    double ewmaHalfLife, Adaptation adaptation) {

  public LearnerConfig {
    if (adaptation == null) adaptation = Adaptation.NONE;
    if (spec == null) throw new IllegalArgumentException("spec is required");
    if (loss == null || loss.isBlank()) throw new IllegalArgumentException("loss is required");
    if (optimizer == null) throw new IllegalArgumentException("optimizer is required");
    if (schedule == null || schedule.isBlank()) schedule = "constant";
    if (clip == null) clip = ClipSpec.NONE;
    if (batchSize < 1 || batchSize > 65536)
      throw new IllegalArgumentException("batchSize = " + batchSize + ": must be in [1, 65536]");
    if (!(divergenceLrFactor > 0f && divergenceLrFactor < 1f))
      throw new IllegalArgumentException("divergenceLrFactor = " + divergenceLrFactor + ": must be in (0, 1)");
    if (backupEvery < 1) throw new IllegalArgumentException("backupEvery = " + backupEvery + ": must be >= 1");
    if (metricsWindow < 1) throw new IllegalArgumentException("metricsWindow = " + metricsWindow + ": must be >= 1");
    if (!(ewmaHalfLife >= 1)) throw new IllegalArgumentException("ewmaHalfLife = " + ewmaHalfLife + ": must be >= 1");
  }

  /** Defaults for everything but the model, loss, optimizer and batch size. */
  public static LearnerConfig of(String spec, String loss, OptimizerSpec optimizer, int batchSize) {
    return new LearnerConfig(ModelSpec.parse(spec), loss, optimizer, "constant", ClipSpec.NONE, batchSize, 42L,
        0.5f, 100, 1000, 200.0, Adaptation.NONE);
  }

  public LearnerConfig withSchedule(String s) {
    return new LearnerConfig(spec, loss, optimizer, s, clip, batchSize, seed, divergenceLrFactor, backupEvery,
        metricsWindow, ewmaHalfLife, adaptation);
  }

  public LearnerConfig withClip(ClipSpec c) {
    return new LearnerConfig(spec, loss, optimizer, schedule, c, batchSize, seed, divergenceLrFactor, backupEvery,
        metricsWindow, ewmaHalfLife, adaptation);
  }

  public LearnerConfig withSeed(long s) {
    return new LearnerConfig(spec, loss, optimizer, schedule, clip, batchSize, s, divergenceLrFactor, backupEvery,
        metricsWindow, ewmaHalfLife, adaptation);
  }

  public LearnerConfig withBatchSize(int b) {
    return new LearnerConfig(spec, loss, optimizer, schedule, clip, b, seed, divergenceLrFactor, backupEvery,
        metricsWindow, ewmaHalfLife, adaptation);
  }

  public LearnerConfig withGuard(float lrFactor, int every) {
    return new LearnerConfig(spec, loss, optimizer, schedule, clip, batchSize, seed, lrFactor, every,
        metricsWindow, ewmaHalfLife, adaptation);
  }

  public LearnerConfig withMetrics(int window, double halfLife) {
    return new LearnerConfig(spec, loss, optimizer, schedule, clip, batchSize, seed, divergenceLrFactor,
        backupEvery, window, halfLife, adaptation);
  }

  public LearnerConfig withAdaptation(Adaptation a) {
    return new LearnerConfig(spec, loss, optimizer, schedule, clip, batchSize, seed, divergenceLrFactor,
        backupEvery, metricsWindow, ewmaHalfLife, a);
  }
}
