package org.streamlearn.model;

/** One control command; {@code value} is the learning rate for {@link Action#LR}, NaN otherwise. */
public record Command(Action action, double value) {
  public Command {
    if (action == null) throw new IllegalArgumentException("action is required");
    if (action == Action.LR && !(value > 0 && Double.isFinite(value)))
      throw new IllegalArgumentException("value = " + value + ": must be a finite number > 0");
  }

  public static Command of(Action a) {
    return new Command(a, Double.NaN);
  }
}
