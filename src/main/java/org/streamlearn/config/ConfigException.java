package org.streamlearn.config;

import java.util.List;

/**
 * A configuration error found before anything starts. The message is one line naming key, value,
 * source and the rule that failed, e.g.
 * {@code config error: models.iris.optimizer.lr = -0.1 (config/streamlearn.yaml): must be > 0};
 * when several keys are wrong the first is shown and {@link #errors()} lists all of them.
 */
public final class ConfigException extends RuntimeException {
  private final List<String> errors;

  public ConfigException(String error) {
    this(List.of(error));
  }

  public ConfigException(List<String> errors) {
    super(message(errors));
    this.errors = List.copyOf(errors);
  }

  /** Every error line found, in the order of the sources (each without the "config error: " prefix). */
  public List<String> errors() {
    return errors;
  }

  /** One error line: {@code key = value (source): rule}. */
  static String line(String key, Object value, String source, String rule) {
    return key + " = " + Settings.display(key, value) + " (" + source + "): " + rule;
  }

  private static String message(List<String> errors) {
    if (errors.isEmpty()) throw new IllegalArgumentException("no errors");
    String first = "config error: " + errors.getFirst();
    return errors.size() == 1 ? first : first + " (and " + (errors.size() - 1) + " more)";
  }
}
