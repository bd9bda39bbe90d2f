package org.streamlearn.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GEMMs split across a team give the same bits as the one-thread kernel, for every team size, every
 * layout, shapes around the panel width (3 vectors) and odd sizes, with offsets, padded leading
 * dimensions, alpha/beta cases and guard cells around C. Bit-identical, not close: exact resume of
 * a checkpoint under another thread count depends on it.
 */
class ParallelGemmTest {
  private static final int OFF = 5;

  interface Gemm {
    void run(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
        float beta, float[] C, int cOff, int ldc);
  }

  private static float[] guarded(int n, SplittableRandom r) {
    float[] a = new float[n + 2 * OFF + 64];
    for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
    return a;
  }

  @ParameterizedTest
  @ValueSource(strings = {"NN", "NT", "TN", "NNR"}) // NNR: gemmNNReluBackward, masked by a ReLU output Y
  void bitIdenticalToOneThread(String layout) {
    int panel = Simd.ENABLED ? 3 * Simd.VectorProbe.lanes() : 1;
    int[] ms = {1, 3, 4, 7, 16, 33, 64, 2 * panel + 5, 301}; // TN cuts its rows: from 2 panels on
    int[] ns = {2, 2 * panel - 1, 2 * panel, 2 * panel + 5, 5 * panel + 3, 10, 256, 301};
    int[] ks = {1, 16, 31, 100, 257};
    float[][] ab = {{1f, 0f}, {1f, 1f}, {-0.01f, 1f}, {0.5f, -2f}};
    var r = new SplittableRandom(13);
    int cases = 0, split = 0, otherWay = 0;
    int cutPanel = 3 * (Simd.ENABLED ? Simd.VectorProbe.lanes() : 1); // ParallelGemm's PANEL (3 on the scalar path)
    float[][] y = new float[1][]; // NNR's Y, laid out as C, for the case at hand
    for (int threads : new int[] {2, 3, 4}) {
      try (Team team = new Team(threads, "test-gemm")) {
        ParallelGemm pg = new ParallelGemm(team, 0); // every product of two panels or more splits
        Gemm par = switch (layout) {
          case "NN" -> pg::gemmNN;
          case "NT" -> pg::gemmNT;
          case "NNR" -> (M, N, K, al, A, ao, lda, B, bo, ldb, be, C, co, ldc) ->
              pg.gemmNNReluBackward(M, N, K, al, A, ao, lda, B, bo, ldb, be, C, co, ldc, y[0], OFF);
          default -> pg::gemmTN;
        };
        Gemm one = switch (layout) {
          case "NN" -> Kernels::gemmNN;
          case "NT" -> Kernels::gemmNT;
          case "NNR" -> (M, N, K, al, A, ao, lda, B, bo, ldb, be, C, co, ldc) ->
              Kernels.gemmNNReluBackward(M, N, K, al, A, ao, lda, B, bo, ldb, be, C, co, ldc, y[0], OFF);
          default -> Kernels::gemmTN;
        };
        for (int M : ms) for (int N : ns) for (int K : ks) {
          float[] albe = ab[cases++ % ab.length];
          int aRows = layout.equals("TN") ? K : M, aCols = layout.equals("TN") ? M : K;
          int bRows = layout.equals("NT") ? N : K, bCols = layout.equals("NT") ? K : N;
          int lda = aCols + 3, ldb = bCols + 1, ldc = N + 2;
          float[] A = guarded(aRows * lda, r), B = guarded(bRows * ldb, r);
          float[] C0 = guarded(M * ldc, r), C1 = C0.clone();
          y[0] = guarded(M * ldc, r);
          one.run(M, N, K, albe[0], A, OFF, lda, B, OFF, ldb, albe[1], C0, OFF, ldc);
          par.run(M, N, K, albe[0], A, OFF, lda, B, OFF, ldb, albe[1], C1, OFF, ldc);
          if ((layout.equals("TN") ? M : N) >= 2 * panel) split++;
          // Too narrow for the usual cut: NT under 3 vectors by rows, TN under 2 panels of rows by columns.
          if (layout.equals("NT") && N < cutPanel && M >= 2 * cutPanel
              || layout.equals("TN") && M < 2 * cutPanel && N >= 2 * cutPanel)
            otherWay++;
          for (int i = 0; i < C0.length; i++)
            if (Float.floatToRawIntBits(C0[i]) != Float.floatToRawIntBits(C1[i]))
              throw new AssertionError(String.format("gemm%s M=%d N=%d K=%d alpha=%s beta=%s threads=%d: C[%d] %s"
                  + " (one thread) vs %s", layout, M, N, K, albe[0], albe[1], threads, i, C0[i], C1[i]));
        }
      }
    }
    assertThat(split).as("products actually split across threads").isGreaterThan(50);
    if (!layout.startsWith("NN")) assertThat(otherWay).as("products cut the other way").isGreaterThan(10);
  }

