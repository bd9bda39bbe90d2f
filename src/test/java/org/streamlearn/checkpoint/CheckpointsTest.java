package org.streamlearn.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.streamlearn.learn.LearnerConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.OptimizerSpec;

class CheckpointsTest {
  static LearnerConfig cfg(String opt, int batch) {
    return LearnerConfig.of("input(6) dense(9) tanh dense(4)", "cross_entropy", OptimizerSpec.defaults(opt, 0.01f), batch)
        .withSchedule("cosine(warmup=5,total=200)").withClip(ClipSpec.norm(2f)).withGuard(0.5f, 3).withMetrics(17, 10.0);
  }

  static void feed(OnlineLearner l, SplittableRandom r, int n) {
    float[] x = new float[6], y = new float[1];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 6; j++) x[j] = (float) r.nextGaussian();
      y[0] = r.nextInt(4);
      l.add(x, 0, y, 0);
    }
  }

  /**
   * Stop anywhere (here mid-batch), checkpoint, restore into a fresh learner, feed both the same
   * examples: parameters, optimizer state and metrics continue bit for bit.
   */
  @ParameterizedTest
  @CsvSource({"adam, 8, 0", "momentum, 5, -1", "sgd, 1, 0", "adamw, 16, 30"})
  void restoredLearnerContinuesBitForBit(String opt, int batch, double normalizeHalfLife, @TempDir Path dir)
      throws Exception {
    // normalizeHalfLife: -1 raw inputs, 0 whole-stream standardization, > 0 exponential
    var cfg = normalizeHalfLife < 0 ? cfg(opt, batch)
        : cfg(opt, batch).withAdaptation(new org.streamlearn.learn.Adaptation(true, false, normalizeHalfLife));
    OnlineLearner a = new OnlineLearner(cfg);
    feed(a, new SplittableRandom(1), 7 * batch + 3); // a partial batch is pending
    Checkpoints ck = new Checkpoints(dir, "m", 3);
    ck.write(a.exportState(), Map.of("m.train-0", 1234L));
    var scan = ck.latest();
    assertThat(scan.problems()).isEmpty();
    var loaded = scan.latest().orElseThrow();
    assertThat(loaded.offsets()).containsEntry("m.train-0", 1234L);
    assertThat(loaded.state().pending()).isEqualTo((7 * batch + 3) % batch);
    OnlineLearner b = new OnlineLearner(cfg);
    b.importState(loaded.state());
    assertThat(b.scaling().inputCount()).isEqualTo(a.scaling().inputCount());
    SplittableRandom ra = new SplittableRandom(2), rb = new SplittableRandom(2);
    feed(a, ra, 11 * batch + 5);
    feed(b, rb, 11 * batch + 5);
    assertThat(b.step()).isEqualTo(a.step());
    assertThat(b.liveParams()).containsExactly(a.liveParams());
    for (int i = 0; i < a.optimizer().stateBuffers().length; i++)
      assertThat(b.optimizer().stateBuffers()[i]).containsExactly(a.optimizer().stateBuffers()[i]);
    assertThat(b.metrics()).isEqualTo(a.metrics());
    assertThat(b.learningRate()).isEqualTo(a.learningRate());
    if (normalizeHalfLife >= 0) {
      assertThat(b.scaling().inputMean()).containsExactly(a.scaling().inputMean());
      assertThat(b.scaling().inputStd()).containsExactly(a.scaling().inputStd());
    }
  }

  @Test
  void damagedNewestFallsBackToThePreviousAndSaysWhy(@TempDir Path dir) throws Exception {
    OnlineLearner l = new OnlineLearner(cfg("adam", 4));
    Checkpoints ck = new Checkpoints(dir, "m", 5);
    SplittableRandom r = new SplittableRandom(3);
    feed(l, r, 40);
    Path first = ck.write(l.exportState(), Map.of("m.train-0", 40L));
    feed(l, r, 40);
    Path second = ck.write(l.exportState(), Map.of("m.train-0", 80L));
    feed(l, r, 40);
    Path third = ck.write(l.exportState(), Map.of("m.train-0", 120L));
    byte[] b = Files.readAllBytes(third);
    b[b.length / 2] ^= 0x10; // one flipped bit
    Files.write(third, b);
    byte[] c = Files.readAllBytes(second);
    Files.write(second, java.util.Arrays.copyOf(c, c.length - 100)); // truncated
    var scan = ck.latest();
    assertThat(scan.latest().orElseThrow().file()).isEqualTo(first);
    assertThat(scan.latest().get().offsets()).containsEntry("m.train-0", 40L);
    assertThat(scan.problems()).hasSize(2);
    assertThat(scan.problems().get(0)).startsWith(third.getFileName().toString()).contains("checksum");
    assertThat(scan.problems().get(1)).startsWith(second.getFileName().toString()).contains("checksum");
  }

  @Test
  void keepsTheNewestKAndIgnoresTemporaryFiles(@TempDir Path dir) throws Exception {
    OnlineLearner l = new OnlineLearner(cfg("sgd", 2));
    Checkpoints ck = new Checkpoints(dir, "m", 2);
    SplittableRandom r = new SplittableRandom(4);
    for (int i = 0; i < 4; i++) {
      feed(l, r, 10);
      ck.write(l.exportState(), Map.of());
    }
    Files.writeString(dir.resolve("m-00000000000000000099.ckpt.tmp"), "half written");
    assertThat(ck.files()).hasSize(2);
    assertThat(ck.latest().latest().orElseThrow().state().step()).isEqualTo(l.step());
    assertThat(new Checkpoints(dir, "other", 2).latest().latest()).isEmpty();
  }

  @Test
  void aDifferentModelSpecIsRefusedNamingBoth() {
    OnlineLearner a = new OnlineLearner(cfg("adam", 4));
    OnlineLearner b = new OnlineLearner(LearnerConfig.of("input(6) dense(8) tanh dense(4)", "cross_entropy",
        OptimizerSpec.defaults("adam", 0.01f), 4));
    assertThatThrownBy(() -> b.importState(a.exportState())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("input(6) dense(9) tanh dense(4)").hasMessageContaining("input(6) dense(8) tanh dense(4)");
    OnlineLearner c = new OnlineLearner(cfg("sgd", 4));
    assertThatThrownBy(() -> c.importState(a.exportState())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("state arrays");
  }

  @Test
  void garbageIsNotACheckpoint(@TempDir Path dir) throws Exception {
    Path p = dir.resolve("m-00000000000000000001.ckpt");
    Files.writeString(p, "hello, this is not a checkpoint at all");
    assertThat(new Checkpoints(dir, "m", 1).latest().problems()).singleElement().asString().contains("bad magic");
  }

  /**
   * The pause flag and the scalars added after {@code SLCKPT01} first shipped are optional: a file
   * whose header lacks them (as older versions wrote it) loads with their defaults, a file with
   * them keeps them, and a non-boolean pause flag is refused by name.
   */
  @Test
  void headerFieldsAddedLaterAreOptionalAndThePauseIsKept(@TempDir Path dir) throws Exception {
    OnlineLearner a = new OnlineLearner(cfg("adam", 4));
    feed(a, new SplittableRandom(5), 30);
    Checkpoints ck = new Checkpoints(dir, "m", 3);
    Path f = ck.write(a.exportState(), Map.of("m.train-0", 30L), true);
    var paused = Checkpoints.read(f);
    assertThat(paused.trainingPaused()).isTrue();
    assertThat(paused.state().goodExamples()).isEqualTo(a.exportState().goodExamples());
    assertThat(Checkpoints.read(ck.write(a.exportState(), Map.of(), false)).trainingPaused()).isFalse();

    // As an older version wrote it: none of the later fields.
    byte[] old = rewriteHeader(Files.readAllBytes(f), h -> {
      h.remove("trainingPaused");
      @SuppressWarnings("unchecked")
      var sc = (Map<String, Object>) h.get("scalars");
      for (String k : new String[] {"stepOrigin", "goodVersion", "goodExamples", "rolledBackExamples"}) sc.remove(k);
    });
    assertThat(new String(old, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("trainingPaused")
        .doesNotContain("rolledBackExamples");
    Path oldFile = dir.resolve("old.ckpt");
    Files.write(oldFile, old);
    var loaded = Checkpoints.read(oldFile);
    assertThat(loaded.trainingPaused()).isFalse();
    assertThat(loaded.state().stepOrigin()).isZero();
    assertThat(loaded.state().goodExamples()).isEqualTo(loaded.state().examples());
    assertThat(loaded.state().rolledBackExamples()).isZero();
    assertThat(loaded.state().params()).containsExactly(a.liveParams());

    Files.write(oldFile, rewriteHeader(Files.readAllBytes(f), h -> h.put("trainingPaused", "yes")));
    assertThatThrownBy(() -> Checkpoints.read(oldFile)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("trainingPaused");
  }

  /** The file with its JSON header edited, length and CRC-32C recomputed. */
  static byte[] rewriteHeader(byte[] file, java.util.function.Consumer<Map<String, Object>> edit) throws Exception {
    var bb = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int hl = bb.getInt(8);
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    @SuppressWarnings("unchecked")
    Map<String, Object> h = json.readValue(file, 12, hl, java.util.LinkedHashMap.class);
    edit.accept(h);
    byte[] header = json.writeValueAsBytes(h);
    int rest = file.length - 4 - (12 + hl);
    var out = java.nio.ByteBuffer.allocate(12 + header.length + rest + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    out.put(file, 0, 8).putInt(header.length).put(header).put(file, 12 + hl, rest);
    var crc = new java.util.zip.CRC32C();
    crc.update(out.array(), 0, out.position());
    out.putInt((int) crc.getValue());
    return out.array();
  }
}
