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
        lost a-0,a-1 7
        ckpt 3
        t a-0 5 3
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
    // Each line is dated by the newest time line before it, or its run's start.
    assertThat(r.effective()).extracting(TrainingAudit.Entry::millis).containsExactly(1L, 1L, 2L, 2L, 2L);
    assertThat(r.lost()).extracting(TrainingAudit.Entry::millis).containsExactly(1700L, 1700L);

    Files.writeString(f, "start r1 1\nt a-0 0 1\nrestore 5\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 3").hasMessageContaining("restore of step 5");
    Files.writeString(f, "start r1 1\nt a-0 x 1\n");
    assertThatThrownBy(() -> TrainingAudit.read(f)).hasMessageContaining("line 2");
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
    try (var r = new ModelRunner(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", lines);
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 300);
    }
    // As if it had died before its newest checkpoint: remove that one; the restart restores the one before.
    var ck = new Checkpoints(ckpt.resolve(name), name, 5);
    Files.delete(ck.files().getFirst());
    long restoredStep = ck.latest().latest().orElseThrow().state().step();
    long restoredOffset = ck.latest().latest().get().offsets().get(name + ".train-0");
    assertThat(restoredOffset).isLessThan(300);
    try (var r = new ModelRunner(mc, KafkaClients.of(bootstrap), 10_000).start()) {
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
}
