package org.streamlearn.optim;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A warmed-up training step (schedule, clipping, optimizer step) allocates nothing. Warm-up matters:
 * until C2 compiles the Vector API kernels they box vectors, so we warm in rounds and require that
 * some round, within a generous time bound, measures exactly 0 bytes over 200 steps.
 */
class OptimizerAllocationTest {
  static final com.sun.management.ThreadMXBean MX =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  static volatile Object sink;

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"})
  void warmedUpStepAllocatesNothing(String name) {
    int n = 37;
    float[] p = new float[n], g = new float[n];
    for (int i = 0; i < n; i++) g[i] = (float) Math.sin(i);
    Optimizer opt = Optimizer.create(OptimizerSpec.defaults(name, 1e-4f), n);
    Schedule schedule = Schedule.parse("cosine(warmup=10,total=1000000,min=0)", 1e-4f);
    ClipSpec clip = ClipSpec.norm(1f);
    assertThat(MX.isThreadAllocatedMemorySupported() && MX.isThreadAllocatedMemoryEnabled())
        .as("allocation counting available").isTrue();
    long probe = MX.getCurrentThreadAllocatedBytes();
    sink = new float[n];
    assertThat(MX.getCurrentThreadAllocatedBytes() - probe).as("the probe sees an allocation")
        .isGreaterThanOrEqualTo(4L * n);
    long bytes = -1;
    // The bound is time, not rounds: 60 rounds of this 37-weight step take about 0.1 s, and a CI
    // machine busy with other work once had not C2-compiled the Adam kernel by then (192 B/step).
    for (long end = System.nanoTime() + 30_000_000_000L; bytes != 0 && System.nanoTime() < end; ) {
      for (int s = 0; s < 5_000; s++) trainStep(opt, schedule, clip, p, g);
      long before = MX.getCurrentThreadAllocatedBytes();
      for (int s = 0; s < 200; s++) trainStep(opt, schedule, clip, p, g);
      bytes = MX.getCurrentThreadAllocatedBytes() - before;
    }
    assertThat(bytes).as("%s: bytes allocated by 200 warmed-up steps", name).isZero();
  }

  private static void trainStep(Optimizer opt, Schedule schedule, ClipSpec clip, float[] p, float[] g) {
    g[0] = -g[0]; // keep the gradient changing so nothing is constant-folded
    clip.apply(g, g.length);
    opt.step(p, g, schedule.lr(opt.t()));
  }
}
