package org.streamlearn.kernels;

/**
 * Chooses, once, whether the kernels run on the Vector API and at which width.
 *
 * <p>System property {@code streamlearn.simd.bits} = 0 forces the scalar path; 128, 256 or 512 force
 * that vector width (capped by what the CPU offers), so every width can be tested on one machine.
 * Without {@code --add-modules jdk.incubator.vector} the scalar path runs and {@link #describe()}
 * says which flag is missing (kernels do not log: the caller prints it).
 */
final class Simd {
  private Simd() {}

  static final boolean MODULE_PRESENT =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /** Requested width in bits, or -1 for the preferred one. */
  static final int REQUESTED_BITS = Integer.getInteger("streamlearn.simd.bits", -1);

  static final boolean ENABLED = MODULE_PRESENT && REQUESTED_BITS != 0 && VectorProbe.lanes() >= 4;

  /** The JVM flag that makes every SIMD kernel its own compilation root (see pom.xml). */
  static final String ROOTS_FLAG = "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*";

  static final boolean KERNELS_ARE_ROOTS = java.lang.management.ManagementFactory.getRuntimeMXBean()
      .getInputArguments().stream().anyMatch(a -> a.contains("dontinline,org.streamlearn.kernels.Simd"));

  /** True when SIMD runs with the kernels as compilation roots (the supported configuration). */
  static boolean healthy() {
    return !ENABLED || KERNELS_ARE_ROOTS;
  }

  static String describe() {
    if (!MODULE_PRESENT)
      return "scalar (jdk.incubator.vector not resolved: run java with --add-modules jdk.incubator.vector)";
    if (REQUESTED_BITS == 0) return "scalar (forced by -Dstreamlearn.simd.bits=0)";
    if (!ENABLED) return "scalar (the CPU offers fewer than 4 float lanes)";
    return "SIMD " + VectorProbe.bits() + "-bit (" + VectorProbe.lanes() + " float lanes), FMA "
        + (VectorProbe.fastFma() ? "yes" : "no")
        + (KERNELS_ARE_ROOTS ? "" : "; WARNING: kernels may be inlined into deep callers and box vectors"
            + " (slow, allocating): run java with " + ROOTS_FLAG);
  }

  /** Isolates every reference to jdk.incubator.vector so that Simd loads without the module. */
  static final class VectorProbe {
    static int lanes() {
      return SimdKernels.F.length();
    }

    static int bits() {
      return SimdKernels.F.vectorBitSize();
    }

    static boolean fastFma() {
      return SimdKernels.FMA;
    }
  }
}
