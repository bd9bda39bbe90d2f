package org.streamlearn.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.streamlearn.learn.OnlineLearner;

/**
 * The MLP part of {@code bench}: examples/s of MLP 784-256-256-10 training per batch size, SGD and
 * Adam, on one thread, on every core (train.threads = cores) and under train.threads = auto (the
 * default: the team used while measured faster), each next to the flop bound of one core (FMA peak /
 * FLOPs per example) and, when python3 imports torch, next to PyTorch measured in the same run (half
 * before ours, half after; the best repetition of each), with the ratios issue 13's targets name:
 * one thread against PyTorch on one thread; auto against PyTorch's best use of the cores (the better
 * of 1 and all OpenBLAS threads).
 */
final class MlpReport {
  private MlpReport() {}

  static final int[] BATCHES = {1, 16, 64, 256};

  /**
   * Measures and prints. peak: the FMA peak probed before (GFLOP/s); it is probed again after each round
   * of windows with peakReps repetitions, and the flop bound uses the highest probe. The first probe
   * runs at start-up, while the JIT compiles on every core (or in a slow spell of a shared host): on a
   * 2-core Zen 3 it read 71–72 GFLOP/s in runs whose later probes read 101–103, and put the best
   * windows at over 100% of the bound.
   */
  static void run(double peak, int peakReps, int ms, boolean smoke, boolean quick, boolean torch) {
    int cores = Runtime.getRuntime().availableProcessors();
    // Every configuration's learner at once, measured in rounds: a window of each in turn, the best
    // window kept. On a shared machine a slow spell lasts seconds; one configuration measured in a
    // row (as before) could fall wholly inside one, and its ratios with it.
    Map<String, MlpBench.Run> runs = new LinkedHashMap<>();
    for (int b : BATCHES)
      for (String opt : new String[] {"sgd", "adam"}) {
        runs.put(opt + " " + b + " 1", new MlpBench.Run(MlpBench.learner(opt, b, 1)));
        if (cores > 1) {
          runs.put(opt + " " + b + " " + cores, new MlpBench.Run(MlpBench.learner(opt, b, cores)));
          runs.put(opt + " " + b + " auto", new MlpBench.Run(MlpBench.autoLearner(opt, b, cores)));
        }
      }
    // PyTorch in two halves, before and after ours, the better of the two kept: its repetitions too
    // are spread over the run. --smoke: batch 16 on one BLAS thread, before ours only (proves the
    // peer runs, in seconds).
    String python = torch ? TorchPeer.python() : null;
    List<String> log = new ArrayList<>();
    Map<String, Double> one = new HashMap<>(), all = new HashMap<>(), ours = new HashMap<>();
    String peerFailure;
    int probes = 1;
    try {
      peerFailure = python == null ? null : peer(python, cores, smoke, quick, log, one, all);
      for (MlpBench.Run r : runs.values()) r.warmUp(ms * 2);
      for (int round = 0, rounds = smoke ? 1 : quick ? 3 : 5; round < rounds; round++) {
        for (MlpBench.Run r : runs.values()) r.window();
        peak = Math.max(peak, FmaPeak.gflops(peakReps));
        probes++;
      }
      runs.forEach((k, r) -> ours.put(k, r.best()));
      if (python != null && peerFailure == null && !smoke) peerFailure = peer(python, cores, false, quick, log, one, all);
    } finally {
      for (MlpBench.Run r : runs.values()) r.learner().closeThreads();
    }
    double bound = peak * 1e9 / MlpBench.FLOPS_PER_EXAMPLE;
    System.out.printf(Locale.ROOT, "MLP 784-256-256-10 training, in-memory data (%.2f MFLOP/example; one core's flop"
        + " bound: %.0f examples/s at an FMA peak of %.1f GFLOP/s, the best of %d probes: the first above, one after"
        + " each round of windows):%n", MlpBench.FLOPS_PER_EXAMPLE / 1e6, bound, peak, probes);
    for (int b : BATCHES) {
      double sgd1 = ours.get("sgd " + b + " 1"), adam1 = ours.get("adam " + b + " 1");
      System.out.printf(Locale.ROOT, "  batch %4d  1 thread: SGD %8.0f ex/s (%5.1f%% of bound), Adam %8.0f (%5.1f%%),"
          + " Adam/SGD %.2f", b, sgd1, 100 * sgd1 / bound, adam1, 100 * adam1 / bound, adam1 / sgd1);
      if (cores > 1) {
        double sgdN = ours.get("sgd " + b + " " + cores), adamN = ours.get("adam " + b + " " + cores);
        System.out.printf(Locale.ROOT, "   %d threads: SGD %8.0f (%.2f× 1 thread), Adam %8.0f (%.2f×)", cores,
            sgdN, sgdN / sgd1, adamN, adamN / adam1);
        OnlineLearner sgd = runs.get("sgd " + b + " auto").learner(), adam = runs.get("adam " + b + " auto").learner();
        System.out.printf(Locale.ROOT, "%n              auto (the default): SGD %8.0f (team/alone %.2f: %d thread%s), Adam %8.0f"
            + " (team/alone %.2f: %d thread%s)", ours.get("sgd " + b + " auto"), sgd.teamTimeRatio(),
            sgd.chosenThreads(), sgd.chosenThreads() > 1 ? "s" : "", ours.get("adam " + b + " auto"),
            adam.teamTimeRatio(), adam.chosenThreads(), adam.chosenThreads() > 1 ? "s" : "");
      }
      System.out.println();
    }
    if (!torch) return;
    if (python == null) {
      System.out.println("  PyTorch peer: skipped (neither /usr/bin/python3 nor python3 imports torch)");
      return;
    }
    if (peerFailure != null) {
      System.out.println("  PyTorch peer failed: " + peerFailure);
      return;
    }
    System.out.println("PyTorch " + TorchPeer.version + " (" + python + ", the same MLP, loss and learning rates;"
        + " eager, float32; its best repetition, as ours is our best window), measured "
        + (smoke ? "before ours:" : "half before and half after ours:"));
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
      if (cores > 1)
        for (String opt : new String[] {"sgd", "adam"}) {
          Double p1 = one.get(opt + " " + b), pn = all.get(opt + " " + b);
          Double best = p1;
          if (pn != null && (best == null || pn > best)) best = pn;
          sb.append(cell(ours.get(opt + " " + b + " auto"), best));
        }
      System.out.println(sb);
    }
  }

  /**
   * One half of the peer's figures: per batch size, one process on one BLAS thread and one on every
   * core, two repetitions each, the better kept in one and all (fewer examples per repetition where
   * steps are slow). Returns why the peer failed, or null.
   */
  private static String peer(String python, int cores, boolean smoke, boolean quick, List<String> log,
      Map<String, Double> one, Map<String, Double> all) {
    try {
      for (int b : smoke ? new int[] {16} : BATCHES) {
        int examples = smoke ? 4 * b : (quick ? 1 : 2) * (b == 1 ? 1000 : b == 16 ? 3000 : 6000);
        better(one, TorchPeer.measure(python, 1, new int[] {b}, examples, smoke ? 1 : 2, log));
        if (cores > 1 && !smoke) better(all, TorchPeer.measure(python, cores, new int[] {b}, examples, 2, log));
      }
      return null;
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      return e.toString();
    }
  }

  private static void better(Map<String, Double> into, Map<String, Double> from) {
    from.forEach((k, v) -> into.merge(k, v, Math::max));
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
