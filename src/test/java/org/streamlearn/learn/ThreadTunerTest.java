package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The auto thread choice against a simulated machine: step times given per choice, no clock. */
class ThreadTunerTest {
  /** A batch of 64 examples taking nsPerExample × 64 on the team or alone. */
  private static final int B = 64;
  /** A JIT that has finished compiling. */
  private static final LongSupplier NO_JIT = () -> 0L;

  /** Steps until the next probe ends; returns the choices taken step by step. */
  private static List<Boolean> untilProbeEnds(ThreadTuner t, double teamNsPerExample, double aloneNsPerExample) {
    List<Boolean> choices = new ArrayList<>();
    int probes = t.probes();
    for (int i = 0; i < 1_000_000 && t.probes() == probes; i++) {
      boolean team = t.useTeam();
      choices.add(team);
      t.observe((long) ((team ? teamNsPerExample : aloneNsPerExample) * B), B);
    }
    assertThat(t.probes()).as("a probe ended").isEqualTo(probes + 1);
    return choices;
  }

  /** Steps with the choice held until a new probe starts; returns their step time. */
  private static long holdNs(ThreadTuner t, double nsPerExample) {
    assertThat(t.probing()).isFalse();
    boolean held = t.useTeam();
    long ns = 0;
    for (int i = 0; i < 10_000_000 && !t.probing(); i++) {
      assertThat(t.useTeam()).isEqualTo(held);
      long step = (long) (nsPerExample * B);
      ns += step;
      t.observe(step, B);
    }
    return ns;
  }

  @Test
  void aFasterTeamIsKeptASlowerOrTiedOneIsNot() {
    ThreadTuner faster = new ThreadTuner(NO_JIT);
    untilProbeEnds(faster, 800, 1000);
    assertThat(faster.useTeam()).isTrue();
    assertThat(faster.chosenTeam()).isTrue();
    assertThat(faster.lastRatio()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));

    ThreadTuner slower = new ThreadTuner(NO_JIT);
    untilProbeEnds(slower, 1300, 1000);
    assertThat(slower.useTeam()).isFalse();
    assertThat(slower.chosenTeam()).isFalse();
    holdNs(slower, 1000); // a new probe starts on the team; the last choice stands meanwhile
    assertThat(slower.useTeam()).isTrue();
    assertThat(slower.chosenTeam()).isFalse();

