package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.optim.OptimizerSpec;

/**
 * A learner's step split across threads ({@code train.threads}) gives the same bits as on one thread,
 * for every thread count, across runs and across an export/import of its state under another count
 * (what a checkpoint restore does); and a warmed-up threaded step allocates nothing, on the trainer
 * thread or on the team's workers.
 */
class ThreadedStepTest {
  /** Wide enough that the GEMMs split (several panels of columns, enough multiply-adds per thread). */
  private static final String WIDE = "input(197) dense(301) relu dense(129) tanh dense(10)";

  private static LearnerConfig cfg(String optimizer, int batch) {
    float lr = optimizer.equals("sgd") ? 0.01f : 1e-3f;
    return LearnerConfig.of(WIDE, "cross_entropy", OptimizerSpec.defaults(optimizer, lr), batch);
  }

  private static float[][] data(int n, long seed) {
    var r = new SplittableRandom(seed);
    float[] x = new float[n * 197], y = new float[n];
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    for (int i = 0; i < n; i++) y[i] = r.nextInt(10);
    return new float[][] {x, y};
  }

  private static void train(OnlineLearner l, float[][] d, int from, int to) {
    for (int i = from; i < to; i++) l.add(d[0], i * 197, d[1], i);
  }

  private static void assertSameBits(String what, OnlineLearner a, OnlineLearner b) {
    LearnerState sa = a.exportState(), sb = b.exportState();
    assertThat(sb.step()).as(what + ": step").isEqualTo(sa.step());
    assertBits(what + ": params", sa.params(), sb.params());
    for (int i = 0; i < sa.optimizerState().length; i++)
      assertBits(what + ": optimizer state " + i, sa.optimizerState()[i], sb.optimizerState()[i]);
  }

