package org.streamlearn.config;

/**
 * @param classes number of classes for {@link Type#CLASS}, 0 for regression
 * @param targets real-valued outputs for {@link Type#REGRESSION}, 1 for classes
 */
public record LabelConfig(Type type, int classes, int targets) {
  public enum Type { CLASS, REGRESSION }
}
