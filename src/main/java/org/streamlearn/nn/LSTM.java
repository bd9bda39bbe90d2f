package org.streamlearn.nn;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;

/**
 * LSTM over a sequence: an example is [T×F] flattened, a batch [B × T·F]. Per step t, with gates in
 * PyTorch's order (input i, forget f, cell candidate g, output o) as blocks of H in z[B×4H]:
 * <pre>
 *   z = x_t·W_xᵀ + h_{t−1}·W_hᵀ + b      i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g             h_t = o ⊙ tanh(c_t)       (h_{−1} = c_{−1} = 0)
 * </pre>
 * W_x [4H×F], W_h [4H×H], b [4H] (one bias: PyTorch's bias_ih + bias_hh; named as nn.LSTM's
 * weight_ih_l0, weight_hh_l0, bias_ih_l0, with bias_hh_l0 reading as zeros). Output: h_{T−1} [B×H],
 * or with {@code seq} every h_t, [B × T·H], so LSTMs stack. One GEMM per weight and step over the
 * whole batch; forward keeps every gate activation, cell state and tanh(c) for backpropagation
 * through time over the full sequence. Backward accumulates dW_x, dW_h, db and overwrites dx.
 */
final class LSTM implements Layer {
  final int T, F, H, G4, wxOff, whOff, bOff;
  final boolean seq;

  LSTM(int steps, int features, int hidden, boolean seq, int off) {
    this.T = steps;
    this.F = features;
    this.H = hidden;
    this.G4 = 4 * hidden;
    this.seq = seq;
    this.wxOff = off;
    this.whOff = off + G4 * F;
    this.bOff = whOff + G4 * H;
  }

  @Override public int in() { return T * F; }
  @Override public int out() { return seq ? T * H : H; }
  @Override public int paramCount() { return G4 * F + G4 * H + G4; }

  @Override
  public void tensors(String prefix, List<ParamTensor> t) {
    // nn.LSTM's names (one layer: _l0) and layouts, gates i, f, g, o in both; its second bias is
    // folded into the first here (the sum is all the cell sees), so it reads as zeros.
    t.add(new ParamTensor(prefix + "weight_ih_l0", wxOff, new int[] {G4, F}));
    t.add(new ParamTensor(prefix + "weight_hh_l0", whOff, new int[] {G4, H}));
    t.add(new ParamTensor(prefix + "bias_ih_l0", bOff, new int[] {G4}));
    t.add(new ParamTensor(prefix + "bias_hh_l0", bOff, new int[] {G4}, true));
  }

  /**
   * Glorot uniform per gate block (fan-in F or H, fan-out H), biases 0 except the forget gate's,
   * which start at 1 so the cell remembers by default (Jozefowicz et al. 2015).
   */
  @Override
  public void init(float[] p, SplittableRandom rnd) {
    Inits.glorotUniform(p, wxOff, G4 * F, F, H, rnd);
    Inits.glorotUniform(p, whOff, G4 * H, H, H, rnd);
    Arrays.fill(p, bOff, bOff + G4, 0f);
    Arrays.fill(p, bOff + H, bOff + 2 * H, 1f);
  }

  // Scratch layout for batch B (offsets depend on B, the same in forward and backward):
  // gates T×[B×4H] | c T×[B×H] | tanh(c) T×[B×H] | h [B × T·H] unless seq (then h lives in y)
  // | dz [B×4H] | dh [B×H] | dc [B×H]
  private int cBase(int B) { return T * B * G4; }
  private int tcBase(int B) { return cBase(B) + T * B * H; }
  private int hBase(int B) { return tcBase(B) + T * B * H; }
  private int dzBase(int B) { return hBase(B) + (seq ? 0 : B * T * H); }
  private int dhBase(int B) { return dzBase(B) + B * G4; }
  private int dcBase(int B) { return dhBase(B) + B * H; }

  @Override
  public int scratchSize(int maxBatch) {
    return dcBase(maxBatch) + maxBatch * H;
  }

