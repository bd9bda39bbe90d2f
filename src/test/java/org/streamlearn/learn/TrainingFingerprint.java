package org.streamlearn.learn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.OptimizerSpec;

/**
 * A fixed training sequence touching every tier-sensitive kernel: GEMMs in all three layouts and
 * their packed and unpacked paths (batches 5 and 34, widths that leave vector tails), tanh,
 * sigmoid, layer norm, LSTMs, softmax, the three classification and regression losses, Adam, AdamW
 * and RMSProp, a cosine schedule and clipping by global norm, batch 1 (matrix-vector products, rank-1
 * updates). {@link #run()} returns the final
 * parameters and optimizer state of each learner; {@link #main} prints their raw float bits, one
 * array per line, for a parent JVM to compare with its own run (TierIndependenceTest).
 */
final class TrainingFingerprint {
  private TrainingFingerprint() {}

  static List<float[]> run() {
    List<float[]> out = new ArrayList<>();
    train(out, LearnerConfig.of("input(13) dense(37) tanh layernorm dense(11) sigmoid dense(5)", "cross_entropy",
        OptimizerSpec.defaults("adam", 0.01f), 5).withClip(ClipSpec.norm(1f)), 40, 1);
    train(out, LearnerConfig.of("input(6x5) lstm(9, seq) layernorm lstm(7) dense(3) softmax", "mse",
        OptimizerSpec.defaults("adamw", 0.01f), 5).withSchedule("cosine(warmup=2,total=8,min=0.001)"), 35, 3);
    train(out, LearnerConfig.of("input(9) dense(40) tanh dense(3)", "bce_with_logits",
        OptimizerSpec.defaults("rmsprop", 0.01f), 34), 68, 3);
    // The adaptive parts: standardization (exponential), Page-Hinkley (a low threshold: it fires 11
    // times here) with an lr boost, continual backprop (39 units replaced); Page-Hinkley resetting the
    // optimizer with shrink-and-perturb; ADWIN (no rise to report on these random labels, but its cut
    // test runs every 4 values).
    train(out, LearnerConfig.of("input(9) dense(16) relu dense(12) relu dense(5)", "cross_entropy",
        OptimizerSpec.defaults("adam", 0.01f), 4).withAdaptation(new Adaptation(true, false, 20,
            DriftSpec.parse("page_hinkley(threshold=1, min_instances=5)", "lr(factor=2, steps=5)"),
            PlasticitySpec.parse("cbp(rate=0.05, maturity=5)"))), 160, 1);
    train(out, LearnerConfig.of("input(9) dense(16) relu dense(5)", "cross_entropy",
        OptimizerSpec.defaults("momentum", 0.01f), 4).withAdaptation(new Adaptation(true, false, 0,
            DriftSpec.parse("adwin(clock=4)", "reset_optimizer"), PlasticitySpec.NONE)), 160, 1);
    train(out, LearnerConfig.of("input(9) dense(12) tanh dense(5)", "cross_entropy",
        OptimizerSpec.defaults("adam", 0.01f), 4).withAdaptation(new Adaptation(true, false, 0,
            DriftSpec.parse("page_hinkley(threshold=1, min_instances=5)", "reset_optimizer"),
            PlasticitySpec.parse("shrink_perturb(shrink=1e-3, noise=1e-3)"))), 160, 1);
    // Batch 1: matrix-vector products by rows of 16 (8) rows of B with a column tail (100, 97), rank-1
    // weight updates (direct SGD; Adam's gradient written with beta 0), the 6-vector input gradient.
    train(out, LearnerConfig.of("input(19) dense(100) relu dense(97) relu dense(5)", "cross_entropy",
        OptimizerSpec.defaults("sgd", 0.01f), 1), 60, 1);
    train(out, LearnerConfig.of("input(19) dense(100) relu dense(97) relu dense(5)", "cross_entropy",
        OptimizerSpec.defaults("adam", 0.01f), 1), 40, 1);
    return out;
  }

  /** n examples with seeded features; targets: a class index (targets = 1, 5 classes) or 0/1 values. */
  private static void train(List<float[]> out, LearnerConfig cfg, int n, int targets) {
    OnlineLearner l = new OnlineLearner(cfg);
    SplittableRandom r = new SplittableRandom(7);
    int in = cfg.spec().features() * Math.max(1, cfg.spec().steps());
    float[] x = new float[in], y = new float[targets];
    for (int e = 0; e < n; e++) {
      for (int i = 0; i < in; i++) x[i] = (float) (r.nextGaussian() * 2);
      for (int j = 0; j < targets; j++) y[j] = targets == 1 ? r.nextInt(5) : r.nextInt(2);
      l.add(x, 0, y, 0);
    }
    l.flush();
    LearnerState s = l.exportState();
    out.add(s.params());
    for (float[] st : s.optimizerState()) out.add(st);
  }

  static String encode(float[] a) {
    StringBuilder sb = new StringBuilder();
    for (float v : a) sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(',');
    return sb.toString();
  }

  static float[] decode(String line) {
    String[] parts = line.isEmpty() ? new String[0] : line.split(",");
    float[] a = new float[parts.length];
    for (int i = 0; i < parts.length; i++) a[i] = Float.intBitsToFloat(Integer.parseUnsignedInt(parts[i], 16));
    return a;
  }

  public static void main(String[] args) {
    System.out.println("kernels: " + org.streamlearn.kernels.Kernels.describe());
    for (float[] a : run()) System.out.println("bits " + encode(a));
  }
}
