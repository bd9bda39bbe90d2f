package org.streamlearn.nn;

import org.streamlearn.kernels.Kernels;

/**
 * Row-wise softmax over the feature axis: {@code rowsPerExample} rows of {@code cols} per example
 * (one row for a flat input, T for a sequence). Backward is the full Jacobian-vector product,
 * dx = y ⊙ (dy − ⟨dy, y⟩) per row, overwriting dx. Not needed before cross-entropy, which fuses it.
 */
final class Softmax implements Layer {
  final int rowsPerExample, cols;

  Softmax(int rowsPerExample, int cols) {
    this.rowsPerExample = rowsPerExample;
    this.cols = cols;
  }

  @Override public int in() { return rowsPerExample * cols; }
  @Override public int out() { return rowsPerExample * cols; }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    Kernels.softmaxRows(B * rowsPerExample, cols, x, xOff, y, 0);
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    if (dx == null) return;
    for (int r = 0, rows = B * rowsPerExample; r < rows; r++) {
      int o = r * cols;
      float d = Kernels.dot(cols, dy, o, y, o);
      for (int c = 0; c < cols; c++) dx[o + c] = y[o + c] * (dy[o + c] - d);
    }
  }
}
