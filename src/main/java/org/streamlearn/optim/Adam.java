package org.streamlearn.optim;

import org.streamlearn.kernels.Kernels;

/**
 * Adam, bias-corrected:
 *
 * <pre>
 *   g' = g + λ·p
 *   m  ← β₁·m + (1 − β₁)·g'
 *   v  ← β₂·v + (1 − β₂)·g'²
 *   p  ← p − η·(m / c₁) / (√(v / c₂) + ε),   c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
 * </pre>
 *
 * <p>Hyperparameters: η ({@code lr}, default 1e-3), β₁ ({@code beta1}, 0.9), β₂ ({@code beta2},
 * 0.999), ε ({@code eps}, 1e-8), λ ({@code l2}, coupled L2 as PyTorch's Adam {@code weight_decay},
 * which therefore passes through the moments). State: t, m, v, zero at start. Kingma &amp; Ba 2015.
 * Where we differ: the paper's algorithm 1 adds ε to √v̂ exactly as here (PyTorch too); the paper's
 * cheaper "ε̂" variant of section 2 is not used. c₁ and c₂ are computed once per step in double from
 * t and passed to the kernel, never per element (llm.c recomputes them per element).
 */
sealed class Adam extends Optimizer permits AdamW {
  private final float[] m; // [n] first moment
  private final float[] v; // [n] second moment

  Adam(OptimizerSpec spec, int paramCount) {
    super(spec, paramCount, 2);
    this.m = stateBuffers()[0];
    this.v = stateBuffers()[1];
  }

  private float c1, c2; // this step's bias corrections

  @Override
  void beginStep() {
    // Kernels.powInt: the same bits in every JIT tier (Math.pow may be an intrinsic in one and not
    // another) and no allocation (StrictMath.pow allocates on every call until C2 compiles it).
    c1 = (float) (1 - Kernels.powInt(spec.beta1(), t));
    c2 = (float) (1 - Kernels.powInt(spec.beta2(), t));
  }

  @Override
  void update(float[] p, float[] g, float lr, int from, int to) {
    Kernels.adam(from, to, p, g, m, v, lr, spec.beta1(), spec.beta2(), spec.eps(), c1, c2, spec.l2(), decay());
  }

  /** Decoupled weight decay w: none in Adam; AdamW's is its only difference. */
  float decay() {
    return 0f;
  }
}
