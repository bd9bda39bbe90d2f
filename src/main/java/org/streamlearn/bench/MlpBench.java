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

  private static double measure(OnlineLearner l, int ms) {
    Run run = new Run(l);
    run.warmUp(ms);
    for (int rep = 0; rep < 5; rep++) run.window();
    return run.best();
  }

  /**
   * A learner being measured, for benchmarks that interleave several: windows of one configuration
   * alternate with the others' so that a slow spell of a shared machine (they last seconds) weighs on
   * all of them alike instead of on whichever ran then. In-memory data: a fixed block of random
   * inputs and labels streamed again and again.
   */
  public static final class Run {
    private static final int N = 1024;
    private static float[] x, y; // shared by every run (read only)
    private final OnlineLearner learner;
    private int blocks = 1;
    private double best;

    public Run(OnlineLearner learner) {
      this.learner = learner;
      synchronized (Run.class) {
        if (x == null) {
          SplittableRandom r = new SplittableRandom(9);
          float[] xs = new float[N * 784], ys = new float[N];
          for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble();
          for (int i = 0; i < N; i++) ys[i] = r.nextInt(10);
          x = xs;
          y = ys;
        }
      }
    }

    public OnlineLearner learner() {
      return learner;
    }

    /** Trains for 3·ms, and sizes the windows to about ms each. */
    public void warmUp(int ms) {
      long end = System.nanoTime() + ms * 3_000_000L, seen = 0;
      while (System.nanoTime() < end) {
        learner.addBlock(N, x, 0, y, 0);
        seen += N;
      }
      blocks = (int) Math.max(1, seen / N / 3);
    }

    /** One timed window; returns its examples/s (the best so far is kept). */
    public double window() {
      long t0 = System.nanoTime();
      for (int b = 0; b < blocks; b++) learner.addBlock(N, x, 0, y, 0);
      double rate = blocks * (double) N / ((System.nanoTime() - t0) * 1e-9);
      if (!Float.isFinite(learner.lastLoss())) throw new IllegalStateException("training diverged during the benchmark");
      best = Math.max(best, rate);
      return rate;
    }

    /** The best window's examples/s: the machine's noise only ever slows a window down. */
    public double best() {
      return best;
    }
  }
}
