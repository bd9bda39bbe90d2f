package org.streamlearn.config;

import static org.streamlearn.config.ConfigKeys.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.streamlearn.learn.Adaptation;
import org.streamlearn.learn.DriftSpec;
import org.streamlearn.learn.PlasticitySpec;
import org.streamlearn.nn.Loss;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.ModelSpec;
import org.streamlearn.optim.Schedule;

/** Defaults and cross-key rules of one model, then its {@link ModelConfig}. */
final class ModelBuilder {
  private static final Pattern SCHEDULE_ARG = Pattern.compile("\\s*([a-z_][a-z0-9_]*)\\s*=\\s*([^,]+?)\\s*(,|$)");

  private final ConfigLoader l;
  private final String name;

  ModelBuilder(ConfigLoader loader, String name) {
    this.l = loader;
    this.name = name;
  }

  private String k(String rel) {
    return modelKey(name, rel);
  }

  @SuppressWarnings("unchecked")
  private <T> T v(String rel) {
    return (T) l.value(k(rel));
  }

  /** Null when a key of this model is invalid (errors recorded). */
  ModelConfig build() {
    for (var def : ConfigKeys.MODEL.keys()) l.fillDefault(k(def.name()), def);
    for (var def : ConfigKeys.MODEL.keys()) {
      if (l.invalid(k(def.name())) || (def.required() && l.value(k(def.name())) == null)) return null;
    }
    boolean ok = true;

    // Input shape: features, or window × channels for sequences.
    Integer features = v(FEATURES), window = v(WINDOW);
    int channels = v(CHANNELS);
    if (window != null) {
      long f = (long) window * channels;
      if (f > (1 << 24)) {
        l.error(k(WINDOW), "window × channels = " + f + " must be <= " + (1 << 24));
        ok = false;
      } else if (features != null && features != f) {
        l.error(k(FEATURES), "must equal window × channels = " + f + " (or be left out)");
        ok = false;
      }
      features = (int) f;
      l.put(k(FEATURES), features, "window × channels");
    } else {
      if (features == null) {
        l.error(k(FEATURES), "required: give features, or window and channels for sequence inputs");
        return null;
      }
      if (l.given(k(CHANNELS)) && channels != 1) {
        l.error(k(CHANNELS), "needs window (channels only describe sequence inputs)");
        ok = false;
      }
    }

    // Label.
    var labelType = LabelConfig.Type.valueOf(((String) v(LABEL_TYPE)).toUpperCase(Locale.ROOT));
    Integer classes = v(LABEL_CLASSES);
    int targets = v(TARGETS);
    if (labelType == LabelConfig.Type.CLASS) {
      if (classes == null) {
        l.error(k(LABEL_CLASSES), "required when label.type = class");
        return null;
      }
      if (targets != 1) {
        l.error(k(TARGETS), "must be 1 when label.type = class (one class index per example)");
        ok = false;
      }
    } else if (classes != null) {
      l.error(k(LABEL_CLASSES), "only for label.type = class (this model is regression)");
      ok = false;
    }
    var label = new LabelConfig(labelType, classes == null ? 0 : classes, targets);
    int labelWidth = labelType == LabelConfig.Type.CLASS ? 1 : targets;

    // Input format.
    var format = InputConfig.Format.valueOf(((String) v(FORMAT)).toUpperCase(Locale.ROOT));
    int labelColumn = v(CSV_LABEL_COLUMN);
    if (format == InputConfig.Format.CSV && labelColumn > features) {
      l.error(k(CSV_LABEL_COLUMN), "must be -1 or <= features (" + features + "): a row has "
          + (features + labelWidth) + " columns");
      ok = false;
    }
    var input = new InputConfig(format, features, window == null ? 0 : window, channels, v(JSON_X), v(JSON_Y),
        labelColumn);

    // Loss, consistent with the label.
    String lossText = v(LOSS);
    if (lossText == null) {
      lossText = labelType == LabelConfig.Type.CLASS ? "cross_entropy" : "mse";
      l.put(k(LOSS), lossText, "default");
    }
    Matcher lm = LOSS_SPEC.matcher(lossText);
    lm.matches();
    var lossKind = LossConfig.Kind.valueOf(lm.group(1).toUpperCase(Locale.ROOT));
    Double delta = ConfigLoader.number(lm, 3);
    if (delta != null && (lossKind != LossConfig.Kind.HUBER || !(delta > 0))) {
      l.error(k(LOSS), lossKind == LossConfig.Kind.HUBER ? "huber's delta must be a number > 0"
          : "only huber takes an argument");
      ok = false;
    }
    String lossRule = switch (lossKind) {
      case CROSS_ENTROPY -> labelType == LabelConfig.Type.CLASS ? null : "cross_entropy needs label.type = class";
      case MSE, HUBER -> labelType == LabelConfig.Type.REGRESSION ? null
          : lossKind.name().toLowerCase(Locale.ROOT) + " needs label.type = regression (use cross_entropy for classes)";
      case BCE_WITH_LOGITS -> labelType == LabelConfig.Type.REGRESSION || label.classes() == 2 ? null
          : "bce_with_logits needs label.classes = 2 or label.type = regression (targets in [0, 1])";
    };
    if (lossRule != null) {
      l.error(k(LOSS), lossRule);
      ok = false;
    }
    var loss = new LossConfig(lossKind, delta == null ? 1.0 : delta);

    var optimizer = new OptimizerConfig(
        OptimizerConfig.Name.valueOf(((String) v(OPTIMIZER_NAME)).toUpperCase(Locale.ROOT)),
        v(OPTIMIZER_LR), v(OPTIMIZER_MOMENTUM), v(OPTIMIZER_BETA1), v(OPTIMIZER_BETA2), v(OPTIMIZER_EPS),
        v(OPTIMIZER_RHO), v(OPTIMIZER_L2), v(OPTIMIZER_WEIGHT_DECAY));

    ScheduleConfig schedule = schedule(v(SCHEDULE));
    if (schedule == null) ok = false;

    Matcher cm = CLIP_SPEC.matcher((String) v(CLIP));
    cm.matches();
    ClipConfig clip = new ClipConfig(ClipConfig.Kind.NONE, 0);
    if (cm.group(1) != null) {
      Double t = ConfigLoader.number(cm, 2);
      if (!(t > 0)) {
        l.error(k(CLIP), "the threshold of " + cm.group(1) + "(x) must be a number > 0");
        ok = false;
      } else {
        clip = new ClipConfig(ClipConfig.Kind.valueOf(cm.group(1).toUpperCase(Locale.ROOT)), t);
      }
    }

    // The core's own parsers: layers, schedule, loss and optimizer as the learner will build them.
    if (ok && !core(input, label, loss, optimizer, schedule)) ok = false;

    int batchSize = v(BATCH_SIZE), queueMax = v(QUEUE_MAX_RECORDS);
    if (queueMax < batchSize) {
      l.error(k(QUEUE_MAX_RECORDS), "must be >= batch.size (" + batchSize + ")");
      ok = false;
    }
    String group = v(GROUP);
    if (group == null) {
      group = "streamlearn-" + name;
      l.put(k(GROUP), group, "default");
    }
    String replica = v(REPLICA_ID), instance = v(INSTANCE_ID);
    if (instance == null) instance = replica; // null too when replica.id is not given: see ScaleConfig
    if (replica == null) {
      replica = ScaleConfig.defaultReplicaId();
      l.put(k(REPLICA_ID), replica, "default");
    }
    boolean labelStandard = "standard".equalsIgnoreCase(v(LABEL_NORMALIZE));
    if (labelStandard && labelType != LabelConfig.Type.REGRESSION) {
      l.error(k(LABEL_NORMALIZE), "standard needs label.type = regression (class labels are indices)");
      ok = false;
    }
    var adaptation = new Adaptation("standard".equalsIgnoreCase(v(INPUT_NORMALIZE)), labelStandard,
        ((Number) v(NORMALIZE_HALF_LIFE)).doubleValue());
    try {
      DriftSpec.newDetector(v(DRIFT_DETECTOR));
      adaptation = adaptation.withDrift(DriftSpec.parse(v(DRIFT_DETECTOR), v(DRIFT_ACTION)));
    } catch (IllegalArgumentException e) {
      l.error(k(e.getMessage().startsWith("drift action") ? DRIFT_ACTION : DRIFT_DETECTOR), e.getMessage());
      ok = false;
    }
    try {
      var plasticity = PlasticitySpec.parse(v(PLASTICITY));
      if (plasticity.kind() == PlasticitySpec.Kind.CBP && ok
          && Model.of(ModelSpec.parse(v(LAYERS))).hiddenUnits().isEmpty()) {
        l.error(k(PLASTICITY), "cbp needs a dense layer feeding another dense layer (layers has none)");
        ok = false;
      }
      adaptation = adaptation.withPlasticity(plasticity);
    } catch (IllegalArgumentException e) {
      l.error(k(PLASTICITY), e.getMessage());
      ok = false;
    }
    String threadSpec = v(TRAIN_THREADS);
    boolean autoThreads = threadSpec.equals("auto");
    int threads = autoThreads ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threadSpec);
    if (!ok) return null;
    return new ModelConfig(name, v(TOPICS), group, input, label, v(LAYERS), loss, optimizer, schedule, clip,
        batchSize, v(BATCH_LINGER_MS), v(SEED), v(DIVERGENCE_LR_FACTOR), v(DIVERGENCE_BACKUP_EVERY_STEPS),
        v(METRICS_WINDOW),
        v(PUBLISH_EVERY_STEPS), v(PUBLISH_EVERY_MS), queueMax, v(DEMO),
        new CheckpointConfig(java.nio.file.Path.of((String) v(CHECKPOINT_DIR)).resolve(name), v(CHECKPOINT_EVERY_STEPS),
            v(CHECKPOINT_EVERY_MS), v(CHECKPOINT_KEEP), v(CHECKPOINT_FRESH)),
        new ScaleConfig(replica, v(SYNC_EVERY_STEPS), v(SYNC_EVERY_MS), v(SYNC_STALE_MS),
            ((String) v(AUDIT_PATH)).isBlank() ? null : java.nio.file.Path.of((String) v(AUDIT_PATH)), instance),
        adaptation, threads, autoThreads && threads > 1);
  }

  /**
   * Parses layers, schedule, loss and optimizer with the learning core's parsers and checks that the
   * layer spec fits the data: input size = features (a sequence input must be window x channels),
   * output size = classes (cross_entropy), 1 (bce_with_logits on two classes) or targets (regression).
   */
  private boolean core(InputConfig input, LabelConfig label, LossConfig loss, OptimizerConfig optimizer,
      ScheduleConfig schedule) {
    boolean ok = true;
    ModelSpec spec = null;
    try {
      spec = ModelSpec.parse(v(LAYERS));
    } catch (IllegalArgumentException e) {
      l.error(k(LAYERS), e.getMessage());
      ok = false;
    }
    if (spec != null) {
      if (input.sequence() && (spec.steps() != input.window() || spec.features() != input.channels())) {
        l.error(k(LAYERS), "input must be input(" + input.window() + "x" + input.channels()
            + ") to match window = " + input.window() + " and channels = " + input.channels());
        ok = false;
      } else if (spec.inputSize() != input.features()) {
        l.error(k(LAYERS), "input size " + spec.inputSize() + " must equal features = " + input.features());
        ok = false;
      } else {
        int out = Model.of(spec).outputSize();
        int want = label.type() == LabelConfig.Type.REGRESSION ? label.targets()
            : loss.kind() == LossConfig.Kind.BCE_WITH_LOGITS ? 1 : label.classes();
        String what = label.type() == LabelConfig.Type.REGRESSION ? "targets = " + label.targets()
            : loss.kind() == LossConfig.Kind.BCE_WITH_LOGITS ? "1 (one logit for bce_with_logits on 2 classes)"
            : "label.classes = " + label.classes();
        if (out != want) {
          l.error(k(LAYERS), "output size " + out + " must equal " + what);
          ok = false;
        }
      }
    }
    try {
      Schedule.parse(schedule.toString(), (float) optimizer.lr());
    } catch (IllegalArgumentException e) {
      l.error(k(SCHEDULE), e.getMessage());
      ok = false;
    }
    try {
      Loss.of(ModelConfig.lossText(loss));
    } catch (IllegalArgumentException e) {
      l.error(k(LOSS), e.getMessage());
      ok = false;
    }
    if (optimizer.name() != OptimizerConfig.Name.ADAMW && l.given(k(OPTIMIZER_WEIGHT_DECAY))
        && optimizer.weightDecay() != 0) {
      l.error(k(OPTIMIZER_WEIGHT_DECAY), "only adamw decays decoupled; for "
          + optimizer.name().name().toLowerCase(Locale.ROOT) + " use optimizer.l2 (coupled)");
      ok = false;
    }
    try {
      ModelConfig.optimizerSpec(optimizer);
    } catch (IllegalArgumentException e) {
      l.error(k(e.getMessage().startsWith("momentum") ? OPTIMIZER_MOMENTUM : OPTIMIZER_NAME), e.getMessage());
      ok = false;
    }
    return ok;
  }

  private ScheduleConfig schedule(String text) {
    int open = text.indexOf('(');
    if (open < 0) return new ScheduleConfig(text, Map.of());
    Map<String, Double> args = new LinkedHashMap<>();
    Matcher m = SCHEDULE_ARG.matcher(text.substring(open + 1, text.length() - 1));
    while (m.find()) {
      double d;
      try {
        d = Double.parseDouble(m.group(2));
      } catch (NumberFormatException e) {
        d = Double.NaN;
      }
      if (!Double.isFinite(d)) {
        l.error(k(SCHEDULE), "argument " + m.group(1) + " must be a finite number");
        return null;
      }
      if (args.put(m.group(1), d) != null) {
        l.error(k(SCHEDULE), "argument " + m.group(1) + " given twice");
        return null;
      }
    }
    return new ScheduleConfig(text.substring(0, open), args);
  }

}