  /**
   * The batch-1 update fused with its product, split by rows, gives the bits of the one-thread call
   * (W and y), for every team size, heights around the panel width and the row tiles, odd widths.
   */
  @Test
  void rank1ThenGemvBitIdenticalToOneThread() {
    int panel = Simd.ENABLED ? 3 * Simd.VectorProbe.lanes() : 1;
    var r = new SplittableRandom(17);
    int split = 0;
    for (int threads : new int[] {2, 3, 4})
      try (Team team = new Team(threads, "test-rank1")) {
        ParallelGemm pg = new ParallelGemm(team, 0);
        for (int N : new int[] {1, 2 * panel - 1, 2 * panel, 2 * panel + 3, 5 * panel + 7, 256, 301})
          for (int K : new int[] {1, 7, 16, 100, 197}) {
            int ldw = K + 2;
            float[] W0 = guarded(N * ldw, r), W1 = W0.clone(), d = guarded(N, r), xp = guarded(K, r), x = guarded(K, r);
            float[] y0 = guarded(N, r), y1 = y0.clone();
            Kernels.rank1ThenGemv(N, K, -0.3f, d, OFF, xp, OFF, W0, OFF, ldw, x, OFF, y0, OFF);
            pg.rank1ThenGemv(N, K, -0.3f, d, OFF, xp, OFF, W1, OFF, ldw, x, OFF, y1, OFF);
            if (N >= 2 * panel) split++;
            String at = "N=" + N + " K=" + K + " threads=" + threads;
            for (int i = 0; i < W0.length; i++)
              assertThat(Float.floatToRawIntBits(W1[i])).as("W[%d] %s", i, at).isEqualTo(Float.floatToRawIntBits(W0[i]));
            for (int i = 0; i < y0.length; i++)
              assertThat(Float.floatToRawIntBits(y1[i])).as("y[%d] %s", i, at).isEqualTo(Float.floatToRawIntBits(y0[i]));
          }
      }
    assertThat(split).as("calls actually split across threads").isGreaterThan(50);
  }

  /** Parts cover [0, N) in order, without gaps or overlap, each non-empty one holding a whole panel. */
  @Test
  void cutsArePanelAligned() {
    for (int panel : new int[] {1, 12, 24, 48})
      for (int N = 2 * panel; N < 12 * panel; N += 7)
        for (int parts = 1; parts <= 5; parts++) {
          int prev = 0;
          for (int p = 0; p < parts; p++) {
            int from = Team.cut(N, panel, p, parts), to = p + 1 == parts ? N : Team.cut(N, panel, p + 1, parts);
            assertThat(from).isEqualTo(prev);
            assertThat(to).isGreaterThanOrEqualTo(from);
            assertThat(from % panel).isZero();
            if (to > from) assertThat(to - from).isGreaterThanOrEqualTo(panel);
            prev = to;
          }
          assertThat(prev).isEqualTo(N);
        }
  }

  /** A part's exception reaches the caller after every part finished; the team keeps working. */
  @Test
  void failuresPropagateAndTeamSurvives() {
    try (Team team = new Team(3, "test-fail")) {
      int[] done = new int[3];
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> team.run((p, n) -> {
        done[p]++;
        if (p == 2) throw new IllegalArgumentException("part 2 failed");
      })).isInstanceOf(IllegalArgumentException.class).hasMessage("part 2 failed");
      assertThat(done).containsExactly(1, 1, 1);
      team.run((p, n) -> done[p] += 10);
      assertThat(done).containsExactly(11, 11, 11);
    }
  }
}