  private static void assertBits(String what, float[] a, float[] b) {
    assertThat(b.length).isEqualTo(a.length);
    for (int i = 0; i < a.length; i++)
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]))
        throw new AssertionError(what + " differ first at " + i + ": " + a[i] + " vs " + b[i]);
  }

  /**
   * SGD at 16 takes the direct path (updates from activations), SGD at 1 its deferred form (the first
   * layer's update fused with the next forward, split by rows), SGD at 64 and Adam the gradient path.
   */
  @ParameterizedTest
  @CsvSource({"sgd,1", "sgd,16", "sgd,64", "adam,16", "adam,64", "adamw,37"})
  void bitIdenticalForEveryThreadCountAndAcrossRestore(String optimizer, int batch) {
    float[][] d = data(batch * 12, 3);
    OnlineLearner one = new OnlineLearner(cfg(optimizer, batch), 1);
    train(one, d, 0, batch * 12);
    assertThat(one.step()).isEqualTo(12);
    for (int threads : new int[] {2, 3}) {
      OnlineLearner many = new OnlineLearner(cfg(optimizer, batch), threads);
      OnlineLearner again = new OnlineLearner(cfg(optimizer, batch), threads);
      try {
        assertThat(many.threads()).isEqualTo(threads);
        train(many, d, 0, batch * 12);
        train(again, d, 0, batch * 12);
        assertSameBits(threads + " threads vs 1", one, many);
        assertSameBits(threads + " threads, second run", many, again);
      } finally {
        many.closeThreads();
        again.closeThreads();
      }
      // Restore: state exported after 5 steps on `threads` threads, imported into a learner on another
      // count (1, and threads + 1), then trained on: the same bits as the uninterrupted one-thread run.
      OnlineLearner before = new OnlineLearner(cfg(optimizer, batch), threads);
      train(before, d, 0, batch * 5 + 3); // a partial batch pending too
      LearnerState mid = before.exportState();
      before.closeThreads();
      for (int after : new int[] {1, threads + 1}) {
        OnlineLearner resumed = new OnlineLearner(cfg(optimizer, batch), after);
        resumed.importState(mid);
        train(resumed, d, batch * 5 + 3, batch * 12);
        assertSameBits("exported on " + threads + " threads, resumed on " + after, one, resumed);
        resumed.closeThreads();
      }
    }
  }

  /**
   * train.threads = auto: the learner switches between its team and the caller alone as it measures
   * (here through at least one whole probe, six switches), and its weights are the bits of the
   * one-thread run all along.
   */
  @ParameterizedTest
  @CsvSource({"sgd,1", "sgd,16", "adam,64"})
  void autoThreadsSwitchesWithoutChangingABit(String optimizer, int batch) {
    int rows = batch * 16;
    float[][] d = data(rows, 11);
    OnlineLearner one = new OnlineLearner(cfg(optimizer, batch), 1);
    OnlineLearner auto = new OnlineLearner(cfg(optimizer, batch), 2, true);
    try {
      assertThat(auto.tunesThreads()).isTrue();
      assertThat(one.tunesThreads()).isFalse();
      assertThat(auto.activeThreads()).isEqualTo(2); // a probe starts on the team
      boolean sawOne = false, sawTwo = false;
      for (int pass = 0; pass < 2000 && (Double.isNaN(auto.teamTimeRatio()) || !sawOne || !sawTwo); pass++) {
        for (int i = 0; i < rows; i += batch) {
          sawOne |= auto.activeThreads() == 1;
          sawTwo |= auto.activeThreads() == 2;
          one.addBlock(batch, d[0], i * 197, d[1], i);
          auto.addBlock(batch, d[0], i * 197, d[1], i);
        }
      }
      assertThat(auto.teamTimeRatio()).as("a probe completed").isPositive();
      assertThat(sawOne && sawTwo).as("steps ran on one thread and on two").isTrue();
      assertSameBits("auto vs 1 thread after " + one.step() + " steps", one, auto);
    } finally {
      auto.closeThreads();
    }
  }

  /** Auto gives a model too small for any product or sweep to split no team; a fixed count is kept. */
  @Test
  void autoThreadsGiveASmallModelNoTeam() {
    var tiny = LearnerConfig.of("input(4) dense(8) relu dense(3)", "cross_entropy",
        OptimizerSpec.defaults("adam", 1e-3f), 16);
    OnlineLearner auto = new OnlineLearner(tiny, 2, true);
    assertThat(auto.threads()).isEqualTo(1);
    assertThat(auto.tunesThreads()).isFalse();
    OnlineLearner fixed = new OnlineLearner(tiny, 2, false);
    assertThat(fixed.threads()).isEqualTo(2);
    fixed.closeThreads();
    OnlineLearner wide = new OnlineLearner(cfg("adam", 16), 2, true);
    assertThat(wide.threads()).isEqualTo(2);
    assertThat(wide.tunesThreads()).isTrue();
    wide.closeThreads();
  }

  @ParameterizedTest
  @CsvSource({"adam,64,false", "adam,64,true", "sgd,1,false"})
  void threadedStepAllocatesNothing(String optimizer, int batch, boolean auto) {
    float[][] d = data(256, 5);
    OnlineLearner l = new OnlineLearner(cfg(optimizer, batch), 2, auto);
    try {
      var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      for (int i = 0; i < 300; i++) l.addBlock(256, d[0], 0, d[1], 0);
      long[] ids = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().startsWith("streamlearn-gemm")).mapToLong(Thread::threadId).toArray();
      assertThat(ids).as("the team's worker").isNotEmpty();
      long bytes = -1;
      for (int round = 0; round < 400 && bytes != 0; round++) { // until C2 has compiled every kernel
        long before = allocated(mx, ids);
        for (int i = 0; i < 10; i++) l.addBlock(256, d[0], 0, d[1], 0);
        bytes = allocated(mx, ids) - before;
      }
      assertThat(bytes).as("bytes allocated by 10 blocks of 256 warmed-up examples on 2 threads (trainer and worker)").isZero();
    } finally {
      l.closeThreads();
    }
  }

  /** Bytes allocated so far by this thread and the workers (the per-id call allocates no array). */
  private static long allocated(com.sun.management.ThreadMXBean mx, long[] ids) {
    long s = mx.getCurrentThreadAllocatedBytes();
    for (long id : ids) s += mx.getThreadAllocatedBytes(id);
    return s;
  }
}
