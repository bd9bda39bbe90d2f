package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/**
 * Stochastic gradient descent: p ← p − η·(g + λ·p).
 *
 * <p>Hyperparameters: η ({@code lr}, from the schedule), λ ({@code l2}, coupled L2, default 0). No
 * state. Robbins &amp; Monro 1951. As in PyTorch and unlike optax's {@code sgd}, L2 is folded into
 * the gradient inside the same sweep rather than being a separate transform.
 */
final class Sgd extends Optimizer {
  Sgd(OptimizerSpec spec, int paramCount) {
    super(spec, paramCount, 0);
  }

  @Override
  void update(float[] p, float[] g, float lr, int from, int to) {
    Kernels.sgd(from, to, p, g, lr, spec.l2());
  }
}
