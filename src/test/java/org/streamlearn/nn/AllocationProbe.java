package org.streamlearn.nn;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Measures the bytes one thread allocates over 100 warmed-up training steps (forward, loss,
 * backward with and without the input gradient). Run in-process by {@link AllocationTest}, and as
 * a main in a forked JVM to pin the kernel path: args are {@code spec|loss} pairs; prints
 * {@code spec|loss|bytes} per pair.
 */
final class AllocationProbe {
  private AllocationProbe() {}

  public static void main(String[] args) {
    for (String a : args) {
      String[] sl = a.split("\\|");
      System.out.println(a + "|" + bytesPer100Steps(sl[0], sl[1]));
    }
  }

  static long bytesPer100Steps(String spec, String lossName) {
    Model m = Model.of(ModelSpec.parse(spec));
    Loss loss = Loss.of(lossName);
    int B = 8, O = m.outputSize();
    float[] p = new float[m.paramCount()], g = new float[m.paramCount()];
    m.init(p, 1);
    var r = new SplittableRandom(1);
    float[] x = GradCheck.uniform(B * m.inputSize(), -1, 1, r);
    float[] y = new float[B * loss.targetSize(O)];
    for (int i = 0; i < y.length; i++) y[i] = lossName.equals("cross_entropy") ? r.nextInt(O) : r.nextInt(2);
    float[] dOut = new float[B * O], per = new float[B];
    Workspace ws = m.newWorkspace(B);
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    // Warm-up: each SIMD kernel is its own compilation root (pom.xml) and is allocation-free once C2
    // has compiled it, after some thousands of calls. Measure 100 steps at a time until a round
    // allocates nothing, for at most 50,000 steps: a real allocation on the hot path never stops.
    for (int i = 0; i < 3000; i++) step(m, loss, B, p, g, x, y, dOut, per, ws);
    long bytes = -1;
    for (int round = 0; round < 500 && bytes != 0; round++) {
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 100; i++) step(m, loss, B, p, g, x, y, dOut, per, ws);
      bytes = mx.getCurrentThreadAllocatedBytes() - before;
    }
    return bytes;
  }

  private static void step(Model m, Loss loss, int B, float[] p, float[] g, float[] x, float[] y, float[] dOut,
      float[] per, Workspace ws) {
    float[] out = m.forward(B, p, x, 0, ws);
    loss.lossAndGrad(B, m.outputSize(), out, 0, y, 0, dOut, per);
    m.backward(B, p, g, x, 0, dOut, ws);
    m.backward(B - 1, p, g, x, 0, dOut, ws, true); // a smaller batch and the input-gradient path too
  }
}
