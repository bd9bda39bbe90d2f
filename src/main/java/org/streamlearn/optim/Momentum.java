package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/**
 * SGD with heavy-ball or Nesterov momentum, in PyTorch's form (dampening 0):
 *
 * <pre>
 *   g' = g + λ·p
 *   v  ← μ·v + g'
 *   p  ← p − η·v              (classical)
 *   p  ← p − η·(g' + μ·v)     (Nesterov)
 * </pre>
 *
 * <p>Hyperparameters: η ({@code lr}), μ ({@code momentum}, default 0.9), λ ({@code l2}). State: v,
 * zero at start. Polyak 1964 (heavy ball); Nesterov 1983 in the form of Sutskever et al. 2013.
 * Where we differ from the papers: they keep a velocity that already contains η (v ← μ·v − η·g;
 * p ← p + v); like PyTorch and optax's {@code trace} we keep η outside v, which is the same when η
 * is constant but means a schedule's change of η applies at once to the whole accumulated velocity.
 * μ = 0 is plain SGD.
 */
final class Momentum extends Optimizer {
  private final boolean nesterov;
  private final float[] v; // [n] velocity

  Momentum(OptimizerSpec spec, int paramCount, boolean nesterov) {
    super(spec, paramCount, 1);
    this.nesterov = nesterov;
    this.v = stateBuffers()[0];
  }

  @Override
  void update(float[] p, float[] g, float lr, int from, int to) {
    Kernels.momentum(from, to, p, g, v, lr, spec.momentum(), spec.l2(), nesterov);
  }
}
