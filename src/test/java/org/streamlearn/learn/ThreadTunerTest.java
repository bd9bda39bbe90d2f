package org.streamlearn.learn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The auto thread choice against a simulated machine: step times given per choice, no clock. */
class ThreadTunerTest {
  /** A batch of 64 examples taking nsPerExample × 64 on the team or alone. */
  private static final int B = 64;

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
    ThreadTuner faster = new ThreadTuner();
    untilProbeEnds(faster, 800, 1000);
    assertThat(faster.useTeam()).isTrue();
    assertThat(faster.chosenTeam()).isTrue();
    assertThat(faster.lastRatio()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(1e-9));

    ThreadTuner slower = new ThreadTuner();
    untilProbeEnds(slower, 1300, 1000);
    assertThat(slower.useTeam()).isFalse();
    assertThat(slower.chosenTeam()).isFalse();
    holdNs(slower, 1000); // a new probe starts on the team; the last choice stands meanwhile
    assertThat(slower.useTeam()).isTrue();
    assertThat(slower.chosenTeam()).isFalse();

    ThreadTuner tied = new ThreadTuner(); // within the margin: one thread leaves the core to others
    untilProbeEnds(tied, 980, 1000);
    assertThat(tied.useTeam()).isFalse();
  }

  @Test
  void aProbeRunsSixTrialsOfAtLeastTheTrialTimeInABBAOrder() {
    ThreadTuner t = new ThreadTuner();
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
    ThreadTuner t = new ThreadTuner();
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
    ThreadTuner t = new ThreadTuner();
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
    ThreadTuner t = new ThreadTuner();
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
    ThreadTuner t = new ThreadTuner();
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
}
