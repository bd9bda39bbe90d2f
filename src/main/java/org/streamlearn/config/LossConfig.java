package org.streamlearn.config;

/** @param delta Huber's threshold (1 unless given as {@code huber(delta)}), unused by the others */
public record LossConfig(Kind kind, double delta) {
  public enum Kind { MSE, CROSS_ENTROPY, BCE_WITH_LOGITS, HUBER }
}
