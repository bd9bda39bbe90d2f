package org.streamlearn.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.checkpoint.Identity;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.OnlineLearner;

/**
 * Where a model starts: the newest valid checkpoint (the learner's whole state, the offsets each
 * partition continues from, whether training was paused), else the newest version on the weights
 * topic (parameters and step; the optimizer's moments start again), else the seed. Also the version
 * line this run publishes on (see {@link Identity}) and the consumer's static member id.
 *
 * @param restoredStep step of the restored checkpoint, -1 none
 * @param offsets where each partition continues ("topic-partition" to next offset), empty none
 * @param trainingPaused the restored checkpoint was taken while paused by control
 * @param checkpoint the description of the restored checkpoint (ModelView.checkpoint()), null none
 * @param incarnation the id of the version line of this run
 * @param instanceId group.instance.id, null for a dynamic member
 */
record StartingState(long restoredStep, Map<String, Long> offsets, boolean trainingPaused, Map<String, Object> checkpoint,
    String incarnation, String instanceId) {
  private static final Logger log = LoggerFactory.getLogger(StartingState.class);

  /** Blocking (files, the weights topic): call on a worker thread. */
  static StartingState load(ModelConfig mc, OnlineLearner learner, Checkpoints checkpoints, KafkaClients kafka,
      boolean replicated, TrainingAudit audit) {
    String spec = learner.config().spec().toString();
    StartingState s = restore(mc, learner, checkpoints, spec, audit);
    if (s == null && !(checkpoints != null && mc.checkpoint().fresh())) resume(mc, learner, kafka, spec);
    // A new version line unless a graceful stop left exactly the restored state; in a group the
    // versions come from the shared line, so a replica always starts a new one.
    String incarnation = Identity.newIncarnation(), instance = mc.scale().instanceId();
    if (checkpoints != null) {
      try { // an unwritable checkpoint folder degrades the model, it does not stop it
        incarnation = Identity.beginIncarnation(checkpoints.dir(), replicated || s == null ? -1 : s.restoredStep());
        if (instance == null) instance = Identity.instanceId(checkpoints.dir(), mc.name());
      } catch (UncheckedIOException e) {
        log.warn("model {}: {}; joining group {} as a dynamic member (a restart after a crash waits for the old "
            + "member's session to expire; set models.{}.instance.id to avoid it)", mc.name(), e.getMessage(), mc.group(),
            mc.name());
      }
    }
    return s == null ? new StartingState(-1, Map.of(), false, null, incarnation, instance)
        : new StartingState(s.restoredStep, s.offsets, s.trainingPaused, s.checkpoint, incarnation, instance);
  }

  /** The description ModelView.checkpoint() shows. */
  static Map<String, Object> describe(Path f, long step, long examples, Instant created, Map<String, Long> offsets,
      long size, boolean trainingPaused) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", f.toString());
    m.put("step", step);
    m.put("examples", examples);
    m.put("created", created.toString());
    m.put("offsets", new LinkedHashMap<>(offsets));
    m.put("size_bytes", size);
    m.put("trainingPaused", trainingPaused);
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Restores the newest valid checkpoint, if any. Damaged files are skipped with a warning; a
   * checkpoint of another spec stops the start (unless checkpoint.fresh). With checkpoint.fresh the
   * existing files are set aside as {@code *.ckpt.replaced}, so newer ones of the new model win.
   */
  private static StartingState restore(ModelConfig mc, OnlineLearner learner, Checkpoints checkpoints, String spec,
      TrainingAudit audit) {
    if (checkpoints == null) return null;
    try {
      if (mc.checkpoint().fresh()) {
        for (var f : checkpoints.files()) {
          Files.move(f, f.resolveSibling(f.getFileName() + ".replaced"), StandardCopyOption.REPLACE_EXISTING);
          log.info("model {}: checkpoint.fresh: set aside {}", mc.name(), f);
        }
        return null;
      }
      var scan = checkpoints.latest();
      for (String p : scan.problems())
        log.warn("model {}: skipping damaged checkpoint {} in {}", mc.name(), p, checkpoints.dir());
      if (scan.latest().isEmpty()) {
        if (!scan.problems().isEmpty())
          log.warn("model {}: no valid checkpoint in {}; falling back to the weights topic", mc.name(), checkpoints.dir());
        return null;
      }
      var c = scan.latest().get();
      if (!spec.equals(c.state().spec()))
        throw new IllegalStateException("model " + mc.name() + ": checkpoint " + c.file() + " holds spec '"
            + c.state().spec() + "', configured is '" + spec + "'; set models." + mc.name()
            + ".checkpoint.fresh=true to start a new model (the old checkpoints are set aside), or restore the old layers");
      try {
        learner.importState(c.state());
      } catch (IllegalArgumentException e) { // e.g. a checkpoint from before input.normalize became the default
        throw new IllegalStateException("model " + mc.name() + ": checkpoint " + c.file() + " does not fit the "
            + "configuration: " + e.getMessage() + "; configure models." + mc.name() + ".input.normalize (and "
            + "label.normalize, drift.detector, plasticity) as when it was written (none before they existed), or set "
            + "models." + mc.name() + ".checkpoint.fresh=true to start a new model", e);
      }
      if (audit != null) audit.restored(c.state().step());
      log.info("model {}: restored checkpoint {} (step {}, {} examples, offsets {})", mc.name(), c.file(),
          c.state().step(), c.state().examples(), c.offsets());
      if (c.trainingPaused())
        log.warn("model {}: training was paused through the control API before the restart and stays paused "
            + "(nothing is trained or committed) until POST /models/{}/control {\"action\": \"resume\"}", mc.name(), mc.name());
      return new StartingState(c.state().step(), Map.copyOf(c.offsets()), c.trainingPaused(), describe(c.file(),
          c.state().step(), c.state().examples(), c.created(), c.offsets(), Files.size(c.file()), c.trainingPaused()),
          null, null);
    } catch (IOException e) {
      throw new UncheckedIOException("model " + mc.name() + ": cannot read checkpoints in " + checkpoints.dir(), e);
    }
  }

  /**
   * Continues from the newest version on the weights topic, if its spec matches: parameters and
   * step count (so versions keep increasing across restarts). The optimizer's moments start again
   * from zero; a checkpoint would keep them.
   */
  private static void resume(ModelConfig mc, OnlineLearner learner, KafkaClients kafka, String spec) {
    String weightsTopic = Topics.weights(mc.name());
    TopicPartition tp = new TopicPartition(weightsTopic, 0);
    try (var c = new KafkaConsumer<>(kafka.config(Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, "streamlearn-" + mc.name() + "-resume")),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      long end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
      if (end == 0) return;
      c.seek(tp, end - 1);
      byte[] last = null;
      for (long until = System.currentTimeMillis() + 10_000; last == null && System.currentTimeMillis() < until; ) {
        for (var r : c.poll(Duration.ofMillis(200))) last = r.value();
      }
      if (last == null) {
        log.warn("model {}: could not read the newest version on {}; starting fresh", mc.name(), weightsTopic);
        return;
      }
      var contents = SafeTensors.read(last);
      String onTopic = contents.metadata().get(SafeTensors.META_SPEC);
      long version = Long.parseLong(contents.metadata().get(SafeTensors.META_VERSION));
      if (!spec.equals(onTopic)) {
        log.warn("model {}: {} holds spec '{}', configured is '{}'; starting fresh at version 0 (use a new model "
            + "name, or delete the topic, so versions keep increasing)", mc.name(), weightsTopic, onTopic, spec);
        return;
      }
      float[] p = learner.liveParams();
      for (var t : learner.model().torchTensors()) {
        if (!t.folded()) {
          System.arraycopy(contents.tensor(t.name()).data(), 0, p, t.offset(), t.numel());
          continue;
        }
        if (contents.tensors().stream().noneMatch(x -> x.name().equals(t.name()))) continue;
        float[] d = contents.tensor(t.name()).data(); // e.g. nn.LSTM's bias_hh_l0: adds into bias_ih_l0
        for (int i = 0; i < t.numel(); i++) p[t.offset() + i] += d[i];
      }
      learner.restoreScaling(WeightsFiles.scaling(contents));
      learner.optimizer().setT(version);
      log.info("model {}: resumed from weights version {} on {}", mc.name(), version, weightsTopic);
    } catch (RuntimeException | IOException e) {
      log.warn("model {}: cannot resume from {} ({}); starting fresh", mc.name(), weightsTopic, e.toString());
    }
  }
}
