package org.streamlearn.config;

import java.util.List;
import java.util.Locale;
import org.streamlearn.codec.LabelSpec;
import org.streamlearn.codec.RecordDecoder;
import org.streamlearn.learn.Adaptation;
import org.streamlearn.learn.LearnerConfig;
import org.streamlearn.nn.ModelSpec;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.OptimizerSpec;

/**
 * One model's validated configuration ({@code models.<name>.*}). Validation already ran the core's
 * parsers on layers, schedule, loss and optimizer, so {@link #learnerConfig()} and {@link #decoder()}
 * do not fail for a ModelConfig that came out of {@link ConfigLoader}.
 *
 * @param layers the layer spec text, as given (parses with ModelSpec.parse)
 * @param demo demo data set fed into the first topic, "none" for none
 * @param checkpoint where and how often the model's checkpoints are written
 * @param scale replica id, parameter exchange with the other replicas, training audit
 * @param adaptation input/label standardization (input.normalize, label.normalize, normalize.half.life)
 * @param trainThreads threads a training step splits its GEMMs across (the trainer included)
 * @param tuneThreads true (train.threads = auto) when the trainer measures whether the team of
 *     trainThreads beats the trainer alone, and uses the faster; false: always trainThreads
 */
public record ModelConfig(String name, List<String> topics, String group, InputConfig input, LabelConfig label,
    String layers, LossConfig loss, OptimizerConfig optimizer, ScheduleConfig schedule, ClipConfig clip,
    int batchSize, long batchLingerMs, long seed, double divergenceLrFactor, int divergenceBackupEverySteps,
    int metricsWindow,
    long publishEverySteps, long publishEveryMs, int queueMaxRecords, String demo,
    CheckpointConfig checkpoint, ScaleConfig scale, Adaptation adaptation, int trainThreads,
    boolean tuneThreads) {
  public ModelConfig {
    topics = List.copyOf(topics);
  }

  /** Floats of one label: 1 for a class index, {@code targets} for regression. */
  public int labelWidth() {
    return label.type() == LabelConfig.Type.CLASS ? 1 : label.targets();
  }

  public ModelSpec modelSpec() {
    return ModelSpec.parse(layers);
  }

  /**
   * The learner's configuration. The EWMA half-life of the prequential metrics is a fifth of the
   * window (200 examples for the default window of 1000), so both views react at a similar pace.
   */
  public LearnerConfig learnerConfig() {
    return new LearnerConfig(modelSpec(), lossText(loss), optimizerSpec(optimizer), schedule.toString(),
        clip.kind() == ClipConfig.Kind.NONE ? ClipSpec.NONE
            : clip.kind() == ClipConfig.Kind.NORM ? ClipSpec.norm((float) clip.threshold())
            : ClipSpec.value((float) clip.threshold()),
        batchSize, seed, (float) divergenceLrFactor, divergenceBackupEverySteps, metricsWindow, Math.max(1.0, metricsWindow / 5.0),
        adaptation);
  }

  /** The record decoder of this model's format, writing features and label into caller buffers. */
  public RecordDecoder decoder() {
    LabelSpec ls = label.type() == LabelConfig.Type.CLASS ? LabelSpec.classes(label.classes())
        : LabelSpec.regression(label.targets());
    return switch (input.format()) {
      case JSON -> RecordDecoder.json(input.features(), ls, input.jsonX(), input.jsonY());
      case CSV -> RecordDecoder.csv(input.features(), ls, input.csvLabelColumn());
      case F32 -> RecordDecoder.f32(input.features(), ls);
    };
  }

  /** The loss as {@code Loss.of} accepts it: {@code mse}, {@code cross_entropy}, {@code huber(1.5)}... */
  static String lossText(LossConfig loss) {
    String n = loss.kind().name().toLowerCase(Locale.ROOT);
    return loss.kind() == LossConfig.Kind.HUBER ? n + "(" + loss.delta() + ")" : n;
  }

  /**
   * The optimizer's hyperparameters; weight.decay (default 0.01) reaches only adamw, since the core
   * refuses a decoupled decay on the others (validation rejects one given explicitly).
   */
  static OptimizerSpec optimizerSpec(OptimizerConfig o) {
    String name = o.name().name().toLowerCase(Locale.ROOT);
    return new OptimizerSpec(name, (float) o.lr(), (float) o.momentum(), (float) o.beta1(), (float) o.beta2(),
        (float) o.eps(), (float) o.rho(), (float) o.l2(),
        o.name() == OptimizerConfig.Name.ADAMW ? (float) o.weightDecay() : 0f);
  }
}
