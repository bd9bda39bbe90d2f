package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/**
 * AdaGrad:
 *
 * <pre>
 *   g' = g + λ·p
 *   s  ← s + g'²
 *   p  ← p − η·g' / (√s + ε)
 * </pre>
 *
 * <p>Hyperparameters: η ({@code lr}, PyTorch default 1e-2), ε ({@code eps}, default 1e-10), λ
 * ({@code l2}). State: s, the running sum of squared gradients, zero at start. Duchi, Hazan &amp;
 * Singer 2011 (diagonal version). As in PyTorch, ε sits outside the square root and the
 * accumulator starts at 0; optax starts it at 0.1 and puts ε inside the root. PyTorch's
 * {@code lr_decay} is left to the schedule.
 */
final class AdaGrad extends Optimizer {
  private final float[] s; // [n] sum of squared gradients

  AdaGrad(OptimizerSpec spec, int paramCount) {
    super(spec, paramCount, 1);
    this.s = stateBuffers()[0];
  }

  @Override
  void update(float[] p, float[] g, float lr, int from, int to) {
    Kernels.adagrad(from, to, p, g, s, lr, spec.eps(), spec.l2());
  }
}
