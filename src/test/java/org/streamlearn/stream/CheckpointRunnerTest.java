package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.committed;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.metrics.StreamlearnMeters;

/**
 * Checkpoints in the runner, in process against an embedded broker: written by steps and on close,
 * metered, restored with a seek, damaged files skipped, another spec refused unless
 * checkpoint.fresh, write failures counted while training goes on.
 */
@Timeout(120)
class CheckpointRunnerTest extends BrokerPerClass {

  static String yaml(String name, String layers, Path ckpt, String extra) {
    return """
        models:
          %s:
            topics: [%s.train]
            format: csv
            features: 64
            label: {type: class, classes: 10}
            layers: %s
            batch.size: 10
            batch.linger.ms: 60000
            publish.every.steps: 0
            publish.every.ms: 0
            checkpoint.dir: "%s"
            checkpoint.every.steps: 7
            checkpoint.every.ms: 0
            seed: 3
        %s""".formatted(name, name, layers, ckpt.toString().replace("\\", "/"), extra);
  }

  @Test
  void writesRestoresSeeksSkipsDamagedAndRefusesAnotherSpec() throws Exception {
    String name = "ckpt-e2e", layers = "input(64) dense(16) relu dense(10)";
    Path root = dir.resolve("ckpt");
    var mc = model(yaml(name, layers, root, ""));
    Path mine = root.resolve(name);
    List<byte[]> lines = DemoProducer.digitsLines().subList(0, 305);
    var registry = StreamlearnMeters.newRegistry();
    try (var r1 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000)) {
      StreamlearnMeters.bind(registry, r1.verticle());
      r1.start();
      assertThat(r1.checkpoint()).isNull();
      assertThat(r1.describe()).containsEntry("checkpoint_dir", mine.toString())
          .containsEntry("checkpoint_every_steps", 7L).containsEntry("checkpoint_keep", 3);
      produce(bootstrap, name + ".train", lines.subList(0, 300));
      await().atMost(Duration.ofSeconds(30)).until(() -> r1.rowsTrained() == 300);
      // Every 7 steps, or the next step when the writer is still busy with the previous one.
      await().atMost(Duration.ofSeconds(10)).until(() -> r1.checkpointLastStep() >= 21);
      long s = r1.checkpointLastStep();
      assertThat(r1.checkpoint()).containsEntry("step", s).containsEntry("examples", s * 10);
      String scrape = registry.scrape();
      assertThat(scrape).contains("streamlearn_checkpoint_last_step{model=\"ckpt-e2e\"} " + s + ".0")
          .contains("streamlearn_checkpoint_failures_total{model=\"ckpt-e2e\"} 0.0")
          .contains("streamlearn_checkpoint_write_seconds_count{model=\"ckpt-e2e\"}");
    } // close: step 30, the final checkpoint
    var ck = new Checkpoints(mine, name, 3);
    assertThat(ck.files()).hasSizeBetween(2, 3);
    var last = Checkpoints.read(ck.files().getFirst());
    assertThat(last.state().step()).isEqualTo(30);
    assertThat(last.offsets()).containsEntry(name + ".train-0", 300L);
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(300);

    // A damaged newer file is skipped; the restored state continues at its offset.
    Path bad = mine.resolve(String.format("%s-%020d.ckpt", name, 99));
    Files.write(bad, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    produce(bootstrap, name + ".train", lines.subList(300, 305)); // half a batch: lingers, trained on close
    try (var r2 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      assertThat(r2.checkpoint().get("file").toString()).endsWith(ck.files().get(1).getFileName().toString());
      assertThat(r2.steps()).isEqualTo(30);
      await().atMost(Duration.ofSeconds(30)).until(() -> r2.recordsIn() == 5 && r2.queueDepth() == 0);
    }
    assertThat(r2Examples(ck)).isEqualTo(305);
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(305);

    // Another spec on the same checkpoints: refused, naming both; checkpoint.fresh starts anew.
    int before = ck.files().size();
    String other = "input(64) dense(8) relu dense(10)";
    var changed = model(yaml(name, other, root, ""));
    assertThatThrownBy(() -> new RunningModel(changed, KafkaClients.of(bootstrap), 10_000).start())
        .hasMessageContaining("spec '" + layers + "'").hasMessageContaining("'" + other + "'")
        .hasMessageContaining("checkpoint.fresh");
    var fresh = model(yaml(name, other, root, "    checkpoint.fresh: true\n"));
    try (var r3 = new RunningModel(fresh, KafkaClients.of(bootstrap), 10_000).start()) {
      assertThat(r3.steps()).isZero();
      assertThat(r3.checkpoint()).isNull();
      assertThat(new Checkpoints(mine, name, 3).files()).isEmpty();
    }
    try (var st = Files.list(mine)) {
      assertThat(st.filter(p -> p.toString().endsWith(".ckpt.replaced")).count()).isEqualTo(before);
    }
  }

