package org.streamlearn.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.Reference;

/**
 * The {@code bench} mode of the main command: from one run, on one core, the FMA peak, GEMM
 * GFLOP/s per layout and shape (as a share of the peak and a multiple of the scalar reference),
 * and the training rate of the MLP 784-256-256-10 per batch size for SGD and Adam (as a share of
 * the flop bound: peak / flops per example). Ratios, not absolute numbers, are what compare
 * across machines. Options: {@code --quick} (shorter timings), {@code --only kernels|mlp|kafka|scale},
 * {@code --no-torch} (skip the PyTorch peer of the MLP figures).
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) {
    run(args, System.out);
  }

  /**
   * Runs the benchmarks, printing to out. {@code --quick}: shorter timings; {@code --smoke}: a
   * seconds-long pass through every measurement (figures meaningless; proves the mode works);
   * {@code --only kernels|mlp|kafka|scale}.
   */
  public static void run(String[] args, java.io.PrintStream out) {
    java.io.PrintStream saved = System.out;
    System.setOut(out);
    try {
      runMeasurements(args);
    } finally {
      System.setOut(saved);
    }
  }

  private static void runMeasurements(String[] args) {
    boolean quick = List.of(args).contains("--quick"), smoke = List.of(args).contains("--smoke");
    String only = "";
    for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--only")) only = args[i + 1];
    int ms = smoke ? 5 : quick ? 60 : 250;
    System.out.println("Streamlearn bench: " + Kernels.describe() + ", Java "
        + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " cores visible");
    if (!Reference.kernelsAreRoots())
      System.out.println("  (kernels not compiled as roots: figures will be low; see the warning above)");
    if (!List.of("", "kernels", "mlp", "kafka", "scale").contains(only)) {
      System.out.println("unknown --only " + only + ": use kernels, mlp, kafka or scale");
      return;
    }
    if (only.equals("scale")) {
      scale(smoke, quick);
      return;
    }
    int peakReps = smoke ? 1 : quick ? 3 : 7;
    double peak = FmaPeak.gflops(peakReps);
    System.out.printf(Locale.ROOT, "FMA peak of one core (12 independent %d-bit FMA chains): %.1f GFLOP/s%n",
        FmaPeak.F.vectorBitSize(), peak);
    if (only.isEmpty() || only.equals("kernels")) kernels(peak, ms, peakReps);
    if (only.isEmpty() || only.equals("mlp")) MlpReport.run(peak, Math.max(1, peakReps / 3), ms, smoke, quick,
        !List.of(args).contains("--no-torch"));
    if (only.isEmpty() || only.equals("kafka")) kafka(smoke, quick, ms);
  }

  /**
   * GEMM per layout at the headline shapes (target: 75% of the peak for NT, the dense forward), then
   * every GEMM shape of one training step of the MLP 784-256-256-10 at batch 16, 64 and 256 (target:
   * 50%), then the matrix-vector products of batch 1 (bounded by memory, not by FMAs).
   *
   * <p>Each shape is timed in two passes over the whole list, and the better one is shown; the FMA
   * peak is measured again after each section of each pass, and the shares use the highest of all
   * the peaks. On a shared machine a neighbour's burst lasts seconds: one pass put the same shape at
   * 68% in one section and 80% in another, and a single probe before and after the list read 65–67
   * GFLOP/s in a run whose GEMMs reached 78 (shares over 100%); the best of the interleaved probes is
   * the peak of the quiet moments the best GEMM figures come from too.
   */
  private static void kernels(double peak, int ms, int peakReps) {
    // Every kernel path compiled by C2 before the first figure: a loaded machine compiles slowly, and a
    // figure taken while a kernel still runs in C1 (boxed vectors) measures the compiler queue.
    for (int[] s : new int[][] {{64, 256, 784}, {16, 256, 784}, {16, 10, 256}, {2, 256, 784}})
      for (GemmBench.Layout l : GemmBench.Layout.values()) GemmBench.measure(l, s[0], s[1], s[2], Math.max(1, ms / 2));
    List<String> titles = new ArrayList<>();
    List<List<Object[]>> sections = new ArrayList<>();
    titles.add("GEMM, C = A·B, row-major (NN: A[M×K]·B[K×N]; NT: A·B[N×K]ᵀ; TN: A[K×M]ᵀ·B):");
    List<Object[]> head = new ArrayList<>();
    for (int[] s : new int[][] {{64, 256, 784}, {256, 256, 256}})
      for (GemmBench.Layout l : GemmBench.Layout.values()) head.add(new Object[] {l, s[0], s[1], s[2]});
    sections.add(head);
    for (int b : new int[] {16, 64, 256, 1}) {
      titles.add(b == 1 ? "GEMM shapes of a training step at batch 1 (matrix-vector products):"
          : "GEMM shapes of a training step of MLP 784-256-256-10 at batch " + b
              + " (forward NT; weight gradient TN, M = outputs, K = batch; input gradient NN):");
      sections.add(List.of(
          new Object[] {GemmBench.Layout.NT, b, 256, 784}, new Object[] {GemmBench.Layout.NT, b, 256, 256},
          new Object[] {GemmBench.Layout.NT, b, 10, 256}, new Object[] {GemmBench.Layout.TN, 256, 784, b},
          new Object[] {GemmBench.Layout.TN, 256, 256, b}, new Object[] {GemmBench.Layout.TN, 10, 256, b},
          new Object[] {GemmBench.Layout.NN, b, 256, 256}, new Object[] {GemmBench.Layout.NN, b, 256, 10}));
    }
    List<GemmBench.Result> best = new ArrayList<>();
    double ref = peak;
    int probes = 1;
    for (int pass = 0; pass < 2; pass++) {
      int n = 0;
      for (List<Object[]> sec : sections) {
        for (Object[] sh : sec) {
          GemmBench.Result r = GemmBench.measure((GemmBench.Layout) sh[0], (int) sh[1], (int) sh[2], (int) sh[3], ms,
              pass == 0); // the scalar reference is timed once
          if (pass == 0) best.add(r);
          else if (r.gflops() > best.get(n).gflops())
            best.set(n, new GemmBench.Result(r.layout(), r.M(), r.N(), r.K(), r.gflops(), best.get(n).scalarGflops()));
          n++;
        }
        ref = Math.max(ref, FmaPeak.gflops(Math.max(1, peakReps / 3)));
        probes++;
      }
    }
    System.out.printf(Locale.ROOT, "FMA peak, the best of %d probes (the first above, one after each section of GEMMs"
        + " below): %.1f GFLOP/s; the shares below are of it. Each GEMM: the better of two passes over this list.%n",
        probes, ref);
    int n = 0;
    for (int i = 0; i < sections.size(); i++) {
      System.out.println(titles.get(i));
      for (int k = 0; k < sections.get(i).size(); k++) System.out.println(GemmBench.format(best.get(n++), ref));
    }
  }

  /**
   * Scale-out ({@code --only scale}, not part of the default run: it starts child JVMs): group
   * examples/s of 1, 2 and 3 instances (see {@link ScaleBench}).
   */
  private static void scale(boolean smoke, boolean quick) {
    int warm = smoke ? 1000 : 6000, n = smoke ? 3000 : quick ? 20000 : 60000;
    System.out.printf(Locale.ROOT, "Scale-out: 1 instance without exchange, then 1, 2, 3 instances (child JVMs) of"
        + " MLP 784-256-256-10, SGD, batch 64,"
        + " f32, on a 6-partition topic of an embedded broker in this process; parameters (%.2f MB) exchanged every"
        + " 20 steps and 500 ms; %d records after a warm-up of %d; %d cores shared by all:%n",
        4.0 * 269_322 / 1e6, n, warm, Runtime.getRuntime().availableProcessors());
    try (ScaleBench sb = new ScaleBench()) {
      var alone = sb.measure(1, warm, n, 0, 0); // the baseline: one instance, no exchange
      double one = alone.examplesPerSecond();
      System.out.println(ScaleBench.format(alone, one));
      for (int k = 1; k <= 3; k++) System.out.println(ScaleBench.format(sb.measure(k, warm, n, 20, 500), one));
    } catch (Exception e) {
      System.out.println("  scale-out benchmark failed: " + e);
    }
  }

  /** Kafka-fed training with an embedded broker in this process, against in-memory training. */
  private static void kafka(boolean smoke, boolean quick, int ms) {
    System.out.println("Kafka-fed training (embedded broker in this process, loopback; MLP 784-256-256-10, SGD,"
        + " batch 64, synthetic inputs):");
    // Each format's records are produced once and trained on 1 + reps times, by a new model each
    // time (its own group): the first is a warm-up (C2, heap sizing, the broker's caches), the
    // median of the others is printed with all of them, since the machines are shared and noisy.
    int warm = smoke ? 256 : quick ? 5000 : 10000, n = smoke ? 512 : quick ? 15000 : 60000, reps = smoke ? 1 : 4;
    try (KafkaBench kb = new KafkaBench()) {
      double mem = MlpBench.examplesPerSecond("sgd", 64, ms * 2);
      System.out.printf(Locale.ROOT, "  in memory       %9.0f ex/s%n", mem);
      for (String f : new String[] {"f32", "json"}) {
        double[] e2e = kb.endToEnd(f, warm, f.equals("json") ? n / 2 : n, 1 + reps);
        double[] sorted = java.util.Arrays.copyOfRange(e2e, 1, e2e.length);
        java.util.Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
        StringBuilder each = new StringBuilder();
        for (int k = 1; k < e2e.length; k++)
          each.append(k == 1 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", e2e[k]));
        System.out.printf(Locale.ROOT, "  from Kafka %-4s %9.0f ex/s  (%.2f × in memory; median of %d: %s; warm-up %.0f)%n",
            f, median, median / mem, reps, each, e2e[0]);
      }
      int secs = smoke ? 2 : quick ? 10 : 20;
      long[] fr = kb.freshness(1000, secs, 10);
      System.out.printf(Locale.ROOT, "  freshness, digits model, batch 16, linger 10 ms, publish every step, 1000"
          + " records/s for %d s: p50 %d ms, p99 %d ms (%d versions)%n", secs, fr[0], fr[1], fr[2]);
    } catch (Exception e) {
      System.out.println("  Kafka benchmark failed: " + e);
    }
  }
}
