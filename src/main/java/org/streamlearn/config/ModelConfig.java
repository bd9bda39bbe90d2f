package org.streamlearn.config;

import java.util.List;

/**
 * One model's validated configuration ({@code models.<name>.*}).
 *
 * @param layers the layer spec text; parsed by the core's ModelSpec when the learner is built
 * @param demo demo data set fed into the first topic, "none" for none
 */
public record ModelConfig(String name, List<String> topics, String group, InputConfig input, LabelConfig label,
    String layers, LossConfig loss, OptimizerConfig optimizer, ScheduleConfig schedule, ClipConfig clip,
    int batchSize, long batchLingerMs, long seed, double divergenceLrFactor, int metricsWindow,
    long publishEverySteps, long publishEveryMs, int queueMaxRecords, String demo) {
  public ModelConfig {
    topics = List.copyOf(topics);
  }

  /** Floats of one label: 1 for a class index, {@code targets} for regression. */
  public int labelWidth() {
    return label.type() == LabelConfig.Type.CLASS ? 1 : label.targets();
  }
}
