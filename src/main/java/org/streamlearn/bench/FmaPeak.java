package org.streamlearn.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.streamlearn.kernels.Kernels;

/**
 * One core's fused multiply-add peak: 12 independent FMA chains on the preferred vector species,
 * all in registers. Twelve covers FMA latency × FMA ports on current x86 cores (4–5 cycles × 2) and,
 * with the two operands, still fits AVX2's 16 vector registers: 16 chains spill there and measure
 * the spills, not the FMA units. Each iteration advances every chain twice, on an int counter: with
 * a long counter and one FMA per chain an iteration, the loop's own overhead held the probe about 15%
 * under the FMA units (Zen 3, 256 bits: 84–87 GFLOP/s against 100–102, and the GEMMs at 256³ read
 * 101% of that peak).
 */
public final class FmaPeak {
  private FmaPeak() {}

  /** The kernels' width (streamlearn.simd.bits may force a narrower one), so shares of the peak compare like with like. */
  static final VectorSpecies<Float> F = Kernels.vectorBits() > 0
      ? VectorSpecies.of(float.class, VectorShape.forBitSize(Kernels.vectorBits())) : FloatVector.SPECIES_PREFERRED;

  /** Runs {@code iters} iterations of 24 vector FMAs (each chain twice); returns a value so the JIT keeps the work. */
  static float run(int iters) {
    FloatVector a = FloatVector.broadcast(F, 0.999f), b = FloatVector.broadcast(F, 1e-3f);
    FloatVector c0 = FloatVector.broadcast(F, 0.1f), c1 = c0.add(0.01f), c2 = c0.add(0.02f), c3 = c0.add(0.03f);
    FloatVector c4 = c0.add(0.04f), c5 = c0.add(0.05f), c6 = c0.add(0.06f), c7 = c0.add(0.07f);
    FloatVector c8 = c0.add(0.08f), c9 = c0.add(0.09f), c10 = c0.add(0.10f), c11 = c0.add(0.11f);
    for (int i = 0; i < iters; i++) {
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
      c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
      c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
      c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
      c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10)
        .add(c11).lane(0);
  }

  /** GFLOP/s of one core, best of {@code reps} timed runs of about 0.2 s each after warm-up. */
  public static double gflops(int reps) {
    int iters = 10_000_000;
    float sink = 0;
    for (int w = 0; w < 3; w++) sink += run(100_000);
    double best = 0;
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      sink += run(iters);
      double s = (System.nanoTime() - t0) * 1e-9;
      best = Math.max(best, iters * 24.0 * F.length() * 2 / s * 1e-9);
    }
    if (sink == 42f) System.out.print("");
    return best;
  }
}
