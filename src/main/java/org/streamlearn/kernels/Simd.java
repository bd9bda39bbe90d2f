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

  /**
   * The JVM flags that make every SIMD kernel its own compilation root and inline the vector helpers
   * into it (see pom.xml): C2 declines to inline a helper of more than 35 bytecodes at a call site it
   * deems cold (a reduction after the loop), and the vector crossing that call is boxed. That made
   * the cross-entropy's exp and the gradient norm's sumSquares allocate 12.7 KB per Adam step at
   * batch 16 for as long as the JVM ran.
   */
  static final String ROOTS_FLAG = "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::* "
      + "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*";

  static final boolean KERNELS_ARE_ROOTS = hasFlag("dontinline,org.streamlearn.kernels.Simd")
      && hasFlag("inline,org.streamlearn.kernels.VectorMath");

  private static boolean hasFlag(String s) {
    return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .anyMatch(a -> a.contains("CompileCommand=" + s));
  }

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
