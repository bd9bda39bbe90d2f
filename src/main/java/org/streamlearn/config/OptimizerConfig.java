package org.streamlearn.config;

/** Optimizer name and every hyperparameter; each optimizer reads the ones it uses. */
public record OptimizerConfig(Name name, double lr, double momentum, double beta1, double beta2, double eps,
    double rho, double l2, double weightDecay) {
  public enum Name { SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, ADAMW }
}
