package org.streamlearn.nn;

import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.ParallelGemm;

/**
 * y[B×O] = x[B×I]·Wᵀ + b, with W stored [O×I] row-major (PyTorch's {@code nn.Linear} layout) at
 * wOff and b [O] at bOff. Backward: dW += dyᵀ·x, db += Σ_rows dy, dx = dy·W (overwritten).
 */
final class Dense implements Layer {
  final int in, out, wOff, bOff;
  final ModelSpec.Init init;

  Dense(int in, int out, int off, ModelSpec.Init init) {
    this.in = in;
    this.out = out;
    this.wOff = off;
    this.bOff = off + out * in;
    this.init = init;
  }

  @Override public int in() { return in; }
  @Override public int out() { return out; }
  @Override public int paramCount() { return out * in + out; }

  @Override
  public void tensors(String prefix, List<ParamTensor> t) {
    t.add(new ParamTensor(prefix + "weight", wOff, new int[] {out, in}));
    t.add(new ParamTensor(prefix + "bias", bOff, new int[] {out}));
  }

  /** He: normal, variance 2/I (Kaiming, fan-in). Glorot: uniform ±√(6/(I+O)), variance 2/(I+O). Bias 0. */
  @Override
  public void init(float[] p, SplittableRandom rnd) {
    if (init == ModelSpec.Init.HE) {
      double std = Math.sqrt(2.0 / in);
      for (int i = 0; i < out * in; i++) p[wOff + i] = (float) (rnd.nextGaussian() * std);
    } else {
      Inits.glorotUniform(p, wOff, out * in, in, out, rnd);
    }
    java.util.Arrays.fill(p, bOff, bOff + out, 0f);
  }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    forward(Workspace.SERIAL, B, p, x, xOff, y, s);
  }

  @Override
  public void forward(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    t.gemmNT(B, out, in, 1f, x, xOff, in, p, wOff, in, 0f, y, 0, out); // [B×O]
    Kernels.addBias(B, out, p, bOff, y, 0, out);
  }

  /** y = x·Wᵀ without the bias: Model adds it in the pass of the ReLU that follows (Kernels.addBiasRelu). */
  void forwardWithoutBias(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] y) {
    t.gemmNT(B, out, in, 1f, x, xOff, in, p, wOff, in, 0f, y, 0, out); // [B×O]
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    backward(Workspace.SERIAL, B, p, g, x, xOff, y, dy, dx, s);
  }

  @Override
  public void backward(ParallelGemm t, int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy,
      float[] dx, float[] s) {
    backward(t, B, p, g, x, xOff, dy, dx, null);
  }

  /**
   * {@link #backward}; with reluY not null, dx is instead the input gradient of a ReLU right before
   * this layer whose output is reluY ([B×in]): relu'(reluY) ⊙ (dy·W), the bits of this layer's
   * backward followed by the ReLU's, without the ReLU's pass (see {@code Model}).
   */
  void backward(ParallelGemm t, int B, float[] p, float[] g, float[] x, int xOff, float[] dy, float[] dx,
      float[] reluY) {
    t.gemmTN(out, in, B, 1f, dy, 0, out, x, xOff, in, 1f, g, wOff, in); // dW [O×I] +=
    Kernels.biasGrad(B, out, dy, 0, out, g, bOff);                       // db [O] +=
    if (dx != null) inputGrad(t, B, p, dy, dx, reluY);
  }

  /** dW = dyᵀ·x and db = Σ_rows dy written, not added: GEMM with beta 0 (C not read), bias zeroed first. */
  @Override
  public void backwardSet(ParallelGemm t, int B, float[] p, float[] g, int gOff, float[] x, int xOff, float[] y,
      float[] dy, float[] dx, float[] s) {
    backwardSet(t, B, p, g, x, xOff, dy, dx, null);
  }

  /** {@link #backwardSet}, with reluY as in {@link #backward(ParallelGemm, int, float[], float[], float[], int, float[], float[], float[])}. */
  void backwardSet(ParallelGemm t, int B, float[] p, float[] g, float[] x, int xOff, float[] dy, float[] dx,
      float[] reluY) {
    t.gemmTN(out, in, B, 1f, dy, 0, out, x, xOff, in, 0f, g, wOff, in); // dW [O×I] =
    java.util.Arrays.fill(g, bOff, bOff + out, 0f);
    Kernels.biasGrad(B, out, dy, 0, out, g, bOff);                       // db [O] =
    if (dx != null) inputGrad(t, B, p, dy, dx, reluY);
  }

  /** dx [B×I] = dy·W, or relu'(reluY) ⊙ dy·W: overwritten. */
  void inputGrad(ParallelGemm t, int B, float[] p, float[] dy, float[] dx, float[] reluY) {
    if (reluY == null) t.gemmNN(B, in, out, 1f, dy, 0, out, p, wOff, in, 0f, dx, 0, in);
    else t.gemmNNReluBackward(B, in, out, 1f, dy, 0, out, p, wOff, in, 0f, dx, 0, in, reluY, 0);
  }

  // ---- direct SGD ----

  @Override
  public boolean directSgd() {
    return true;
  }

  /** The bias gradient Σ_rows dy is kept here between gradNormSquared and applySgd. */
  @Override
  public int scratchSize(int maxBatch) {
    return out;
  }

  @Override
  public void backwardInput(int B, float[] p, float[] x, int xOff, float[] y, float[] dy, float[] dx, float[] s) {
    backwardInput(Workspace.SERIAL, B, p, x, xOff, y, dy, dx, s);
  }

  @Override
  public void backwardInput(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] y, float[] dy,
      float[] dx, float[] s) {
    inputGrad(t, B, p, dy, dx, null); // [B×I] =
  }

  /**
   * ‖dW‖² + ‖db‖² without forming dW = dyᵀ·x: ‖dyᵀx‖²_F = Σ_a Σ_b (dy_a·dy_b)(x_a·x_b), B² dot
   * products (at B = 1, simply ‖dy‖²·‖x‖²). Summed in double.
   */
  @Override
  public double gradNormSquared(int B, float[] x, int xOff, float[] dy, float[] s) {
    java.util.Arrays.fill(s, 0, out, 0f);
    Kernels.biasGrad(B, out, dy, 0, out, s, 0);
    double sq = Kernels.sumSquares(out, s, 0);
    for (int a = 0; a < B; a++) {
      double dd = Kernels.sumSquares(out, dy, a * out), xx = Kernels.sumSquares(in, x, xOff + a * in);
      sq += dd * xx;
      for (int b = a + 1; b < B; b++)
        sq += 2.0 * Kernels.dot(out, dy, a * out, dy, b * out) * Kernels.dot(in, x, xOff + a * in, x, xOff + b * in);
    }
    return sq;
  }

  @Override
  public void applySgd(int B, float[] p, float[] x, int xOff, float[] dy, float lr, float[] s) {
    applySgd(Workspace.SERIAL, B, p, x, xOff, dy, lr, s);
  }

  @Override
  public void applySgd(ParallelGemm t, int B, float[] p, float[] x, int xOff, float[] dy, float lr, float[] s) {
    t.gemmTN(out, in, B, -lr, dy, 0, out, x, xOff, in, 1f, p, wOff, in); // W −= lr·dyᵀ·x
    Kernels.axpy(out, -lr, s, 0, p, bOff);                                // b −= lr·Σ dy
  }

  // ---- deferred direct SGD (batch 1) ----

  @Override
  public int keptSize() {
    return in + 2 * out;
  }

  /** kept: the input row [in], then dy [out], then the bias gradient [out]. */
  @Override
  public void keep(float[] x, int xOff, float[] dy, float[] s, float[] kept) {
    System.arraycopy(x, xOff, kept, 0, in);
    System.arraycopy(dy, 0, kept, in, out);
    System.arraycopy(s, 0, kept, in + out, out);
  }

  /** applySgd at batch 1, on the serial kernels (a batch-1 product never splits). */
  @Override
  public void applyKept(float[] p, float lr, float[] kept) {
    Kernels.gemmTN(out, in, 1, -lr, kept, in, out, kept, 0, in, 1f, p, wOff, in); // W −= lr·dy·xᵀ
    Kernels.axpy(out, -lr, kept, in + out, p, bOff);                             // b −= lr·db
  }

  /**
   * At batch 1, the rank-1 update of each row of W and its dot product with x in one pass
   * (Kernels.rank1ThenGemv): W crosses memory once (read, written) instead of three times (read by
   * this forward, read and written by the update), which is what bounds a batch of one. With a team,
   * each thread updates and multiplies its own rows (its cores' caches then hold its share of W).
   */
  @Override
  public void forwardApplyingKept(ParallelGemm t, int B, float[] p, float lr, float[] kept, float[] x, int xOff,
      float[] y, float[] s) {
    if (B != 1) {
      applyKept(p, lr, kept);
      forward(t, B, p, x, xOff, y, s);
      return;
    }
    t.rank1ThenGemv(out, in, -lr, kept, in, kept, 0, p, wOff, in, x, xOff, y, 0);
    Kernels.axpy(out, -lr, kept, in + out, p, bOff);
    Kernels.addBias(1, out, p, bOff, y, 0, out);
  }
}