    ThreadTuner tied = new ThreadTuner(NO_JIT); // within the margin: one thread leaves the core to others
    untilProbeEnds(tied, 980, 1000);
    assertThat(tied.useTeam()).isFalse();
  }

  @Test
  void aProbeRunsSixTrialsOfAtLeastTheTrialTimeInABBAOrder() {
    ThreadTuner t = new ThreadTuner(NO_JIT);
    List<Boolean> c = untilProbeEnds(t, 1000, 1000);
    // 40 ms per trial at 64 µs per step: 625 steps each.
    int perTrial = (int) Math.ceil(ThreadTuner.TRIAL_NS / (1000.0 * B));
    assertThat(c).hasSize(6 * perTrial);
    boolean[] order = {true, false, false, true, true, false};
    for (int trial = 0; trial < 6; trial++)
      for (int s = 0; s < perTrial; s++) assertThat(c.get(trial * perTrial + s)).isEqualTo(order[trial]);
  }

  /** A burst of another tenant inside one trial does not decide: each side counts its better trial. */
  @Test
  void aBurstInOneTrialDoesNotDecide() {
    ThreadTuner t = new ThreadTuner(NO_JIT);
    // Trials: team (warm-up), alone, alone, team, team, alone. The first counted team trial (the
    // first 40 ms of the second run of team steps) is 5× slower.
    int runs = 0;
    long teamNs = 0;
    boolean last = !t.useTeam();
    while (t.probes() == 0) {
      boolean team = t.useTeam();
      if (team != last) runs++;
      last = team;
      boolean burst = team && runs == 3 && teamNs < ThreadTuner.TRIAL_NS;
      long ns = (long) ((team ? (burst ? 4000 : 800) : 1000) * B);
      if (team && runs == 3) teamNs += ns;
      t.observe(ns, B);
    }
    assertThat(t.useTeam()).isTrue();
    assertThat(t.lastRatio()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void warmUpTrialsAreNotCounted() {
    ThreadTuner t = new ThreadTuner(NO_JIT);
    // The first two trials (team, then alone) are far slower, as before the JIT: they must not count.
    int steps = 0;
    while (t.probes() == 0) {
      boolean team = t.useTeam();
      boolean warm = steps++ < 2 * 625;
      double ns = team ? (warm ? 50_000 : 800) : (warm ? 1000 : 1000);
      t.observe((long) (ns * B), B);
    }
    assertThat(t.useTeam()).isTrue();
    assertThat(t.lastRatio()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void trialsNeedThreeStepsEvenWhenStepsAreLong() {
    ThreadTuner t = new ThreadTuner(NO_JIT);
    // Each step alone takes longer than a trial: a trial still averages three steps.
    for (int i = 0; i < 3 * 5; i++) t.observe(ThreadTuner.TRIAL_NS * 2, B);
    assertThat(t.probes()).isZero();
    t.observe(ThreadTuner.TRIAL_NS * 2, B);
    t.observe(ThreadTuner.TRIAL_NS * 2, B);
    t.observe(ThreadTuner.TRIAL_NS * 2, B);
    assertThat(t.probes()).isEqualTo(1);
  }

  @Test
  void theChoiceHoldsThenAProbeFollowsTheMachineAndHoldsLonger() {
    ThreadTuner t = new ThreadTuner(NO_JIT);
    untilProbeEnds(t, 800, 1000);
    assertThat(t.useTeam()).isTrue();
    long first = holdNs(t, 800);
    assertThat(first).isBetween(ThreadTuner.FIRST_HOLD_NS, ThreadTuner.FIRST_HOLD_NS + 800 * B);
    // The machine changed (another tenant took the second core): the next probe turns the team off.
    untilProbeEnds(t, 1500, 1000);
    assertThat(t.useTeam()).isFalse();
    assertThat(t.probes()).isEqualTo(2);
    long second = holdNs(t, 1000);
    assertThat(second).isBetween(2 * ThreadTuner.FIRST_HOLD_NS, 2 * ThreadTuner.FIRST_HOLD_NS + 1000 * B);
    for (int i = 0; i < 8; i++) {
      untilProbeEnds(t, 1500, 1000);
      holdNs(t, 1000);
    }
    untilProbeEnds(t, 1500, 1000);
    assertThat(holdNs(t, 1000)).isBetween(ThreadTuner.MAX_HOLD_NS, ThreadTuner.MAX_HOLD_NS + 1000 * B);
  }

  /**
   * A probe while the JIT compiles (its threads take the second core from the team) does not decide:
   * the choice before it stands, and the next probe follows after the first hold, without doubling.
   */
  @Test
  void aProbeWhileTheJitCompilesDoesNotDecide() {
    long[] compiledMs = {0};
    ThreadTuner t = new ThreadTuner(() -> compiledMs[0]);
    // The first probe: the JIT compiles 30 ms per 100 ms of steps, and the team reads slower.
    long stepNs = 1500L * B, sinceTick = 0;
    while (t.probing()) {
      boolean team = t.useTeam();
      long ns = team ? stepNs : 1000L * B;
      t.observe(ns, B);
      if ((sinceTick += ns) >= 100_000_000L) {
        sinceTick = 0;
        compiledMs[0] += 30;
      }
    }
    assertThat(t.discarded()).isEqualTo(1);
    assertThat(t.probes()).isZero();
    assertThat(t.useTeam()).as("the choice before the probe (the team) stands").isTrue();
    assertThat(Double.isNaN(t.lastRatio())).isTrue();
    assertThat(holdNs(t, 800)).isBetween(ThreadTuner.FIRST_HOLD_NS, ThreadTuner.FIRST_HOLD_NS + 800 * B);
    // The JIT is done: the next probe decides, and its hold is the first one.
    untilProbeEnds(t, 800, 1000);
    assertThat(t.useTeam()).isTrue();
    assertThat(t.lastRatio()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(holdNs(t, 800)).isBetween(ThreadTuner.FIRST_HOLD_NS, ThreadTuner.FIRST_HOLD_NS + 800 * B);
    // Compile time under the share does not set a probe aside.
    compiledMs[0] += 5; // 5 ms over a probe of at least 240 ms of steps
    untilProbeEnds(t, 1500, 1000);
    assertThat(t.useTeam()).isFalse();
    assertThat(t.discarded()).isEqualTo(1);
  }

  @Test
  void aJitThatNeverStopsCompilingStillGetsAChoice() {
    long[] compiledMs = {0};
    ThreadTuner t = new ThreadTuner(() -> compiledMs[0]);
    for (int probe = 0; probe <= ThreadTuner.MAX_DISCARDED; probe++) {
      assertThat(t.probes()).isZero();
      while (t.probing()) {
        t.observe((t.useTeam() ? 1500L : 1000L) * B, B);
        compiledMs[0] += 1; // 1 ms per 64-96 µs step
      }
      if (probe < ThreadTuner.MAX_DISCARDED) {
        assertThat(t.discarded()).isEqualTo(probe + 1);
        holdNs(t, 1000);
      }
    }
    assertThat(t.probes()).isEqualTo(1);
    assertThat(t.useTeam()).isFalse();
  }
}
