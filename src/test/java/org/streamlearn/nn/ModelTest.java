package org.streamlearn.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamlearn.kernels.Kernels;

class ModelTest {

  @Test
  void mlpTensorsNamesAndSizes() {
    Model m = Model.of(ModelSpec.parse("input(784) dense(256) relu dense(10)"));
    assertThat(m.inputSize()).isEqualTo(784);
    assertThat(m.outputSize()).isEqualTo(10);
    assertThat(m.paramCount()).isEqualTo(784 * 256 + 256 + 256 * 10 + 10);
    assertThat(m.tensors()).containsExactly(
        new ParamTensor("layers.0.weight", 0, new int[] {256, 784}),
        new ParamTensor("layers.0.bias", 784 * 256, new int[] {256}),
        new ParamTensor("layers.2.weight", 784 * 256 + 256, new int[] {10, 256}),
        new ParamTensor("layers.2.bias", 784 * 256 + 256 + 2560, new int[] {10}));
  }

  @Test
  void lstmTensorsAndSizes() {
    Model m = Model.of(ModelSpec.parse("input(52x3) lstm(8, seq) lstm(4) dense(1)"));
    assertThat(m.inputSize()).isEqualTo(156);
    assertThat(m.outputSize()).isEqualTo(1);
    assertThat(m.tensors()).extracting(ParamTensor::name).containsExactly(
        "layers.0.weight_ih_l0", "layers.0.weight_hh_l0", "layers.0.bias_ih_l0",
        "layers.1.weight_ih_l0", "layers.1.weight_hh_l0", "layers.1.bias_ih_l0", "layers.2.weight", "layers.2.bias");
    assertThat(m.tensors().get(0).shape()).containsExactly(32, 3);
    assertThat(m.tensors().get(1).shape()).containsExactly(32, 8);
    assertThat(m.tensors().get(3).shape()).containsExactly(16, 8);
    // The file holds nn.LSTM's second bias too: folded into bias_ih_l0 (same offset), read as zeros.
    assertThat(m.torchTensors()).extracting(ParamTensor::name).containsExactly(
        "layers.0.weight_ih_l0", "layers.0.weight_hh_l0", "layers.0.bias_ih_l0", "layers.0.bias_hh_l0",
        "layers.1.weight_ih_l0", "layers.1.weight_hh_l0", "layers.1.bias_ih_l0", "layers.1.bias_hh_l0",
        "layers.2.weight", "layers.2.bias");
    assertThat(m.torchTensors().get(3).folded()).isTrue();
    assertThat(m.torchTensors().get(3).offset()).isEqualTo(m.torchTensors().get(2).offset());
    assertThat(Model.of(ModelSpec.parse("input(5x3) lstm(7, seq)")).outputSize()).isEqualTo(35);
  }

  /** Sorted by offset, tensors tile [0, paramCount) with no gap and no overlap; names are unique. */
  @ParameterizedTest
  @ValueSource(strings = {
      "input(784) dense(256) relu dense(256) relu dense(10)",
      "input(52x1) lstm(32, seq) layernorm lstm(16) dense(4) softmax",
      "input(7) layernorm dense(3) sigmoid",
      "input(3) relu tanh",
  })
  void tensorsCoverTheBufferExactly(String spec) {
    Model m = Model.of(ModelSpec.parse(spec));
    List<ParamTensor> ts = m.tensors().stream().sorted(Comparator.comparingInt(ParamTensor::offset)).toList();
    int next = 0;
    for (ParamTensor t : ts) {
      assertThat(t.offset()).as("offset of %s", t.name()).isEqualTo(next);
      assertThat(t.numel()).as("size of %s", t.name()).isPositive();
      next += t.numel();
    }
    assertThat(next).isEqualTo(m.paramCount());
    assertThat(m.tensors().stream().map(ParamTensor::name).collect(Collectors.toSet())).hasSize(ts.size());
  }

  @Test
  void initIsDeterministicPerSeed() {
    Model m = Model.of(ModelSpec.parse("input(5x2) lstm(4) layernorm dense(6) relu dense(3)"));
    float[] a = new float[m.paramCount()], b = new float[m.paramCount()], c = new float[m.paramCount()];
    m.init(a, 123);
    m.init(b, 123);
    m.init(c, 124);
    assertThat(b).containsExactly(a);
    assertThat(c).isNotEqualTo(a);
  }