  @Override
  public void forward(int B, float[] p, float[] x, int xOff, float[] y, float[] s) {
    float[] hb = seq ? y : s;              // h_t of example b at hb[hOff + b·T·H + t·H]
    int hOff = seq ? 0 : hBase(B), cBase = cBase(B), tcBase = tcBase(B), ldh = T * H;
    for (int t = 0; t < T; t++) {
      int zo = t * B * G4;                 // z_t [B×4H]
      Kernels.gemmNT(B, G4, F, 1f, x, xOff + t * F, T * F, p, wxOff, F, 0f, s, zo, G4);
      if (t > 0) Kernels.gemmNT(B, G4, H, 1f, hb, hOff + (t - 1) * H, ldh, p, whOff, H, 1f, s, zo, G4);
      Kernels.addBias(B, G4, p, bOff, s, zo, G4);
      for (int b = 0; b < B; b++) {
        int r = zo + b * G4, co = cBase + t * B * H + b * H, cp = co - B * H;
        int tco = tcBase + t * B * H + b * H, ho = hOff + b * ldh + t * H;
        Kernels.sigmoid(2 * H, s, r, s, r);            // i, f
        Kernels.tanh(H, s, r + 2 * H, s, r + 2 * H);   // g
        Kernels.sigmoid(H, s, r + 3 * H, s, r + 3 * H); // o
        for (int j = 0; j < H; j++) {
          float ig = s[r + j] * s[r + 2 * H + j];
          s[co + j] = t > 0 ? s[r + H + j] * s[cp + j] + ig : ig;
        }
        Kernels.tanh(H, s, co, s, tco);
        for (int j = 0; j < H; j++) hb[ho + j] = s[r + 3 * H + j] * s[tco + j];
      }
    }
    if (!seq)
      for (int b = 0; b < B; b++) System.arraycopy(s, hOff + b * ldh + (T - 1) * H, y, b * H, H);
  }

  @Override
  public void backward(int B, float[] p, float[] g, float[] x, int xOff, float[] y, float[] dy, float[] dx,
      float[] s) {
    float[] hb = seq ? y : s;
    int hOff = seq ? 0 : hBase(B), cBase = cBase(B), tcBase = tcBase(B), ldh = T * H;
    int dz = dzBase(B), dh = dhBase(B), dc = dcBase(B);
    Arrays.fill(s, dh, dc + B * H, 0f);    // dh, dc from the future: none after the last step
    for (int t = T - 1; t >= 0; t--) {
      if (seq) for (int b = 0; b < B; b++) Kernels.axpy(H, 1f, dy, b * ldh + t * H, s, dh + b * H);
      else if (t == T - 1) Kernels.axpy(B * H, 1f, dy, 0, s, dh);
      int zo = t * B * G4;
      for (int b = 0; b < B; b++) {
        int r = zo + b * G4, co = cBase + t * B * H + b * H, cp = co - B * H;
        int tco = tcBase + t * B * H + b * H, d = dz + b * G4, hb0 = dh + b * H, cb0 = dc + b * H;
        for (int j = 0; j < H; j++) {
          float i = s[r + j], f = s[r + H + j], gg = s[r + 2 * H + j], o = s[r + 3 * H + j];
          float tc = s[tco + j], dhv = s[hb0 + j];
          float dcv = s[cb0 + j] + dhv * o * (1f - tc * tc);
          float df = t > 0 ? dcv * s[cp + j] : 0f;
          s[cb0 + j] = dcv * f;                             // dc_{t−1}
          s[d + j] = dcv * gg * i * (1f - i);               // dz_i
          s[d + H + j] = df * f * (1f - f);                 // dz_f
          s[d + 2 * H + j] = dcv * i * (1f - gg * gg);      // dz_g
          s[d + 3 * H + j] = dhv * tc * o * (1f - o);       // dz_o
        }
      }
      Kernels.gemmTN(G4, F, B, 1f, s, dz, G4, x, xOff + t * F, T * F, 1f, g, wxOff, F); // dW_x +=
      if (t > 0) Kernels.gemmTN(G4, H, B, 1f, s, dz, G4, hb, hOff + (t - 1) * H, ldh, 1f, g, whOff, H);
      Kernels.biasGrad(B, G4, s, dz, G4, g, bOff);
      Kernels.gemmNN(B, H, G4, 1f, s, dz, G4, p, whOff, H, 0f, s, dh, H); // dh_{t−1} [B×H] =
      if (dx != null) Kernels.gemmNN(B, F, G4, 1f, s, dz, G4, p, wxOff, F, 0f, dx, t * F, T * F);
    }
  }
}
