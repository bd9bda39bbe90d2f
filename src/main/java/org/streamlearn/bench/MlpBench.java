package org.streamlearn.bench;

import java.util.SplittableRandom;
import org.streamlearn.learn.LearnerConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.optim.OptimizerSpec;

/**
 * Training throughput of the MLP 784-256-256-10 (ReLU, softmax cross-entropy) through the online
 * learner, in examples per second, on in-memory synthetic data (a fixed block of random inputs and
 * labels streamed again and again).
 */
public final class MlpBench {
  private MlpBench() {}

  public static final String SPEC = "input(784) dense(256) relu dense(256) relu dense(10)";

  /** Multiply-adds ×2 per example: forward, weight gradients, and input gradients of layers 2 and 3. */
  public static final double FLOPS_PER_EXAMPLE =
      2.0 * (784 * 256 + 256 * 256 + 256 * 10) // forward
      + 2.0 * (784 * 256 + 256 * 256 + 256 * 10) // dW
      + 2.0 * (256 * 256 + 256 * 10); // dx of layers 2 and 3 (layer 1's input needs none)

  public static OnlineLearner learner(String optimizer, int batch) {
    return learner(optimizer, batch, 1);
  }

  /** The benchmark's learner, its steps split across {@code threads} threads. */
  public static OnlineLearner learner(String optimizer, int batch, int threads) {
    return learner(optimizer, batch, threads, false);
  }

  /** The benchmark's learner under train.threads = auto, with a team of up to {@code threads}. */
  public static OnlineLearner autoLearner(String optimizer, int batch, int threads) {
    return learner(optimizer, batch, threads, true);
  }

  private static OnlineLearner learner(String optimizer, int batch, int threads, boolean auto) {
    float lr = optimizer.equals("sgd") ? 0.01f : 1e-3f;
    return new OnlineLearner(LearnerConfig.of(SPEC, "cross_entropy", OptimizerSpec.defaults(optimizer, lr), batch),
        threads, auto);
  }

  /** Examples per second, best of 5 repetitions of about {@code ms} ms each after warm-up. */
  public static double examplesPerSecond(String optimizer, int batch, int ms) {
    return examplesPerSecond(optimizer, batch, 1, ms);
  }

  /** As {@link #examplesPerSecond(String, int, int)}, the steps split across {@code threads} threads. */
  public static double examplesPerSecond(String optimizer, int batch, int threads, int ms) {
    OnlineLearner l = learner(optimizer, batch, threads);
    try {
      return measure(l, ms);
    } finally {
      l.closeThreads();
    }
  }

  /** A run under train.threads = auto: its rate, and what the learner chose in its last probe. */
  public record AutoRun(double examplesPerSecond, int chosenThreads, double teamTimeRatio) {}

  /**
   * As {@link #examplesPerSecond(String, int, int, int)} under train.threads = auto: up to
   * {@code threads} threads, the team used only while measured faster (probes included in the time).
   */
  public static AutoRun auto(String optimizer, int batch, int threads, int ms) {
    OnlineLearner l = autoLearner(optimizer, batch, threads);
    try {
      double rate = measure(l, ms);
      return new AutoRun(rate, l.chosenThreads(), l.teamTimeRatio());
    } finally {
      l.closeThreads();
    }
  }

  private static double measure(OnlineLearner l, int ms) {
    int n = 1024;
    SplittableRandom r = new SplittableRandom(9);
    float[] x = new float[n * 784], y = new float[n];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
    for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
    long warmEnd = System.nanoTime() + ms * 3_000_000L;
    long seen = 0;
    while (System.nanoTime() < warmEnd) { l.addBlock(n, x, 0, y, 0); seen += n; }
    double best = 0;
    int blocks = (int) Math.max(1, seen / n / 3);
    for (int rep = 0; rep < 5; rep++) {
      long t0 = System.nanoTime();
      for (int b = 0; b < blocks; b++) l.addBlock(n, x, 0, y, 0);
      best = Math.max(best, blocks * (double) n / ((System.nanoTime() - t0) * 1e-9));
    }
    if (!Float.isFinite(l.lastLoss())) throw new IllegalStateException("training diverged during the benchmark");
    return best;
  }
}
