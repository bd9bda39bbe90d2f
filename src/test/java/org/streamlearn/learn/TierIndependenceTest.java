package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.kernels.Kernels;

/**
 * Training is reproducible bit for bit whatever the JIT has compiled: the {@link TrainingFingerprint}
 * run gives the same parameter and optimizer-state bits in a child JVM that only interprets
 * ({@code -Xint}, where the Vector API runs its Java fallbacks), in one that stops at C1, and in this
 * JVM both cold and after enough repetitions for C2 to compile the kernels. This is what lets a
 * restarted service continue a checkpoint exactly (KillNineTest).
 */
class TierIndependenceTest {

  @Test
  @Timeout(300)
  void interpreterC1AndC2TrainTheSameBits() throws Exception {
    List<float[]> here = TrainingFingerprint.run(); // this JVM, cold or partly compiled
    List<float[]> interpreted = child("-Xint");
    List<float[]> c1 = child("-XX:TieredStopAtLevel=1");
    assertSameBits("-Xint child", here, interpreted);
    assertSameBits("C1-only child", here, c1);
    long t0 = System.nanoTime();
    int reps = 0;
    // Long enough for C2 to compile the kernels (each run calls them hundreds of times); every run equal.
    // Before the kernels were made tier-independent, 490 of 500 such repetitions differed from the first.
    while (reps < 100 || System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4)) {
      assertSameBits("repetition " + reps + " in this JVM", here, TrainingFingerprint.run());
      reps++;
    }
    System.out.printf("%s: -Xint, C1 and %d repetitions here (%.1f s) equal bit for bit%n", Kernels.describe(),
        reps, (System.nanoTime() - t0) / 1e9);
  }

  static List<float[]> child(String tierFlag) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "--add-modules", "jdk.incubator.vector", tierFlag, "-XX:CompileCommand=quiet",
        "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*", "-Xmx256m"));
    String bits = System.getProperty("streamlearn.simd.bits");
    if (bits != null) cmd.add("-Dstreamlearn.simd.bits=" + bits); // the same kernel path as this JVM
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainingFingerprint.class.getName()));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("%s child finished", tierFlag).isTrue();
    assertThat(p.exitValue()).as("%s child exit code; output:%n%s", tierFlag, out).isZero();
    assertThat(out).as("%s child uses the same kernels", tierFlag).contains("kernels: " + Kernels.describe());
    System.out.printf("%s child: %.1f s%n", tierFlag, (System.nanoTime() - t0) / 1e9);
    return out.lines().filter(l -> l.startsWith("bits ")).map(l -> TrainingFingerprint.decode(l.substring(5))).toList();
  }

  static void assertSameBits(String what, List<float[]> want, List<float[]> got) {
    assertThat(got).as("%s: arrays", what).hasSameSizeAs(want);
    for (int a = 0; a < want.size(); a++) {
      float[] w = want.get(a), g = got.get(a);
      assertThat(g.length).as("%s: array %d length", what, a).isEqualTo(w.length);
      for (int i = 0; i < w.length; i++)
        if (Float.floatToRawIntBits(w[i]) != Float.floatToRawIntBits(g[i]))
          fail(what + ": array " + a + " first differs at index " + i + ": " + g[i] + " vs " + w[i] + " here");
    }
  }
}