  private static long r2Examples(Checkpoints ck) throws Exception {
    var l = ck.latest();
    return l.latest().orElseThrow().state().examples();
  }

  @Test
  void aFailingCheckpointDirIsCountedAndTrainingGoesOn() throws Exception {
    String name = "ckpt-fail";
    Path notADir = dir.resolve("plain-file");
    Files.writeString(notADir, "a file where the checkpoint folder should be");
    var mc = model(yaml(name, "input(64) dense(10)", notADir, ""));
    try (var r = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", DemoProducer.digitsLines().subList(0, 200));
      await().atMost(Duration.ofSeconds(30)).until(() -> r.rowsTrained() == 200);
      await().atMost(Duration.ofSeconds(10)).until(() -> r.checkpointFailures() > 0);
      assertThat(r.checkpoint()).isNull();
      assertThat(r.checkpointLastStep()).isEqualTo(-1);
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).as("completed steps still commit").isEqualTo(200);
  }

  /**
   * A pause through the control API is checkpointed at once and survives a restart: the restarted
   * model starts paused (status, meter), consumes into its queue but trains and commits nothing,
   * and trains everything, in order, once resumed.
   */
  @Test
  void aPauseSurvivesARestartUntilResumed() throws Exception {
    String name = "ckpt-pause";
    Path root = dir.resolve("ckpt-pause");
    // No checkpoint by steps in this test: the one there is comes from the pause.
    var mc = model(yaml(name, "input(64) dense(10)", root, "").replace("checkpoint.every.steps: 7", "checkpoint.every.steps: 1000"));
    var ck = new Checkpoints(root.resolve(name), name, 3);
    List<byte[]> lines = DemoProducer.digitsLines().subList(0, 300);
    var pause = org.streamlearn.model.Command.of(org.streamlearn.model.Action.PAUSE);
    var resume = org.streamlearn.model.Command.of(org.streamlearn.model.Action.RESUME);
    try (var r1 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      produce(bootstrap, name + ".train", lines.subList(0, 100));
      await().atMost(Duration.ofSeconds(30)).until(() -> r1.rowsTrained() == 100);
      assertThat(ck.files()).as("no checkpoint by steps yet").isEmpty();
      var st = r1.control(pause).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(st.trainingPaused()).isTrue();
      // Durable without waiting for a stop: the checkpoint the pause triggered says so.
      await().atMost(Duration.ofSeconds(10)).until(() -> r1.checkpoint() != null);
      assertThat(r1.checkpoint()).containsEntry("trainingPaused", true).containsEntry("step", 10L);
      var onDisk = ck.latest().latest().orElseThrow();
      assertThat(onDisk.trainingPaused()).isTrue();
      assertThat(onDisk.offsets()).containsEntry(name + ".train-0", 100L);
      produce(bootstrap, name + ".train", lines.subList(100, 200));
      await().atMost(Duration.ofSeconds(30)).until(() -> r1.recordsIn() == 200);
      Thread.sleep(300);
      assertThat(r1.rowsTrained()).isEqualTo(100);
    } // a graceful stop while paused: the queued records stay uncommitted
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(100);

    var registry = StreamlearnMeters.newRegistry();
    try (var r2 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000)) {
      StreamlearnMeters.bind(registry, r2.verticle());
      r2.start();
      assertThat(r2.trainingPaused()).isTrue();
      assertThat(r2.status().trainingPaused()).isTrue();
      assertThat(r2.checkpoint()).containsEntry("trainingPaused", true);
      assertThat(registry.scrape()).contains("streamlearn_train_paused{model=\"ckpt-pause\"} 1.0");
      produce(bootstrap, name + ".train", lines.subList(200, 300));
      await().atMost(Duration.ofSeconds(30)).until(() -> r2.recordsIn() == 200); // 100..299 read into the queue
      Thread.sleep(500);
      assertThat(r2.rowsTrained()).isZero();
      assertThat(r2.steps()).isEqualTo(10);
      assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(100);

      var st = r2.control(resume).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(st.trainingPaused()).isFalse();
      await().atMost(Duration.ofSeconds(30)).until(() -> r2.rowsTrained() == 200);
      assertThat(r2.steps()).isEqualTo(30);
      await().atMost(Duration.ofSeconds(10)).until(() -> Boolean.FALSE.equals(r2.checkpoint().get("trainingPaused")));
    }
    assertThat(committed(bootstrap, mc.group(), name + ".train")).isEqualTo(300);
    var last = ck.latest().latest().orElseThrow();
    assertThat(last.trainingPaused()).isFalse();
    assertThat(last.state().examples()).isEqualTo(300);
    // A third start trains at once.
    try (var r3 = new RunningModel(mc, KafkaClients.of(bootstrap), 10_000).start()) {
      assertThat(r3.trainingPaused()).isFalse();
    }
  }
}