  /**
   * He: variance 2/I; Glorot: 2/(I+O); means 0. With n = 200·300 = 60 000 samples the standard
   * error of a sample variance is σ²·√(2/n) ≈ 0.6% (normal), less for uniform; we allow 5%.
   */
  @Test
  void heAndGlorotVariances() {
    int I = 200, O = 300;
    checkVariance("input(200) dense(300) relu", 2.0 / I);
    checkVariance("input(200) dense(300, init=he)", 2.0 / I);
    checkVariance("input(200) dense(300)", 2.0 / (I + O));
    checkVariance("input(200) dense(300, init=glorot) relu", 2.0 / (I + O));
  }

  private static void checkVariance(String spec, double expected) {
    Model m = Model.of(ModelSpec.parse(spec));
    float[] p = new float[m.paramCount()];
    m.init(p, 99);
    ParamTensor w = m.tensors().get(0);
    double s = 0, s2 = 0;
    int n = w.numel();
    for (int i = 0; i < n; i++) {
      s += p[w.offset() + i];
      s2 += (double) p[w.offset() + i] * p[w.offset() + i];
    }
    double mean = s / n, var = s2 / n - mean * mean;
    assertThat(var).as("variance of %s", spec).isBetween(expected * 0.95, expected * 1.05);
    assertThat(Math.abs(mean)).as("mean of %s", spec).isLessThan(5 * Math.sqrt(expected / n));
    ParamTensor bias = m.tensors().get(1);
    for (int i = 0; i < bias.numel(); i++) assertThat(p[bias.offset() + i]).isZero();
  }

  @Test
  void lstmForgetBiasIsOneOtherBiasesZeroLayerNormGainOne() {
    Model m = Model.of(ModelSpec.parse("input(6x2) lstm(5) layernorm dense(1)"));
    float[] p = new float[m.paramCount()];
    m.init(p, 1);
    ParamTensor b = m.tensors().get(2);
    assertThat(b.name()).isEqualTo("layers.0.bias_ih_l0");
    int H = 5;
    for (int gate = 0; gate < 4; gate++)
      for (int j = 0; j < H; j++)
        assertThat(p[b.offset() + gate * H + j]).as("gate %d unit %d", gate, j).isEqualTo(gate == 1 ? 1f : 0f);
    ParamTensor gain = m.tensors().get(3), beta = m.tensors().get(4);
    for (int j = 0; j < 5; j++) {
      assertThat(p[gain.offset() + j]).isEqualTo(1f);
      assertThat(p[beta.offset() + j]).isZero();
    }
  }

