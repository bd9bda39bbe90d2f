package org.streamlearn.nn;

import java.util.SplittableRandom;

/** Weight initialisers shared by the layers (deterministic given the generator). */
final class Inits {
  private Inits() {}

  /** Glorot/Xavier uniform: U(−a, a), a = √(6/(fanIn+fanOut)), so the variance is 2/(fanIn+fanOut). */
  static void glorotUniform(float[] p, int off, int n, int fanIn, int fanOut, SplittableRandom rnd) {
    double a = Math.sqrt(6.0 / (fanIn + fanOut));
    for (int i = 0; i < n; i++) p[off + i] = (float) ((2 * rnd.nextDouble() - 1) * a);
  }
}
