package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.checkpoint.Checkpoints;

/**
 * The training audit log: its format read back (restore markers drop what the restored checkpoint
 * does not hold), and a runner that loses its newest checkpoint restores the one before, trains the
 * tail again, and leaves an audit whose effective records are every record exactly once.
 */
@Timeout(120)
class TrainingAuditTest extends BrokerPerClass {

  @Test
  void readsRunsCheckpointsRestoresAndCommits() throws Exception {
    Path f = dir.resolve("parse.audit");
    Files.writeString(f, """
        start r1 1
        t a-0 0 1
        t a-0 1 1
        ckpt 1
        durable 1
        time 1700
        t a-0 2 2
        commit a-0 2
        ckpt 2
        t a-0 3 3
        start r1 2
        restore 1
        t a-0 2 2
        d a-0 3
        ckpt 2
        durable 2
        t a-0 4 3
        lost a-0,a-1
        ckpt 3
        t a-0 5 3
        dropped 7
        """);
    var r = TrainingAudit.read(f);
    assertThat(r.replica()).isEqualTo("r1");
    assertThat(r.runs()).isEqualTo(2);
    assertThat(r.effective()).extracting(TrainingAudit.Entry::id)
        .containsExactly("a-0@0", "a-0@1", "a-0@2", "a-0@4", "a-0@5");
    assertThat(r.lost()).extracting(TrainingAudit.Entry::id).containsExactly("a-0@2", "a-0@3");
    // ckpt 3 never became durable (the process died while writing it): a-0@4 is in the tail too.
    assertThat(r.afterLastCheckpoint()).extracting(TrainingAudit.Entry::id).containsExactly("a-0@4", "a-0@5");
    assertThat(r.commits()).containsEntry("a-0", 2L);
    // A lost line drops nothing already trained: it counts the queued rows skipped.
    assertThat(r.partitionsLost()).containsExactly("a-0", "a-1");
    assertThat(r.rowsDropped()).isEqualTo(7);
    // What it holds of a lost partition from its last commit before the loss (the next owner trains
    // it again from there): not a-0@0/1 (before the commit), nor run 1's a-0@2/3 (undone by the
    // restore), nor a-0@5 (trained after the loss).
    assertThat(r.lostTail()).extracting(TrainingAudit.Entry::id).containsExactly("a-0@2", "a-0@4");
    // Each line is dated by the newest time line before it, or its run's start.
    assertThat(r.effective()).extracting(TrainingAudit.Entry::millis).containsExactly(1L, 1L, 2L, 2L, 2L);
    assertThat(r.lost()).extracting(TrainingAudit.Entry::millis).containsExactly(1700L, 1700L);

    // The older form, written by the trainer once it had passed the dropped rows.
    Files.writeString(f, "start r1 1\nt a-0 0 1\nt a-0 1 1\nlost a-0 3\n");
    assertThat(TrainingAudit.read(f).rowsDropped()).isEqualTo(3);
    assertThat(TrainingAudit.read(f).lostTail()).extracting(TrainingAudit.Entry::id).containsExactly("a-0@0", "a-0@1");

    Files.writeString(f, "start r1 1\nt a-0 0 1\nrestore 5\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 3").hasMessageContaining("restore of step 5");
    Files.writeString(f, "start r1 1\nt a-0 x 1\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 2");
  }

  static List<String> ids(List<TrainingAudit.Entry> entries) {
    return entries.stream().map(TrainingAudit.Entry::id).toList();
  }

  static TrainingAudit.Read read(Path f, String text) throws Exception {
    Files.writeString(f, text);
    return TrainingAudit.read(f);
  }

  @Test
  void aRollbackTakesTheDiscardedStepsAndTheFailedBatchOutOfTheState() throws Exception {
    Path f = dir.resolve("rollback.audit");
    // Batches of 2; good copy at version 2; step 3 trained; the batch of step 4 fails (loss) and
    // takes version 4 for the rolled-back state; training goes on at 5.
    var r = read(f, """
        start r1 1
        t a-0 0 1
        t a-0 1 1
        t a-0 2 2
        t a-0 3 2
        t a-0 4 3
        t a-0 5 3
        t a-0 6 4
        t a-0 7 4
        r 4 2
        t a-0 8 5
        t a-0 9 5
        """);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@1", "a-0@2", "a-0@3", "a-0@8", "a-0@9");
    assertThat(ids(r.rolledBack())).containsExactly("a-0@4", "a-0@5", "a-0@6", "a-0@7");
    assertThat(r.lost()).isEmpty();
    // A second rollback to the same good copy takes only what is still in the state.
    Files.writeString(f, Files.readString(f) + "t a-0 10 6\nr 6 2\n");
    r = TrainingAudit.read(f);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@1", "a-0@2", "a-0@3");
    assertThat(ids(r.rolledBack())).containsExactly("a-0@4", "a-0@5", "a-0@6", "a-0@7", "a-0@8", "a-0@9", "a-0@10");
  }

