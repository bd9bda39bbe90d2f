package org.streamlearn.optim;

/**
 * AdamW, Adam with decoupled weight decay:
 *
 * <pre>
 *   g' = g + λ·p                                  (λ = l2, normally 0 with AdamW)
 *   m  ← β₁·m + (1 − β₁)·g'
 *   v  ← β₂·v + (1 − β₂)·g'²
 *   p  ← p − η·((m / c₁) / (√(v / c₂) + ε) + w·p),  c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
 * </pre>
 *
 * <p>Hyperparameters: as {@link Adam}, plus w ({@code weightDecay}, PyTorch default 0.01). The
 * decay term w·p never enters m or v, which is the point of the paper. Loshchilov &amp; Hutter 2019.
 * Where we differ: the paper multiplies the decay by a schedule multiplier η_t but not by the
 * learning rate α; like PyTorch and optax we scale it by the full η, so halving the learning rate
 * also halves the decay. The decay uses p from before the step, which equals PyTorch's
 * "decay first, then Adam" order because the Adam term does not depend on p (when λ = 0).
 */
final class AdamW extends Adam {
  AdamW(OptimizerSpec spec, int paramCount) {
    super(spec, paramCount);
  }

  @Override
  float decay() {
    return spec.weightDecay();
  }
}