  /** A batch of B rows gives the same outputs as B single-example calls (batch rows independent). */
  @Test
  void batchRowsAreIndependent() {
    Model m = Model.of(ModelSpec.parse("input(4x3) lstm(5, seq) layernorm lstm(4) dense(3) softmax"));
    float[] p = new float[m.paramCount()];
    m.init(p, 8);
    float[] x = GradCheck.uniform(5 * 12, -1, 1, new java.util.SplittableRandom(8));
    Workspace ws = m.newWorkspace(5);
    float[] all = m.forward(5, p, x, 0, ws).clone();
    for (int b = 0; b < 5; b++) {
      float[] one = m.forward(1, p, x, b * 12, ws);
      for (int j = 0; j < 3; j++)
        assertThat(one[j]).isCloseTo(all[b * 3 + j], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  /**
   * backwardSet writes the gradient (garbage and NaN in grads beforehand do not leak) with the same
   * bits as zeroing, then backward, and returns the norm of blocks summed in index order, bit for
   * bit; models whose norm blocks straddle layers, with LSTM, layer norm and dense layers, and the
   * GEMMs split across two threads.
   */
  @ParameterizedTest
  @ValueSource(strings = {"input(30) dense(200) relu dense(50) tanh dense(7)",
      "input(6x5) lstm(40, seq) layernorm lstm(30) dense(90) relu dense(3)", "input(3) dense(2)"})
  void backwardSetOverwritesWithTheBitsOfZeroThenBackward(String spec) {
    Model m = Model.of(ModelSpec.parse(spec));
    int n = m.paramCount(), B = 5;
    var r = new java.util.SplittableRandom(4);
    float[] p = new float[n];
    m.init(p, 4);
    float[] x = GradCheck.uniform(B * m.inputSize(), -1, 1, r), dOut = GradCheck.uniform(B * m.outputSize(), -1, 1, r);
    for (int threads : new int[] {1, 2}) {
      try (Workspace ws = m.newWorkspace(B, threads)) {
        m.forward(B, p, x, 0, ws);
        float[] expected = new float[n];
        m.backward(B, p, expected, x, 0, dOut, ws);
        double sq = 0;
        for (int i = 0; i < n; i += Model.NORM_BLOCK)
          sq += org.streamlearn.kernels.Kernels.sumSquares(Math.min(Model.NORM_BLOCK, n - i), expected, i);
        float[] g = GradCheck.uniform(n, -9, 9, r);
        g[0] = Float.NaN;
        g[n - 1] = Float.NaN;
        float norm = m.backwardSet(B, p, g, x, 0, dOut, ws);
        for (int i = 0; i < n; i++)
          assertThat(Float.floatToRawIntBits(g[i])).as("%s, %d thread(s): grads[%d]", spec, threads, i)
              .isEqualTo(Float.floatToRawIntBits(expected[i]));
        assertThat(norm).as("norm").isEqualTo((float) Math.sqrt(sq)).isPositive();
      }
    }
  }

  /**
   * A ReLU after a dense layer adds that layer's bias in its own pass: the forward has the bits of
   * each layer in turn (product, bias, max with 0), on one thread and on two.
   */
  @Test
  void denseThenReluHasTheBitsOfEachLayerInTurn() {
    Model m = Model.of(ModelSpec.parse("input(30) dense(37) relu dense(20) tanh dense(9) relu"));
    int B = 7;
    var r = new java.util.SplittableRandom(11);
    float[] p = GradCheck.uniform(m.paramCount(), -0.5, 0.5, r); // biases of both signs
    float[] x = GradCheck.uniform(B * 30, -1, 1, r);
    // By hand: dense(37) at 0 (bias at 30·37), relu, dense(20), tanh, dense(9), relu.
    float[] h1 = denseByHand(B, 30, 37, p, 0, x), a1 = h1.clone();
    org.streamlearn.kernels.Kernels.relu(B * 37, h1, 0, a1, 0);
    int off2 = 30 * 37 + 37;
    float[] h2 = denseByHand(B, 37, 20, p, off2, a1), a2 = h2.clone();
    org.streamlearn.kernels.Kernels.tanh(B * 20, h2, 0, a2, 0);
    float[] h3 = denseByHand(B, 20, 9, p, off2 + 37 * 20 + 20, a2), expected = h3.clone();
    org.streamlearn.kernels.Kernels.relu(B * 9, h3, 0, expected, 0);
    for (int threads : new int[] {1, 2})
      try (Workspace ws = m.newWorkspace(B, threads)) {
        float[] y = m.forward(B, p, x, 0, ws);
        for (int i = 0; i < B * 9; i++)
          assertThat(Float.floatToRawIntBits(y[i])).as("%d thread(s): y[%d]", threads, i)
              .isEqualTo(Float.floatToRawIntBits(expected[i]));
        assertThat(m.layerOutput(ws, 1)).startsWith(a1);
      }
  }

  /**
   * A dense layer after a ReLU writes the ReLU's input gradient in its own product (masked as it is
   * written, the ReLU's pass skipped): backwardSet's and backward's gradients, the norm and the input
   * gradient have the bits of each layer's backward in turn, on one thread and on two; with a ReLU as
   * the first layer too, whose input gradient is the model's.
   */
  @Test
  void denseAfterReluBackwardHasTheBitsOfEachLayerInTurn() {
    Model m = Model.of(ModelSpec.parse("input(30) dense(37) relu dense(20) relu dense(9)"));
    int B = 7, off2 = 30 * 37 + 37, off3 = off2 + 37 * 20 + 20, n = m.paramCount();
    var r = new java.util.SplittableRandom(12);
    float[] p = GradCheck.uniform(n, -0.5, 0.5, r); // biases of both signs: many ReLUs off
    float[] x = GradCheck.uniform(B * 30, -1, 1, r), dOut = GradCheck.uniform(B * 9, -1, 1, r);
    float[] h1 = denseByHand(B, 30, 37, p, 0, x), a1 = new float[B * 37];
    Kernels.relu(B * 37, h1, 0, a1, 0);
    float[] h2 = denseByHand(B, 37, 20, p, off2, a1), a2 = new float[B * 20];
    Kernels.relu(B * 20, h2, 0, a2, 0);
    float[] g = new float[n], dA2 = new float[B * 20], dH2 = new float[B * 20], dA1 = new float[B * 37],
        dH1 = new float[B * 37], dX = new float[B * 30];
    Kernels.gemmTN(9, 20, B, 1f, dOut, 0, 9, a2, 0, 20, 0f, g, off3, 20);
    Kernels.biasGrad(B, 9, dOut, 0, 9, g, off3 + 180);
    Kernels.gemmNN(B, 20, 9, 1f, dOut, 0, 9, p, off3, 20, 0f, dA2, 0, 20);
    Kernels.reluBackward(B * 20, a2, 0, dA2, 0, dH2, 0);
    Kernels.gemmTN(20, 37, B, 1f, dH2, 0, 20, a1, 0, 37, 0f, g, off2, 37);
    Kernels.biasGrad(B, 20, dH2, 0, 20, g, off2 + 740);
    Kernels.gemmNN(B, 37, 20, 1f, dH2, 0, 20, p, off2, 37, 0f, dA1, 0, 37);
    Kernels.reluBackward(B * 37, a1, 0, dA1, 0, dH1, 0);
    Kernels.gemmTN(37, 30, B, 1f, dH1, 0, 37, x, 0, 30, 0f, g, 0, 30);
    Kernels.biasGrad(B, 37, dH1, 0, 37, g, 1110);
    Kernels.gemmNN(B, 30, 37, 1f, dH1, 0, 37, p, 0, 30, 0f, dX, 0, 30);
    double sq = 0;
    for (int i = 0; i < n; i += Model.NORM_BLOCK) sq += Kernels.sumSquares(Math.min(Model.NORM_BLOCK, n - i), g, i);
    for (int threads : new int[] {1, 2})
      try (Workspace ws = m.newWorkspace(B, threads)) {
        m.forward(B, p, x, 0, ws);
        float[] set = GradCheck.uniform(n, -9, 9, r), added = new float[n];
        float norm = m.backwardSet(B, p, set, x, 0, dOut, ws);
        m.backward(B, p, added, x, 0, dOut, ws, true);
        for (int i = 0; i < n; i++) {
          assertThat(Float.floatToRawIntBits(set[i])).as("%d thread(s): backwardSet grads[%d]", threads, i)
              .isEqualTo(Float.floatToRawIntBits(g[i]));
          assertThat(Float.floatToRawIntBits(added[i])).as("%d thread(s): backward grads[%d]", threads, i)
              .isEqualTo(Float.floatToRawIntBits(g[i]));
        }
        assertThat(norm).isEqualTo((float) Math.sqrt(sq));
        float[] in = ws.inputGrad();
        for (int i = 0; i < B * 30; i++)
          assertThat(Float.floatToRawIntBits(in[i])).as("%d thread(s): input gradient [%d]", threads, i)
              .isEqualTo(Float.floatToRawIntBits(dX[i]));
      }
    // A ReLU first: the model's input gradient is that ReLU's.
    Model first = Model.of(ModelSpec.parse("input(12) relu dense(8)"));
    float[] q = GradCheck.uniform(first.paramCount(), -0.5, 0.5, r), u = GradCheck.uniform(B * 12, -1, 1, r);
    float[] d = GradCheck.uniform(B * 8, -1, 1, r), a0 = new float[B * 12], dA0 = new float[B * 12], du = new float[B * 12];
    Kernels.relu(B * 12, u, 0, a0, 0);
    Kernels.gemmNN(B, 12, 8, 1f, d, 0, 8, q, 0, 12, 0f, dA0, 0, 12);
    Kernels.reluBackward(B * 12, a0, 0, dA0, 0, du, 0);
    try (Workspace ws = first.newWorkspace(B, 1)) {
      first.forward(B, q, u, 0, ws);
      first.backward(B, q, new float[first.paramCount()], u, 0, d, ws, true);
      float[] in = ws.inputGrad();
      for (int i = 0; i < B * 12; i++)
        assertThat(Float.floatToRawIntBits(in[i])).as("input gradient through the first ReLU [%d]", i)
            .isEqualTo(Float.floatToRawIntBits(du[i]));
    }
  }

  private static float[] denseByHand(int B, int in, int out, float[] p, int off, float[] x) {
    float[] y = new float[B * out];
    org.streamlearn.kernels.Kernels.gemmNT(B, out, in, 1f, x, 0, in, p, off, in, 0f, y, 0, out);
    org.streamlearn.kernels.Kernels.addBias(B, out, p, off + out * in, y, 0, out);
    return y;
  }

  @Test
  void rejectsMisuse() {
    Model m = Model.of(ModelSpec.parse("input(3) dense(2)"));
    Model other = Model.of(ModelSpec.parse("input(3) dense(2)"));
    float[] p = new float[m.paramCount()];
    Workspace ws = m.newWorkspace(2);
    assertThatThrownBy(() -> m.forward(3, p, new float[9], 0, ws)).hasMessageContaining("batch size 3");
    assertThatThrownBy(() -> m.forward(2, p, new float[5], 0, ws)).hasMessageContaining("need 6");
    assertThatThrownBy(() -> m.forward(1, new float[2], new float[3], 0, ws)).hasMessageContaining("params holds 2");
    assertThatThrownBy(() -> other.forward(1, p, new float[3], 0, ws)).hasMessageContaining("another model");
    assertThatThrownBy(() -> m.newWorkspace(0)).hasMessageContaining("maxBatch");
  }

  /**
   * The sweep's ranges cover every parameter once, in order within each part, on multiples of the
   * alignment (but paramCount); a wide dense layer's rows go to the part whose forward and weight
   * gradient compute them (ParallelGemm.cut), the rest to part 0.
   */
  @org.junit.jupiter.api.Test
  void sweepRangesCoverEachParameterOnce() {
    Model m = Model.of(ModelSpec.parse("input(197) dense(301) relu dense(129) tanh dense(10)"));
    int n = m.paramCount();
    for (int parts : new int[] {2, 3, 4}) {
      int[][] r = m.sweepRanges(parts, 64);
      org.assertj.core.api.Assertions.assertThat(r).hasNumberOfRows(parts);
      int[] seen = new int[n];
      for (int[] ranges : r)
        for (int k = 0; k < ranges.length; k += 2) {
          org.assertj.core.api.Assertions.assertThat(ranges[k] % 64).isZero();
          if (ranges[k + 1] != n) org.assertj.core.api.Assertions.assertThat(ranges[k + 1] % 64).isZero();
          for (int i = ranges[k]; i < ranges[k + 1]; i++) seen[i]++;
        }
      for (int i = 0; i < n; i++) org.assertj.core.api.Assertions.assertThat(seen[i]).as("parameter %d, %d parts", i, parts).isEqualTo(1);
      // The first dense layer's last row (301 outputs of 197 inputs) is the last part's.
      int lastRow = 300 * 197 + 100, owner = -1;
      for (int p = 0; p < parts; p++)
        for (int k = 0; k < r[p].length; k += 2) if (r[p][k] <= lastRow && lastRow < r[p][k + 1]) owner = p;
      int want = 0;
      while (org.streamlearn.kernels.ParallelGemm.cut(301, want + 1, parts) <= 300) want++;
      org.assertj.core.api.Assertions.assertThat(want).as("the layer splits").isPositive();
      org.assertj.core.api.Assertions.assertThat(owner).isEqualTo(want);
    }
    org.assertj.core.api.Assertions.assertThat(Model.of(ModelSpec.parse("input(4) dense(5) relu dense(3)")).sweepRanges(2, 64))
        .as("no layer wide enough to split").isNull();
  }
}
