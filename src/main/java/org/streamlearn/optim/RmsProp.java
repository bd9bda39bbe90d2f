package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/**
 * RMSProp:
 *
 * <pre>
 *   g' = g + λ·p
 *   s  ← ρ·s + (1 − ρ)·g'²
 *   p  ← p − η·g' / (√s + ε)
 * </pre>
 *
 * <p>Hyperparameters: η ({@code lr}, PyTorch default 1e-2), ρ ({@code rho}, PyTorch's alpha,
 * default 0.99), ε ({@code eps}, default 1e-8), λ ({@code l2}). State: s, zero at start. Tieleman
 * &amp; Hinton 2012 (Coursera lecture 6.5). As in PyTorch: no bias correction of s (so the first
 * steps are large, |Δp| ≈ η/√(1−ρ)), ε outside the root, no centring and no momentum; optax puts
 * ε inside the root and optionally centres.
 */
final class RmsProp extends Optimizer {
  private final float[] s; // [n] running mean of squared gradients

  RmsProp(OptimizerSpec spec, int paramCount) {
    super(spec, paramCount, 1);
    this.s = stateBuffers()[0];
  }

  @Override
  void update(float[] p, float[] g, float lr, int from, int to) {
    Kernels.rmsprop(from, to, p, g, s, lr, spec.rho(), spec.eps(), spec.l2());
  }
}
