package org.streamlearn.optim;

import java.util.List;

/**
 * The immutable hyperparameters of one optimizer: what {@link Optimizer#create} builds from.
 *
 * <p>Fields a given optimizer does not use are kept (so one record type serves all) but ignored,
 * except {@code weightDecay}, which must be 0 unless {@code name} is {@code adamw}: a decay that
 * silently does nothing is a bug, and coupled decay on the other optimizers is {@code l2}.
 *
 * @param name one of {@link #NAMES}
 * @param lr base learning rate (the schedule scales it), &gt; 0
 * @param momentum momentum / Nesterov coefficient μ, in [0, 1); nesterov needs μ &gt; 0
 * @param beta1 Adam's first-moment decay β₁, in [0, 1)
 * @param beta2 Adam's second-moment decay β₂, in [0, 1)
 * @param eps added to the denominator of adaptive methods, &gt; 0
 * @param rho RMSProp's squared-gradient decay ρ, in [0, 1)
 * @param l2 coupled L2 regularisation: g' = g + l2·p enters every optimizer's update, ≥ 0
 * @param weightDecay AdamW's decoupled decay, applied as p −= lr·weightDecay·p, ≥ 0
 */
public record OptimizerSpec(String name, float lr, float momentum, float beta1, float beta2,
    float eps, float rho, float l2, float weightDecay) {

  /** The accepted optimizer names. */
  public static final List<String> NAMES =
      List.of("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw");

  public OptimizerSpec {
    if (name == null || !NAMES.contains(name))
      throw new IllegalArgumentException("name = " + name + ": must be one of " + NAMES);
    if (!(lr > 0) || !Float.isFinite(lr))
      throw new IllegalArgumentException("lr = " + lr + ": must be finite and > 0");
    unit("momentum", momentum);
    unit("beta1", beta1);
    unit("beta2", beta2);
    unit("rho", rho);
    if (!(eps > 0) || !Float.isFinite(eps))
      throw new IllegalArgumentException("eps = " + eps + ": must be finite and > 0");
    if (!(l2 >= 0) || !Float.isFinite(l2))
      throw new IllegalArgumentException("l2 = " + l2 + ": must be finite and >= 0");
    if (!(weightDecay >= 0) || !Float.isFinite(weightDecay))
      throw new IllegalArgumentException("weightDecay = " + weightDecay + ": must be finite and >= 0");
    if (weightDecay != 0 && !name.equals("adamw"))
      throw new IllegalArgumentException("weightDecay = " + weightDecay + ": only adamw decays "
          + "decoupled; for " + name + " use l2 (coupled) or weightDecay = 0");
    if (name.equals("nesterov") && momentum == 0)
      throw new IllegalArgumentException("momentum = 0: nesterov needs momentum > 0");
  }

  private static void unit(String field, float x) {
    if (!(x >= 0 && x < 1))
      throw new IllegalArgumentException(field + " = " + x + ": must be in [0, 1)");
  }

  /**
   * PyTorch's defaults for {@code name}: lr 1e-3 (sgd, momentum, nesterov, adam, adamw) or 1e-2
   * (adagrad, rmsprop); momentum 0.9 (PyTorch's SGD defaults to 0: we use 0.9, since "momentum"
   * without momentum would be plain sgd); β₁ 0.9, β₂ 0.999; eps 1e-10 for adagrad, else 1e-8;
   * ρ 0.99; l2 0; weightDecay 0.01 for adamw, else 0.
   */
  public static OptimizerSpec defaults(String name) {
    if (name == null || !NAMES.contains(name))
      throw new IllegalArgumentException("name = " + name + ": must be one of " + NAMES);
    float lr = name.equals("adagrad") || name.equals("rmsprop") ? 1e-2f : 1e-3f;
    return defaults(name, lr);
  }

  /** {@link #defaults(String)} with the given base learning rate. */
  public static OptimizerSpec defaults(String name, float lr) {
    float eps = "adagrad".equals(name) ? 1e-10f : 1e-8f;
    float decay = "adamw".equals(name) ? 0.01f : 0f;
    return new OptimizerSpec(name, lr, 0.9f, 0.9f, 0.999f, eps, 0.99f, 0f, decay);
  }

  public OptimizerSpec withLr(float lr) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withMomentum(float momentum) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withBetas(float beta1, float beta2) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withEps(float eps) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withRho(float rho) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withL2(float l2) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }

  public OptimizerSpec withWeightDecay(float weightDecay) {
    return new OptimizerSpec(name, lr, momentum, beta1, beta2, eps, rho, l2, weightDecay);
  }
}
