package org.streamlearn.nn;

import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.kernels.ParallelGemm;

/**
 * A layer: forward and backward over a batch, parameters at fixed offsets in the model's flat arrays.
 *
 * <p>Shared contract (llm.c): x is the layer input {@code [B×in]} at {@code xOff}; y its output
 * {@code [B×out]} at 0, overwritten by forward and kept untouched until backward; s is the layer's
 * own scratch ({@link #scratchSize}), where forward stores what backward needs. Backward reads dy
 * {@code [B×out]} at 0 without modifying it, ACCUMULATES into the parameter gradients g, and
 * OVERWRITES dx {@code [B×in]} at 0 unless dx is null (first layer: nobody needs it).
 */
interface Layer {
  /** Flat input features per example. */
  int in();

  /** Flat output features per example. */
  int out();

  default int paramCount() {
    return 0;
  }

  /** Adds this layer's tensors, named {@code prefix + "weight"} etc. */
  default void tensors(String prefix, List<ParamTensor> out) {}

  /** Writes initial values of this layer's parameters into p. */
  default void init(float[] p, SplittableRandom rnd) {}

  /** Floats of scratch needed for batches up to maxBatch. */
  default int scratchSize(int maxBatch) {
    return 0;
  }

  void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s);

  void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx, float[] s);

  // ---- The same with the workspace's GEMM team: layers whose work is GEMMs split them across it
  // (bit-identical to the one-thread call); the others run on the caller. ----

  default void forward(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    forward(B, p, x, xOff, y, s);
  }

  default void backward(ParallelGemm t, int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy,
      float[] dx, float[] s) {
    backward(B, p, g, x, xOff, y, dy, dx, s);
  }

  /**
   * As backward, but OVERWRITES this layer's parameter gradients g[gOff .. gOff + paramCount())
   * instead of adding to them (gOff: this layer's offset in the model's flat arrays), so a training
   * step needs no separate zeroing pass over the gradient. The same bits as zeroing, then backward.
   */
  default void backwardSet(ParallelGemm t, int B, float[] p, float[] g, int gOff, float[] x, int xOff, float[] y,
      float[] dy, float[] dx, float[] s) {
    java.util.Arrays.fill(g, gOff, gOff + paramCount(), 0f);
    backward(t, B, p, g, x, xOff, y, dy, dx, s);
  }

  default void backwardInput(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] y, float[] dy,
      float[] dx, float[] s) {
    backwardInput(B, p, x, xOff, y, dy, dx, s);
  }

  default void applySgd(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] dy, float lr, float[] s) {
    applySgd(B, p, x, xOff, dy, lr, s);
  }

  // ---- Direct SGD: plain SGD applied from the activations and output gradients, with no gradient
  // buffer (one pass over the weights instead of four: zero, accumulate, norm, update). ----

  /** True when the layer implements the direct-SGD methods below (parameterless layers do). */
  default boolean directSgd() {
    return paramCount() == 0;
  }

  /** Backward without parameter gradients: OVERWRITES dx (not null) from dy, as backward does. */
  default void backwardInput(int B, float[] p, float[] x, int xOff, float[] y, float[] dy, float[] dx, float[] s) {
    backward(B, p, null, x, xOff, y, dy, dx, s);
  }

  /** Squared norm of the parameter gradient this batch would produce; may leave data in s for applySgd. */
  default double gradNormSquared(int B, float[] x, int xOff, float[] dy, float[] s) {
    return 0;
  }

  /** p −= lr·(parameter gradient of this batch), after gradNormSquared on the same arguments. */
  default void applySgd(int B, float[] p, float[] x, int xOff, float[] dy, float lr, float[] s) {}

  // ---- Deferred direct SGD at batch 1 (Model.directSgdStepDeferred): the update is kept and applied by
  // the next forward, fused with it, or by Model.applyDeferred; both give applySgd's bits. ----

  /** Floats {@link #keep} needs: 0 for parameterless layers. */
  default int keptSize() {
    return 0;
  }

  /** Copies what applySgd at batch 1 reads (the input row, dy, what gradNormSquared left in s) to kept. */
  default void keep(float[] x, int xOff, float[] dy, float[] s, float[] kept) {}

  /** applySgd at batch 1 from what {@link #keep} kept. */
  default void applyKept(float[] p, float lr, float[] kept) {}

  /** {@link #applyKept}, then forward: the same bits as the two calls, in one pass over the weights. */
  default void forwardApplyingKept(ParallelGemm t, int B, float[] p, float lr, float[] kept, float[] x, int xOff,
      float[] y, float[] s) {
    forward(t, B, p, x, xOff, y, s);
  }
}
