package org.streamlearn.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** After warm-up, forward + loss + backward allocate nothing (zero garbage on the hot path). */
class AllocationTest {
  static final String[] CASES = {
      "input(13) dense(32) relu dense(17) tanh layernorm dense(7) softmax|mse",
      "input(13) dense(31) leakyrelu(0.01) dense(5) sigmoid|bce_with_logits",
      "input(9) dense(16) relu dense(4)|cross_entropy",
      "input(12x3) lstm(8, seq) lstm(5) dense(1)|huber",
  };

  /**
   * The nn code itself: measured in a forked JVM on the scalar kernels (-Dstreamlearn.simd.bits=0,
   * which allocate nothing), because the kernel path is fixed per JVM: this proves the layers' own code, the test below the
   * SIMD kernels under them.
   */
  @Test
  void nnAllocatesNothingOnTheHotPath() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "--add-modules", "jdk.incubator.vector", "-Dstreamlearn.simd.bits=0", "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), AllocationProbe.class.getName()));
    cmd.addAll(List.of(CASES));
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(proc.waitFor(120, TimeUnit.SECONDS)).as("probe finished").isTrue();
    assertThat(proc.exitValue()).as("probe exit code; output:%n%s", out).isZero();
    System.out.print(out);
    for (String c : CASES) {
      String line = out.lines().filter(l -> l.startsWith(c + "|")).findFirst().orElse(null);
      assertThat(line).as("probe output for %s:%n%s", c, out).isNotNull();
      assertThat(Long.parseLong(line.substring(c.length() + 1)))
          .as("bytes allocated by 100 warmed-up training steps of %s", c).isZero();
    }
  }

  /** The same on the active (SIMD) kernels. */
  @Test
  void activeKernelsAllocateNothing() {
    for (String c : CASES) {
      String[] sl = c.split("\\|");
      assertThat(AllocationProbe.bytesPer100Steps(sl[0], sl[1])).as("bytes allocated by 100 steps of %s", c).isZero();
    }
  }
}
