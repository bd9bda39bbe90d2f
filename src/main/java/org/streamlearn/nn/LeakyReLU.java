package org.streamlearn.nn;

import java.util.Arrays;
import org.streamlearn.kernels.Kernels;

/** y = x if x &gt; 0 else slope·x. Backward overwrites dx = dy·(x &gt; 0 ? 1 : slope). */
final class LeakyReLU implements Layer {
  final int n;
  final float slope;

  LeakyReLU(int n, float slope) {
    this.n = n;
    this.slope = slope;
  }

  @Override public int in() { return n; }
  @Override public int out() { return n; }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    Kernels.leakyRelu(B * n, slope, x, xOff, y, 0);
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    if (dx == null) return;
    Arrays.fill(dx, 0, B * n, 0f);
    Kernels.leakyReluBackward(B * n, slope, x, xOff, dy, 0, dx, 0);
  }
}
