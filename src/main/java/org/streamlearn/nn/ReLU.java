package org.streamlearn.nn;

import org.streamlearn.kernels.Kernels;

/** y = max(0, x) element-wise. Backward overwrites dx = dy where y &gt; 0, else 0. */
final class ReLU implements Layer {
  final int n;

  ReLU(int n) { this.n = n; }

  @Override public int in() { return n; }
  @Override public int out() { return n; }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    Kernels.relu(B * n, x, xOff, y, 0);
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    if (dx == null) return;
    Kernels.reluBackward(B * n, y, 0, dy, 0, dx, 0); // overwrites dx: no zeroing pass first
  }
}
