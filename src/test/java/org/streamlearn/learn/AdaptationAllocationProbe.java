package org.streamlearn.learn;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.streamlearn.optim.OptimizerSpec;

/**
 * Forked by {@link PlasticityTest}: bytes allocated by 640 warmed-up examples with standardization,
 * drift detection and plasticity on, one line {@code <plasticity>|<drift>|<batch>|<bytes>} per case.
 */
public final class AdaptationAllocationProbe {
  static final String[][] CASES = {
      {"shrink_perturb", "page_hinkley(threshold=5)", "1"},
      {"cbp(rate=0.05, maturity=10)", "adwin(clock=4)", "16"},
  };

  public static void main(String[] args) {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (String[] c : CASES) {
      int batch = Integer.parseInt(c[2]);
      var cfg = LearnerConfig.of("input(20) dense(32) relu dense(16) tanh dense(4)", "cross_entropy",
          OptimizerSpec.defaults("adam", 1e-3f), batch).withGuard(0.5f, 7)
          .withAdaptation(new Adaptation(true, false, 500, DriftSpec.parse(c[1], "lr(factor=2, steps=3)"),
              PlasticitySpec.parse(c[0])));
      OnlineLearner l = new OnlineLearner(cfg);
      SplittableRandom r = new SplittableRandom(6);
      float[] x = new float[20 * 64], y = new float[64];
      for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
      for (int i = 0; i < 64; i++) y[i] = i % 4;
      for (int i = 0; i < 2000; i++) l.addBlock(64, x, 0, y, 0);
      long bytes = -1;
      for (int round = 0; round < 200 && bytes != 0; round++) {
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10; i++) l.addBlock(64, x, 0, y, 0);
        bytes = mx.getCurrentThreadAllocatedBytes() - before;
      }
      System.out.println(c[0] + "|" + c[1] + "|" + batch + "|" + bytes + "|replaced " + l.unitsReplaced());
    }
  }
}
