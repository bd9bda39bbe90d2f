package org.streamlearn.learn;

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
  private int probes;
  private double lastRatio = Double.NaN;

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
    lastRatio = teamBest / aloneBest;
    team = lastRatio < MARGIN;
    probes++;
    heldNs = 0;
    holdNs = nextHoldNs;
    nextHoldNs = Math.min(2 * nextHoldNs, MAX_HOLD_NS);
    return team;
  }

  private void startProbe() {
    trial = 0;
    teamBest = aloneBest = Double.POSITIVE_INFINITY;
    team = PROBE[0];
  }
}
