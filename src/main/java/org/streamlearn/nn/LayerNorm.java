package org.streamlearn.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;

/**
 * Layer normalisation over the feature axis (as llm.c's layernorm): per row of {@code cols}
 * features, y = (x − mean)·rstd·gain + bias with rstd = 1/√(var + eps), var the biased variance.
 * A sequence input has {@code rowsPerExample} = T rows per example. Forward stores mean and rstd
 * per row in the scratch; backward accumulates dgain and dbias and overwrites dx.
 */
final class LayerNorm implements Layer {
  final int rowsPerExample, cols, gOff, bOff;
  final float eps;

  LayerNorm(int rowsPerExample, int cols, int off, float eps) {
    this.rowsPerExample = rowsPerExample;
    this.cols = cols;
    this.gOff = off;
    this.bOff = off + cols;
    this.eps = eps;
  }

  @Override public int in() { return rowsPerExample * cols; }
  @Override public int out() { return rowsPerExample * cols; }
  @Override public int paramCount() { return 2 * cols; }

  @Override
  public void tensors(String prefix, List<ParamTensor> t) {
    t.add(new ParamTensor(prefix + "weight", gOff, new int[] {cols}));
    t.add(new ParamTensor(prefix + "bias", bOff, new int[] {cols}));
  }

  @Override
  public void init(float[] p, SplittableRandom rnd) {
    Arrays.fill(p, gOff, gOff + cols, 1f);
    Arrays.fill(p, bOff, bOff + cols, 0f);
  }

  /** mean [B·T] then rstd [B·T]. */
  @Override
  public int scratchSize(int maxBatch) {
    return 2 * maxBatch * rowsPerExample;
  }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    int rows = B * rowsPerExample, rstdOff = s.length / 2;
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = r * cols;
      float mean = Kernels.sum(cols, x, xo) / cols;
      float var = 0f; // two-pass: Σ(x−mean)² loses less than Σx² − n·mean²
      for (int c = 0; c < cols; c++) {
        float d = x[xo + c] - mean;
        var += d * d;
      }
      float rstd = (float) (1.0 / Math.sqrt(var / cols + eps));
      for (int c = 0; c < cols; c++) y[yo + c] = (x[xo + c] - mean) * rstd * p[gOff + c] + p[bOff + c];
      s[r] = mean;
      s[rstdOff + r] = rstd;
    }
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    int rows = B * rowsPerExample, rstdOff = s.length / 2;
    Kernels.biasGrad(rows, cols, dy, 0, cols, g, bOff); // dbias +=
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, o = r * cols;
      float mean = s[r], rstd = s[rstdOff + r];
      float dnormMean = 0f, dnormNormMean = 0f;
      for (int c = 0; c < cols; c++) {
        float norm = (x[xo + c] - mean) * rstd;
        float dnorm = p[gOff + c] * dy[o + c];
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
        g[gOff + c] += norm * dy[o + c]; // dgain +=
      }
      if (dx == null) continue;
      dnormMean /= cols;
      dnormNormMean /= cols;
      for (int c = 0; c < cols; c++) {
        float norm = (x[xo + c] - mean) * rstd;
        dx[o + c] = (p[gOff + c] * dy[o + c] - dnormMean - norm * dnormNormMean) * rstd;
      }
    }
  }
}
