package org.streamlearn.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The kernels run at the width a test run asks for ({@code streamlearn.simd.bits}; wider than the
 * CPU only with {@code streamlearn.simd.emulate}), so the surefire executions at 128 bits, at 512
 * bits emulated and on the scalar path really test those paths.
 */
class SimdWidthTest {
  @Test
  void theRequestedWidthIsTheOneInUse() {
    int bits = Integer.getInteger("streamlearn.simd.bits", -1);
    String d = Kernels.describe();
    if (bits == 0) assertThat(d).startsWith("scalar");
    else if (bits > 0 && (bits <= 256 || Boolean.getBoolean("streamlearn.simd.emulate")))
      assertThat(d).startsWith("SIMD " + bits + "-bit (" + bits / 32 + " float lanes)");
    else assertThat(d).startsWith("SIMD ");
  }
}
