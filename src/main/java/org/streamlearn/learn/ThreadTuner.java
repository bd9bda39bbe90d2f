package org.streamlearn.learn;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Chooses, by measurement, whether a learner's steps run on its whole team of threads or on the
 * trainer alone ({@code train.threads = auto}). A split step is bit-identical to the trainer alone,
 * so the choice never changes the weights and may follow the machine: whether a second core pays
 * depends on the batch, the model, the optimizer and on who else uses the machine (on the shared
 * 2-core machines we measure on, the team was 1.2-1.5× faster one day and 0.75-0.95× the next).
 *
 * <p>A probe is six trials, each at least {@link #TRIAL_NS} of step time and {@link #MIN_TRIAL_STEPS}
 * steps: team, alone (warm-up after a switch, not counted), then alone, team, team, alone, so that a
 * load rising or falling during the probe weighs on both sides alike. Each side counts its better
 * trial: another tenant's burst only ever slows a trial down, and on the shared 2-core machines we
 * measure on one burst inside one trial swung a probe's ratio from 0.8 to 3 (batch 1: the team's
 * share of a step is short and easily delayed). The team is kept when its time per example is under
 * {@link #MARGIN} of the trainer alone's: a tie goes to one thread, which leaves
 * the other cores to the consumer, the broker and other models. The choice then holds for a while
 * of step time (1 s after the first probe, doubling up to 16 s) and a new probe follows.
 *
 * <p>A probe during which the JIT compiled for more than {@link #JIT_SHARE} of the probe's time does
 * not decide: the compiler threads took a core from the team's trials (on 2 cores a learner's first
 * probe, a second into its life, read the team 1.1-1.8× slower than alone, and the next one, a
 * second later, 0.5-0.8×). The choice before it stands and a new probe follows after the first hold,
 * without doubling; after {@link #MAX_DISCARDED} such probes in a row the next one decides anyway (a
 * JVM that never stops compiling still gets a choice).
 *
 * <p>Pure bookkeeping: the caller times its steps and applies the answer. Allocates nothing.
 */
final class ThreadTuner {
  /** Step time of one trial, at least. */
  static final long TRIAL_NS = 40_000_000L;
  /** Steps of one trial, at least. */
  static final int MIN_TRIAL_STEPS = 3;
  /** The team is kept when its time per example is below this fraction of the trainer alone's. */
  static final double MARGIN = 0.97;
  static final long FIRST_HOLD_NS = 1_000_000_000L, MAX_HOLD_NS = 16_000_000_000L;
  /** A probe does not decide when the JIT compiled for more than this share of its step time. */
  static final double JIT_SHARE = 0.1;
  /** Probes in a row that may be set aside for the JIT; the next one decides whatever the JIT did. */
  static final int MAX_DISCARDED = 3;

  /** The trials of a probe: true = team. The first two warm up and are not counted. */
  private static final boolean[] PROBE = {true, false, false, true, true, false};
  private static final int WARM_UP = 2;

  private int trial; // index into PROBE; PROBE.length while a choice holds
  private long trialNs, trialExamples;
  private int trialSteps;
  // The better trial's ns per example of each side, this probe.
  private double teamBest = Double.POSITIVE_INFINITY, aloneBest = Double.POSITIVE_INFINITY;
  private long heldNs, holdNs, nextHoldNs = FIRST_HOLD_NS;
  private boolean team = PROBE[0];
  private int probes, discarded, discardedInARow;
  private double lastRatio = Double.NaN;
  /** Milliseconds the JIT has spent compiling so far (all compiler threads), and its value when the probe began. */
  private final LongSupplier compileMillis;
  private long compiledBefore, probeNs;

  /** Watches the JVM's own JIT ({@link CompilationMXBean}; never, where it reports no time). */
  ThreadTuner() {
    this(jitClock());
  }

  ThreadTuner(LongSupplier compileMillis) {
    this.compileMillis = compileMillis;
    compiledBefore = compileMillis.getAsLong();
  }

  private static LongSupplier jitClock() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : () -> 0L;
  }

  /** Whether the next step runs on the team. */
  boolean useTeam() {
    return team;
  }

  /** True while a probe runs (its trials switch between the team and the trainer alone). */
  boolean probing() {
    return trial < PROBE.length;
  }

  /** Probes completed so far. */
  int probes() {
    return probes;
  }

  /** What the last probe chose (true: the team); true before the first. */
  boolean chosenTeam() {
    return !(lastRatio >= MARGIN);
  }

  /** Probes set aside because the JIT compiled during them. */
  int discarded() {
    return discarded;
  }

  /** Team time per example over the trainer alone's in the last probe (NaN before the first). */
  double lastRatio() {
    return lastRatio;
  }

  /** One step of {@code examples} examples took {@code ns}; returns whether the next step uses the team. */
  boolean observe(long ns, int examples) {
    if (trial == PROBE.length) {
      heldNs += ns;
      if (heldNs >= holdNs) startProbe();
      return team;
    }
    trialNs += ns;
    probeNs += ns;
    trialExamples += examples;
    trialSteps++;
    if (trialNs < TRIAL_NS || trialSteps < MIN_TRIAL_STEPS) return team;
    if (trial >= WARM_UP) {
      double perExample = (double) trialNs / trialExamples;
      if (PROBE[trial]) teamBest = Math.min(teamBest, perExample);
      else aloneBest = Math.min(aloneBest, perExample);
    }
    trialNs = trialExamples = 0;
    trialSteps = 0;
    if (++trial < PROBE.length) {
      team = PROBE[trial];
      return team;
    }
    heldNs = 0;
    long compiledMs = compileMillis.getAsLong() - compiledBefore;
    if (compiledMs * 1e6 > JIT_SHARE * probeNs && discardedInARow < MAX_DISCARDED) {
      discarded++;
      discardedInARow++;
      team = chosenTeam();
      holdNs = FIRST_HOLD_NS;
      return team;
    }
    discardedInARow = 0;
    lastRatio = teamBest / aloneBest;
    team = lastRatio < MARGIN;
    probes++;
    holdNs = nextHoldNs;
    nextHoldNs = Math.min(2 * nextHoldNs, MAX_HOLD_NS);
    return team;
  }

  private void startProbe() {
    compiledBefore = compileMillis.getAsLong();
    probeNs = 0;
    trial = 0;
    teamBest = aloneBest = Double.POSITIVE_INFINITY;
    team = PROBE[0];
  }
}
