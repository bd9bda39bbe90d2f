package org.streamlearn.stream;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.model.Figures;

/** The configuration summary of GET /models/{m}: topics, group, format, loss, optimizer, batch size... */
final class ModelDescription {
  private ModelDescription() {}

  static Map<String, Object> of(ModelConfig mc, OnlineLearner learner, Figures f, ReplicaSync sync,
      Checkpoints checkpoints) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("topics", mc.topics());
    m.put("group", mc.group());
    m.put("format", mc.input().format().name().toLowerCase(Locale.ROOT));
    m.put("features", mc.input().features());
    m.put("label", mc.label().type().name().toLowerCase(Locale.ROOT));
    if (mc.label().classes() > 0) m.put("classes", mc.label().classes());
    else m.put("targets", mc.label().targets());
    m.put("spec", learner.config().spec().toString());
    m.put("params", learner.model().paramCount());
    m.put("loss", learner.config().loss());
    m.put("optimizer", learner.config().optimizer().name());
    m.put("lr", learner.config().optimizer().lr());
    m.put("schedule", learner.config().schedule());
    m.put("clip", learner.config().clip().toString());
    var ad = learner.config().adaptation();
    m.put("input_normalize", ad.inputStandard() ? "standard" : "none");
    if (ad.labelStandard()) m.put("label_normalize", "standard");
    if (ad.halfLife() > 0) m.put("normalize_half_life", ad.halfLife());
    m.put("drift_detector", ad.drift().detector());
    m.put("plasticity", ad.plasticity().toString());
    if (ad.drift().enabled()) {
      m.put("drift_action", ad.drift().action().name().toLowerCase(Locale.ROOT));
      m.put("drifts_detected", f.training().drifts());
    }
    m.put("batch_size", mc.batchSize());
    m.put("batch_linger_ms", mc.batchLingerMs());
    m.put("publish_every_steps", mc.publishEverySteps());
    m.put("publish_every_ms", mc.publishEveryMs());
    m.put("queue_max_records", mc.queueMaxRecords());
    m.put("weights_topic", Topics.weights(mc.name()));
    m.put("dlq_topic", Topics.deadLetters(mc.name()));
    m.put("dead_letters_pending", f.ingest().deadLettersPending());
    m.put("replica", mc.scale().replicaId());
    m.put("partitions_owned", f.ingest().partitionsOwned());
    if (sync != null) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("sync_topic", sync.topic());
      g.put("sync_every_steps", mc.scale().syncEverySteps());
      g.put("sync_every_ms", mc.scale().syncEveryMs());
      g.put("sync_stale_ms", mc.scale().syncStaleMs());
      g.put("publisher", f.ingest().publisher());
      g.put("exchanges", f.training().exchanges());
      g.put("rows_dropped", f.training().rowsDropped());
      g.put("replicas_in_last_average", f.group().replicasInAverage());
      g.put("divergence", finite(f.group().divergence()));
      g.put("relative_divergence", finite(f.group().relativeDivergence()));
      g.put("group_examples_per_second", Math.round(f.groupExamplesPerSecond() * 10) / 10.0);
      g.put("others", sync.describeOthers());
      m.put("scale_out", g);
    }
    if (mc.scale().auditPath() != null) m.put("audit_path", mc.scale().auditPath().toString());
    if (checkpoints != null) {
      m.put("checkpoint_dir", checkpoints.dir().toString());
      m.put("checkpoint_every_steps", mc.checkpoint().everySteps());
      m.put("checkpoint_every_ms", mc.checkpoint().everyMs());
      m.put("checkpoint_keep", mc.checkpoint().keep());
    }
    return m;
  }

  private static Object finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