  @Test
  void aRollbackFoundInTheWeightsKeepsTheBatchBeingAssembled() throws Exception {
    // Cause parameters, found when checkpointing: steps 2 and 3 are discarded, the state keeps
    // version 3; the row already taken for step 4 stays in the state, as does the rest of its batch.
    var r = read(dir.resolve("params.audit"), """
        start r1 1
        t a-0 0 1
        t a-0 1 1
        t a-0 2 2
        t a-0 3 2
        t a-0 4 3
        t a-0 5 3
        t a-0 6 4
        r 3 1
        ckpt 3
        durable 3
        t a-0 7 4
        """);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@1", "a-0@6", "a-0@7");
    assertThat(ids(r.rolledBack())).containsExactly("a-0@2", "a-0@3", "a-0@4", "a-0@5");
    assertThat(ids(r.afterLastCheckpoint())).containsExactly("a-0@7");
  }

  @Test
  void aRestoreUndoesTheRollbacksAfterItsCheckpointAndKeepsThoseBefore() throws Exception {
    Path f = dir.resolve("restore-rollback.audit");
    String head = """
        start r1 1
        t a-0 0 1
        t a-0 1 2
        ckpt 2
        durable 2
        t a-0 2 3
        ckpt 3
        durable 3
        t a-0 3 4
        r 4 1
        ckpt 4
        durable 4
        t a-0 4 5
        """;
    // Killed, restarted from the checkpoint of step 3, written before the rollback: the state
    // holds steps 2 and 3 again; step 4's record (the failed batch) and step 5's are read again,
    // and the same divergence happens again (the good copy in that checkpoint is version 1).
    var r = read(f, head + """
        start r1 2
        restore 3
        t a-0 3 4
        r 4 1
        t a-0 4 5
        """);
    assertThat(r.runs()).isEqualTo(2);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@4");
    assertThat(ids(r.rolledBack())).containsExactly("a-0@1", "a-0@2", "a-0@3");
    assertThat(ids(r.lost())).containsExactly("a-0@3", "a-0@4");
    assertThat(r.rolledBack()).extracting(TrainingAudit.Entry::run).containsExactly(1, 1, 2);

    // Restarted from a checkpoint of step 4, written after the rollback: it stays rolled back.
    r = read(f, head + """
        start r1 2
        restore 4
        t a-0 4 5
        """);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@4");
    assertThat(r.effective().getLast().run()).isEqualTo(2);
    assertThat(ids(r.rolledBack())).containsExactly("a-0@1", "a-0@2", "a-0@3");
    assertThat(r.rolledBack()).allMatch(e -> e.run() == 1);
    assertThat(ids(r.lost())).containsExactly("a-0@4");

    // Restarted from the checkpoint of step 2: the lines after it are lost, the rolled-back ones
    // too (their records are read again); the rollback of step 2's record is undone.
    r = read(f, head + """
        start r1 2
        restore 2
        t a-0 2 3
        """);
    assertThat(ids(r.effective())).containsExactly("a-0@0", "a-0@1", "a-0@2");
    assertThat(r.rolledBack()).isEmpty();
    assertThat(ids(r.lost())).containsExactly("a-0@2", "a-0@3", "a-0@4");

    Files.writeString(f, "start r1 1\nt a-0 0 1\nr 1 2\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 3").hasMessageContaining("rolled back to version 2");
    Files.writeString(f, "start r1 1\nt a-0 0 1\nr 1\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 3").hasMessageContaining("r <step> <to>");
  }

