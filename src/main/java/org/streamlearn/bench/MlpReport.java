package org.streamlearn.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The MLP part of {@code bench}: examples/s of MLP 784-256-256-10 training per batch size, SGD and
 * Adam, on one thread, on every core (train.threads = cores) and under train.threads = auto (the
 * default: the team used while measured faster), each next to the flop bound of one core (FMA peak /
 * FLOPs per example) and, when python3 imports torch, next to PyTorch measured right after in the
 * same run, with the ratios issue 13's targets name: one thread against PyTorch on one thread; auto
 * against PyTorch's best use of the cores (the better of 1 and all OpenBLAS threads).
 */
final class MlpReport {
  private MlpReport() {}

  static final int[] BATCHES = {1, 16, 64, 256};

  static void run(double peak, int ms, boolean smoke, boolean quick, boolean torch) {
    int cores = Runtime.getRuntime().availableProcessors();
    double bound = peak * 1e9 / MlpBench.FLOPS_PER_EXAMPLE;
    System.out.printf(Locale.ROOT, "MLP 784-256-256-10 training, in-memory data (%.2f MFLOP/example; one core's flop"
        + " bound at the FMA peak: %.0f examples/s):%n", MlpBench.FLOPS_PER_EXAMPLE / 1e6, bound);
    Map<String, Double> ours = new HashMap<>();
    Map<String, MlpBench.AutoRun> auto = new HashMap<>();
    for (int b : BATCHES) {
      for (String opt : new String[] {"sgd", "adam"}) {
        ours.put(opt + " " + b + " 1", MlpBench.examplesPerSecond(opt, b, 1, ms * 2));
        int t = cores; // batch 1 too: its first layer's update splits by rows
        if (t > 1) {
          ours.put(opt + " " + b + " " + t, MlpBench.examplesPerSecond(opt, b, t, ms * 2));
          auto.put(opt + " " + b, MlpBench.auto(opt, b, t, ms * 2));
        }
      }
      System.out.printf(Locale.ROOT, "  batch %4d  1 thread: SGD %8.0f ex/s (%5.1f%% of bound), Adam %8.0f (%5.1f%%),"
          + " Adam/SGD %.2f", b, ours.get("sgd " + b + " 1"), 100 * ours.get("sgd " + b + " 1") / bound,
          ours.get("adam " + b + " 1"), 100 * ours.get("adam " + b + " 1") / bound,
          ours.get("adam " + b + " 1") / ours.get("sgd " + b + " 1"));
      int t = cores;
      if (t > 1) {
        System.out.printf(Locale.ROOT, "   %d threads: SGD %8.0f (%.2f× 1 thread), Adam %8.0f (%.2f×)", t,
            ours.get("sgd " + b + " " + t), ours.get("sgd " + b + " " + t) / ours.get("sgd " + b + " 1"),
            ours.get("adam " + b + " " + t), ours.get("adam " + b + " " + t) / ours.get("adam " + b + " 1"));
        MlpBench.AutoRun sgd = auto.get("sgd " + b), adam = auto.get("adam " + b);
        System.out.printf(Locale.ROOT, "%n              auto (the default): SGD %8.0f (team/alone %.2f: %d thread%s), Adam %8.0f"
            + " (team/alone %.2f: %d thread%s)", sgd.examplesPerSecond(), sgd.teamTimeRatio(), sgd.chosenThreads(),
            sgd.chosenThreads() > 1 ? "s" : "", adam.examplesPerSecond(), adam.teamTimeRatio(), adam.chosenThreads(),
            adam.chosenThreads() > 1 ? "s" : "");
      }
      System.out.println();
    }
    if (!torch) return;
    String python = TorchPeer.python();
    if (python == null) {
      System.out.println("  PyTorch peer: skipped (neither /usr/bin/python3 nor python3 imports torch)");
      return;
    }
    int reps = smoke ? 1 : 3;
    List<String> log = new ArrayList<>();
    Map<String, Double> one = new HashMap<>(), all = new HashMap<>();
    try {
      // One process per batch size: fewer examples per repetition where steps are slow. --smoke: batch 16
      // on one BLAS thread only (proves the peer runs, in seconds).
      for (int b : smoke ? new int[] {16} : BATCHES) {
        int examples = smoke ? 4 * b : (quick ? 1 : 2) * (b == 1 ? 1000 : b == 16 ? 3000 : 6000);
        one.putAll(TorchPeer.measure(python, 1, new int[] {b}, examples, reps, log));
        if (cores > 1 && !smoke) all.putAll(TorchPeer.measure(python, cores, new int[] {b}, examples, reps, log));
      }
    } catch (Exception e) {
      System.out.println("  PyTorch peer failed: " + e);
      return;
    }
    System.out.println("PyTorch " + TorchPeer.version + " (" + python + ", the same MLP, loss and learning rates;"
        + " eager, float32), measured right after:");
    log.stream().filter(l -> l.contains("OpenBLAS") || l.contains("# torch ")).distinct()
        .forEach(l -> System.out.println("  " + l));
    String warning = peerWarning(log);
    if (warning != null) System.out.println("  WARNING: " + warning);
    System.out.println("  batch | SGD: Streamlearn / PyTorch, 1 thread | Adam: Streamlearn / PyTorch, 1 thread"
        + (cores > 1 ? " | SGD, " + cores + " cores: Streamlearn auto / PyTorch best | Adam, " + cores + " cores" : ""));
    for (int b : BATCHES) {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "  %5d", b));
      for (String opt : new String[] {"sgd", "adam"})
        sb.append(cell(ours.get(opt + " " + b + " 1"), one.get(opt + " " + b)));
      int t = cores;
      if (cores > 1 && t > 1)
        for (String opt : new String[] {"sgd", "adam"}) {
          Double p1 = one.get(opt + " " + b), pn = all.get(opt + " " + b);
          Double best = p1;
          if (pn != null && (best == null || pn > best)) best = pn;
          sb.append(cell(auto.get(opt + " " + b).examplesPerSecond(), best));
        }
      System.out.println(sb);
    }
  }

  /**
   * Why the peer's figures are not a fair comparison, or null: without OpenBLAS in the process torch
   * runs its matrix products on the reference BLAS (Debian's libblas3 alternative), 5–30× slower.
   */
  static String peerWarning(List<String> log) {
    if (log.stream().noneMatch(l -> l.contains("OpenBLAS not found"))) return null;
    return "PyTorch is not running on OpenBLAS (reference BLAS): its figures are far below what it reaches and the"
        + " ratios below are not a fair comparison. Install OpenBLAS (Debian: apt-get install libopenblas0-pthread)"
        + " and run again.";
  }

  private static String cell(Double ours, Double torch) {
    if (torch == null) return String.format(Locale.ROOT, " | %8.0f / (no figure)      ", ours);
    return String.format(Locale.ROOT, " | %8.0f / %8.0f = %5.2f×", ours, torch, ours / torch);
  }
}