  @Test
  void aRestoreOfAnOlderCheckpointTrainsTheTailAgainAndTheAuditSaysSo() throws Exception {
    String name = "audit-e2e";
    Path audit = dir.resolve("audit-e2e.log"), ckpt = dir.resolve("ckpt");
    var mc = model("""
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: input(64) dense(10)
            batch.size: 10
            batch.linger.ms: 60000
            publish.every.steps: 0
            publish.every.ms: 0
            checkpoint.dir: "%s"
            checkpoint.every.steps: 7
            checkpoint.every.ms: 0
            checkpoint.keep: 5
            audit.path: "%s"
            replica.id: solo
        """.formatted(name, name, ckpt.toString().replace("\\", "/"), audit.toString().replace("\\", "/")));
    List<byte[]> lines = DemoProducer.digitsLines().subList(0, 300);
    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", lines);
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 300);
    }
    // As if it had died before its newest checkpoint: remove that one; the restart restores the one before.
    var ck = new Checkpoints(ckpt.resolve(name), name, 5);
    Files.delete(ck.files().getFirst());
    long restoredStep = ck.latest().latest().orElseThrow().state().step();
    long restoredOffset = ck.latest().latest().get().offsets().get(name + ".train-0");
    assertThat(restoredOffset).isLessThan(300);
    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      assertThat(r.steps()).isEqualTo(restoredStep);
      await().atMost(Duration.ofSeconds(30)).until(() -> r.examples() == 300);
    }
    var read = TrainingAudit.read(audit);
    assertThat(read.runs()).isEqualTo(2);
    assertThat(read.replica()).isEqualTo("solo");
    Map<String, Long> counts = read.effective().stream()
        .collect(Collectors.groupingBy(TrainingAudit.Entry::id, TreeMap::new, Collectors.counting()));
    assertThat(counts).hasSize(300);
    assertThat(counts.values()).allMatch(c -> c == 1);
    assertThat(read.lost()).extracting(TrainingAudit.Entry::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(restoredOffset, 300).boxed().toList());
    assertThat(read.afterLastCheckpoint()).isEmpty(); // the graceful stop checkpoints everything
    // Step numbers: record i of 10-row batches goes into step i / 10 + 1.
    assertThat(read.effective()).allMatch(e -> e.step() == e.offset() / 10 + 1);
  }

  /**
   * Divergences end to end: a regression model fed records whose target 1e30 overflows the loss
   * rolls back (the good copy every 5 steps, batches of 4, full batches only); the service is
   * stopped, its newest checkpoints removed so the restart restores one from before the first
   * rollback, which it trains again (and meets again). The audit must say of every record exactly
   * what an uninterrupted offline learner fed the same records did with it: in the state, or
   * discarded by a rollback, with the same step; no step names both.
   */
  @Test
  void rollbacksAreInTheAuditAcrossARestoreFromBeforeThem() throws Exception {
    String name = "audit-div";
    Path audit = dir.resolve("audit-div.log"), ckpt = dir.resolve("ckpt-div");
    var mc = model("""
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 4
            label.type: regression
            targets: 1
            layers: input(4) dense(8) tanh dense(1)
            loss: mse
            optimizer: {name: adam, lr: 0.01}
            seed: 5
            batch.size: 4
            batch.linger.ms: 60000
            divergence.backup.every.steps: 5
            publish.every.steps: 0
            publish.every.ms: 0
            checkpoint.dir: "%s"
            checkpoint.every.steps: 7
            checkpoint.every.ms: 0
            checkpoint.keep: 5
            audit.path: "%s"
            replica.id: solo
        """.formatted(name, name, ckpt.toString().replace("\\", "/"), audit.toString().replace("\\", "/")));
    var rnd = new java.util.SplittableRandom(71);
    List<byte[]> first = ControlEndToEndTest.lines(rnd, 260, null), second = ControlEndToEndTest.lines(rnd, 140, null);
    first.set(218, ControlEndToEndTest.lines(rnd, 1, "1e30").getFirst()); // the batch of records 216-219
    second.set(57, ControlEndToEndTest.lines(rnd, 1, "1e30").getFirst()); // record 317
    List<byte[]> all = new java.util.ArrayList<>(first);
    all.addAll(second);

    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      // A checkpoint before the bad record, whatever the writer's pace (a burst of steps can outrun it).
      produce(bootstrap, name + ".train", first.subList(0, 200));
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 200 && r.checkpointLastStep() >= 42);
      produce(bootstrap, name + ".train", first.subList(200, first.size()));
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == first.size());
      assertThat(r.divergences()).isEqualTo(1);
    }
    // Back to a checkpoint from before the rollback: the ones after it are removed.
    var ck = new Checkpoints(ckpt.resolve(name), name, 5);
    int removed = 0;
    for (var c = ck.latest().latest().orElseThrow(); c.state().divergences() > 0; c = ck.latest().latest().orElseThrow()) {
      Files.delete(c.file());
      removed++;
    }
    assertThat(removed).as("checkpoints after the rollback").isPositive();
    var restored = ck.latest().latest().orElseThrow();
    long restoredOffset = restored.offsets().get(name + ".train-0");
    assertThat(restored.state().divergences()).isZero();
    // The uninterrupted learner: each record's step, and which steps its rollbacks discarded.
    var offline = new org.streamlearn.learn.OnlineLearner(mc.learnerConfig());
    var dec = mc.decoder();
    float[] x = new float[4], y = new float[1];
    long[] step = new long[all.size()];
    boolean[] discarded = new boolean[all.size()];
    for (int i = 0; i < all.size(); i++) {
      assertThat(dec.decode(all.get(i), x, 0, y, 0).ok()).isTrue();
      step[i] = offline.step() + 1;
      long d0 = offline.divergences();
      offline.add(x, 0, y, 0);
      if (offline.divergences() == d0) continue;
      var d = offline.lastDivergence();
      for (int j = 0; j <= i; j++) if (step[j] > d.rolledBackTo() && step[j] <= d.versionAfter()) discarded[j] = true;
    }
    assertThat(offline.divergences()).isEqualTo(2);

    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      assertThat(r.steps()).isEqualTo(restored.state().step());
      produce(bootstrap, name + ".train", second);
      await().atMost(Duration.ofSeconds(30)).until(() -> r.steps() == offline.step());
      assertThat(r.divergences()).isEqualTo(2);
      assertThat(r.examplesRolledBack()).isEqualTo(offline.rolledBackExamples());
    }
    var read = TrainingAudit.read(audit); // complete once the runner has closed it

    List<String> wantIn = new java.util.ArrayList<>(), wantOut = new java.util.ArrayList<>();
    for (int i = 0; i < all.size(); i++) (discarded[i] ? wantOut : wantIn).add(name + ".train-0@" + i);
    System.out.printf("audit-div: %d records in the state, %d rolled back, %d lost to the restore%n",
        wantIn.size(), wantOut.size(), read.lost().size());
    assertThat(ids(read.effective())).containsExactlyElementsOf(wantIn);
    assertThat(ids(read.rolledBack())).containsExactlyInAnyOrderElementsOf(wantOut);
    assertThat(wantOut).as("both bad records' batches, and the steps before them back to the good copy")
        .contains(name + ".train-0@218", name + ".train-0@317").hasSize((int) offline.rolledBackExamples())
        .hasSizeGreaterThan(8);
    assertThat(read.effective()).allMatch(e -> e.step() == step[(int) e.offset()]);
    assertThat(read.rolledBack()).allMatch(e -> e.step() == step[(int) e.offset()]);
    assertThat(read.rolledBack().stream().map(TrainingAudit.Entry::step).distinct().toList())
        .as("a step is either in the state or discarded").doesNotContainAnyElementsOf(
            read.effective().stream().map(TrainingAudit.Entry::step).toList());
    assertThat(read.lost()).extracting(TrainingAudit.Entry::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(restoredOffset, first.size()).boxed().toList());
  }

  /**
   * A control reset puts the model back to the seed's state: the audit shows the records trained
   * before it as rolled back, and the rows of the batch being assembled (kept by the reset) in the
   * state with everything after.
   */
  @Test
  void aResetRollsTheAuditBackToTheSeed() throws Exception {
    String name = "audit-reset";
    Path audit = dir.resolve("audit-reset.log");
    var mc = model("""
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: input(64) dense(10)
            batch.size: 10
            batch.linger.ms: 60000
            publish.every.steps: 0
            publish.every.ms: 0
            audit.path: "%s"
            replica.id: solo
        """.formatted(name, name, audit.toString().replace("\\", "/")));
    List<byte[]> lines = DemoProducer.digitsLines().subList(0, 60);
    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", lines.subList(0, 45));
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 40 && r.recordsIn() == 45);
      var reset = org.streamlearn.model.Command.of(org.streamlearn.model.Action.RESET);
      r.control(reset).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.steps()).isEqualTo(4);
      produce(bootstrap, name + ".train", lines.subList(45, 60));
      await().atMost(Duration.ofSeconds(30)).until(() -> r.steps() == 6);
    }
    var read = TrainingAudit.read(audit);
    assertThat(read.rolledBack()).extracting(TrainingAudit.Entry::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 40).boxed().toList());
    assertThat(read.effective()).extracting(TrainingAudit.Entry::offset)
        .containsExactlyElementsOf(java.util.stream.LongStream.range(40, 60).boxed().toList());
    assertThat(read.effective()).allMatch(e -> e.step() == e.offset() / 10 + 1);
  }
}
