package org.streamlearn.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every SIMD kernel against its scalar definition, on odd sizes with non-zero offsets and guard
 * cells that must stay untouched. Inputs are uniform in [−1, 1]; the tolerance for a sum of n terms
 * is 2e-6·n in absolute terms (float32 rounding grows at most linearly with the number of additions,
 * and the SIMD path adds in a different order), element-wise kernels 1e-7 relative; sigmoid, tanh and
 * the exponentials of softmax are FloatMath's, lane-wise or not, and must be equal bit for bit.
 */
class KernelsTest {
  static final int[] SIZES = {1, 3, 7, 17, 31, 33, 100, 257};
  static final float GUARD = 12345.678f;
  static final int OFF = 5;
  final SplittableRandom rnd = new SplittableRandom(20261122L);

  float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
    return a;
  }

  /** n values at offset OFF, guard cells everywhere else. */
  float[] guarded(int n) {
    float[] a = new float[n + 2 * OFF + 17];
    java.util.Arrays.fill(a, GUARD);
    float[] v = random(n);
    System.arraycopy(v, 0, a, OFF, n);
    return a;
  }

  static void assertClose(String what, float[] expected, float[] actual, double absTol, double relTol) {
    assertThat(actual).hasSameSizeAs(expected);
    int worst = -1;
    double worstErr = 0;
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i], a = actual[i];
      if (Double.isNaN(e) != Double.isNaN(a)) fail(what + ": NaN mismatch at " + i + ": " + e + " vs " + a);
      double err = Math.abs(e - a) - (absTol + relTol * Math.abs(e));
      if (err > worstErr) { worstErr = err; worst = i; }
    }
    if (worst >= 0)
      fail(String.format("%s: worst element %d expected %s got %s (abs tol %.3g, rel tol %.3g)",
          what, worst, expected[worst], actual[worst], absTol, relTol));
  }

  /** Runs op on two copies of the same guarded buffers (scalar, SIMD) and compares all cells. */
  void compareUnary(String name, int n, double absTol, double relTol,
      java.util.function.BiConsumer<float[], float[]> scalar, java.util.function.BiConsumer<float[], float[]> simd) {
    float[] x = guarded(n), y0 = guarded(n), y1 = y0.clone();
    scalar.accept(x, y0);
    simd.accept(x.clone(), y1);
    assertClose(name + " n=" + n, y0, y1, absTol, relTol);
  }

  @Test
  void simdIsActiveUnderTests() {
    assertThat(Kernels.simd()).as(Kernels.describe()).isEqualTo(Integer.getInteger("streamlearn.simd.bits", -1) != 0);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 7, 17, 31, 33, 100, 257})
  void blasOneAndReductions(int n) {
    float[] x = guarded(n), y = guarded(n);
    double sumTol = 2e-6 * n;
    assertThat((double) SimdKernels.dot(n, x, OFF, y, OFF)).as("dot n=%d", n)
        .isCloseTo(ScalarKernels.dot(n, x, OFF, y, OFF), org.assertj.core.data.Offset.offset(sumTol));
    assertThat((double) SimdKernels.sum(n, x, OFF)).as("sum n=%d", n)
        .isCloseTo(ScalarKernels.sum(n, x, OFF), org.assertj.core.data.Offset.offset(sumTol));
    assertThat((double) SimdKernels.sumSquares(n, x, OFF)).as("sumSquares n=%d", n)
        .isCloseTo(ScalarKernels.sumSquares(n, x, OFF), org.assertj.core.data.Offset.offset(sumTol));
    assertThat(SimdKernels.maxAbs(n, x, OFF)).as("maxAbs n=%d", n).isEqualTo(ScalarKernels.maxAbs(n, x, OFF));

    compareUnary("axpy", n, 1e-6, 1e-6, (a, b) -> ScalarKernels.axpy(n, 0.37f, a, OFF, b, OFF),
        (a, b) -> SimdKernels.axpy(n, 0.37f, a, OFF, b, OFF));
    compareUnary("scale", n, 0, 1e-7, (a, b) -> ScalarKernels.scale(n, -1.7f, b, OFF),
        (a, b) -> SimdKernels.scale(n, -1.7f, b, OFF));
    compareUnary("clamp", n, 0, 0, (a, b) -> ScalarKernels.clamp(n, -0.5f, 0.25f, b, OFF),
        (a, b) -> SimdKernels.clamp(n, -0.5f, 0.25f, b, OFF));
  }

  @Test
  void maxAbsPropagatesNaN() {
    for (int n : SIZES) {
      float[] x = random(n);
      x[n / 2] = Float.NaN;
      assertThat(Kernels.maxAbs(n, x, 0)).as("n=%d", n).isNaN();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 7, 17, 31, 33, 100, 257})
  void activations(int n) {
    compareUnary("relu", n, 0, 0, (x, y) -> ScalarKernels.relu(n, x, OFF, y, OFF), (x, y) -> SimdKernels.relu(n, x, OFF, y, OFF));
    compareUnary("leakyRelu", n, 0, 1e-7, (x, y) -> ScalarKernels.leakyRelu(n, 0.01f, x, OFF, y, OFF),
        (x, y) -> SimdKernels.leakyRelu(n, 0.01f, x, OFF, y, OFF));
    // The same FloatMath operations lane-wise and in the scalar tail: equal, not close.
    compareUnary("sigmoid", n, 0, 0, (x, y) -> ScalarKernels.sigmoid(n, x, OFF, y, OFF),
        (x, y) -> SimdKernels.sigmoid(n, x, OFF, y, OFF));
    compareUnary("tanh", n, 0, 0, (x, y) -> ScalarKernels.tanh(n, x, OFF, y, OFF),
        (x, y) -> SimdKernels.tanh(n, x, OFF, y, OFF));
    compareUnary("exp", n, 0, 0, (x, y) -> ScalarKernels.exp(n, x, OFF, y, OFF),
        (x, y) -> SimdKernels.exp(n, x, OFF, y, OFF));
    // Backward kernels accumulate into dx (reluBackward overwrites it): start from a non-zero dx.
    float[] out = guarded(n), dy = guarded(n);
    compareUnary("reluBackward", n, 1e-7, 1e-6, (x, dx) -> ScalarKernels.reluBackward(n, out, OFF, dy, OFF, dx, OFF),
        (x, dx) -> SimdKernels.reluBackward(n, out, OFF, dy, OFF, dx, OFF));
    compareUnary("leakyReluBackward", n, 1e-7, 1e-6,
        (x, dx) -> ScalarKernels.leakyReluBackward(n, 0.1f, out, OFF, dy, OFF, dx, OFF),
        (x, dx) -> SimdKernels.leakyReluBackward(n, 0.1f, out, OFF, dy, OFF, dx, OFF));
    compareUnary("sigmoidBackward", n, 1e-7, 1e-6, (x, dx) -> ScalarKernels.sigmoidBackward(n, out, OFF, dy, OFF, dx, OFF),
        (x, dx) -> SimdKernels.sigmoidBackward(n, out, OFF, dy, OFF, dx, OFF));
    compareUnary("tanhBackward", n, 1e-7, 1e-6, (x, dx) -> ScalarKernels.tanhBackward(n, out, OFF, dy, OFF, dx, OFF),
        (x, dx) -> SimdKernels.tanhBackward(n, out, OFF, dy, OFF, dx, OFF));
  }

  /** Floats of every magnitude up to ±200 by bit pattern, the special values, and NaN. */
  float[] wideInputs(int n) {
    float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
        -Float.MIN_VALUE, 88.7f, 89f, 89.1f, -86.98f, -86.99f, -87.5f, 0.625f, -0.625f, Math.nextDown(0.625f),
        1e-20f, -1e-20f, 9f, -9f, 1e30f, -1e30f};
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      if (i < special.length) { x[i] = special[i]; continue; }
      float v;
      do v = Float.intBitsToFloat(rnd.nextInt()); while (!(Math.abs(v) <= 200f));
      x[i] = v;
    }
    return x;
  }

  @Test
  void simdExpTanhSigmoidEqualFloatMathBitForBit() {
    int n = 64 * SimdKernels.L + 5;
    float[] x = wideInputs(n);
    // Shuffle the specials over all lane positions.
    for (int i = n - 1; i > 0; i--) { int j = rnd.nextInt(i + 1); float t = x[i]; x[i] = x[j]; x[j] = t; }
    float[] y = new float[n + OFF];
    SimdKernels.tanh(n, x, 0, y, OFF);
    assertSameBits("tanh", x, y, FloatMath::tanh);
    SimdKernels.sigmoid(n, x, 0, y, OFF);
    assertSameBits("sigmoid", x, y, FloatMath::sigmoid);
    for (int i = 0; i + SimdKernels.L <= n; i += SimdKernels.L)
      VectorMath.exp(jdk.incubator.vector.FloatVector.fromArray(SimdKernels.F, x, i)).intoArray(y, OFF + i);
    assertSameBits("exp", java.util.Arrays.copyOf(x, SimdKernels.F.loopBound(n)), y, FloatMath::exp);
  }

  static void assertSameBits(String what, float[] x, float[] y, java.util.function.Function<Float, Float> f) {
    for (int i = 0; i < x.length; i++) {
      float want = f.apply(x[i]), got = y[OFF + i];
      if (Float.isNaN(want) ? !Float.isNaN(got) : Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got))
        fail(what + "(" + x[i] + ") at " + i + ": SIMD " + got + ", FloatMath " + want);
    }
  }

  /** VectorMath.sumLanes and its two-stage form (fold in registers, rest from memory) are one tree. */
  @Test
  void laneSumsAreOneFixedPairwiseTree() {
    int L = SimdKernels.L;
    float[] v = new float[L], t = new float[L + 3];
    for (int trial = 0; trial < 2000; trial++) {
      // Magnitudes from 1e-8 to 1e8 and both signs, so the order of additions shows in the result.
      for (int i = 0; i < L; i++) v[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * Math.pow(10, rnd.nextInt(-8, 9)) * rnd.nextDouble());
      float[] tree = v.clone();
      for (int h = L / 2; h > 0; h /= 2)
        for (int i = 0; i < h; i++) tree[i] += tree[i + h];
      var vec = jdk.incubator.vector.FloatVector.fromArray(SimdKernels.F, v, 0);
      assertThat(Float.floatToRawIntBits(VectorMath.sumLanes(vec))).as("sumLanes %s", java.util.Arrays.toString(v))
          .isEqualTo(Float.floatToRawIntBits(tree[0]));
      vec.add(vec.rearrange(VectorMath.HALF)).intoArray(t, 3);
      assertThat(Float.floatToRawIntBits(VectorMath.sumFolded(t, 3))).as("sumFolded %s", java.util.Arrays.toString(v))
          .isEqualTo(Float.floatToRawIntBits(tree[0]));
      // Two vectors folded by one permute (as NT's dot products do): each half sums to its vector's tree.
      var other = jdk.incubator.vector.FloatVector.fromArray(SimdKernels.F, v, 0).mul(-3f).add(1e-3f);
      var u = VectorMath.UPPER;
      vec.blend(other, u).add(other.blend(vec, u).rearrange(VectorMath.HALF)).intoArray(t, 3);
      float[] otherTree = new float[L];
      other.intoArray(otherTree, 0);
      for (int h = L / 2; h > 0; h /= 2)
        for (int i = 0; i < h; i++) otherTree[i] += otherTree[i + h];
      assertThat(Float.floatToRawIntBits(VectorMath.sumFolded(t, 3 + L / 2))).as("paired sumFolded, upper")
          .isEqualTo(Float.floatToRawIntBits(otherTree[0]));
      assertThat(Float.floatToRawIntBits(VectorMath.sumFolded(t, 3))).as("paired sumFolded, lower")
          .isEqualTo(Float.floatToRawIntBits(tree[0]));
    }
  }

  @Test
  void sigmoidAndTanhSaturateWithoutNaN() {
    float[] x = {-1e4f, -100f, -20f, 0f, 20f, 100f, 1e4f, -88f, 89f, 0.5f, -0.5f, 3f, -3f, 15f, -15f, 1f, 2f};
    float[] y = new float[x.length];
    Kernels.sigmoid(x.length, x, 0, y, 0);
    for (float v : y) assertThat(v).isBetween(0f, 1f);
    Kernels.tanh(x.length, x, 0, y, 0);
    for (float v : y) assertThat(v).isBetween(-1f, 1f);
  }

  @Test
  void rowAndColumnReductions() {
    int[][] shapes = {{1, 1}, {3, 7}, {7, 17}, {5, 33}, {4, 100}, {2, 257}};
    for (int[] s : shapes) {
      int rows = s[0], cols = s[1], ld = cols + 3;
      float[] x = guarded(rows * ld);
      float[] o0 = guarded(rows), o1 = o0.clone();
      ScalarKernels.rowSums(rows, cols, x, OFF, ld, o0, OFF);
      SimdKernels.rowSums(rows, cols, x, OFF, ld, o1, OFF);
      assertClose("rowSums " + rows + "x" + cols, o0, o1, 2e-6 * cols, 0);

      float[] bias = guarded(cols);
      float[] y0 = guarded(rows * ld), y1 = y0.clone();
      ScalarKernels.addBias(rows, cols, bias, OFF, y0, OFF, ld);
      SimdKernels.addBias(rows, cols, bias, OFF, y1, OFF, ld);
      assertClose("addBias " + rows + "x" + cols, y0, y1, 1e-7, 1e-7);

      float[] db0 = guarded(cols), db1 = db0.clone();
      ScalarKernels.biasGrad(rows, cols, x, OFF, ld, db0, OFF);
      SimdKernels.biasGrad(rows, cols, x, OFF, ld, db1, OFF);
      assertClose("biasGrad " + rows + "x" + cols, db0, db1, 2e-6 * rows, 0);

      // Standardization is one subtraction and one division per value: the same bits on every path
      // (a consumer in numpy repeats it), so compared exactly, guard cells included.
      float[] mean = guarded(cols), std = guarded(cols);
      for (int c = 0; c < cols; c++) std[OFF + c] = 0.25f + Math.abs(std[OFF + c]);
      float[] z0 = guarded(rows * ld), z1 = z0.clone(), zIn = z0.clone();
      ScalarKernels.standardizeRows(rows, cols, z0, OFF, ld, mean, OFF, std, OFF);
      SimdKernels.standardizeRows(rows, cols, z1, OFF, ld, mean, OFF, std, OFF);
      assertThat(z1).as("standardizeRows %dx%d", rows, cols).containsExactly(z0);
      assertThat(z1).as("standardizeRows wrote x").isNotEqualTo(zIn);
    }
  }

  @Test
  void softmaxRows() {
    for (int cols : SIZES) {
      int rows = 3;
      float[] x = guarded(rows * cols);
      for (int i = 0; i < rows * cols; i++) x[OFF + i] *= 30f; // large logits: stability matters
      float[] y0 = guarded(rows * cols), y1 = y0.clone();
      ScalarKernels.softmaxRows(rows, cols, x, OFF, y0, OFF);
      SimdKernels.softmaxRows(rows, cols, x, OFF, y1, OFF);
      assertClose("softmax cols=" + cols, y0, y1, 1e-7, 1e-5);
      for (int r = 0; r < rows; r++)
        assertThat((double) ScalarKernels.sum(cols, y1, OFF + r * cols)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      float[] l0 = guarded(rows * cols), l1 = l0.clone();
      ScalarKernels.logSoftmaxRows(rows, cols, x, OFF, l0, OFF);
      SimdKernels.logSoftmaxRows(rows, cols, x, OFF, l1, OFF);
      assertClose("logSoftmax cols=" + cols, l0, l1, 1e-5, 1e-6);
    }
    float[] huge = {1000f, 1001f, -1000f};
    float[] out = new float[3];
    Kernels.logSoftmaxRows(1, 3, huge, 0, out, 0);
    for (float v : out) assertThat(v).isFinite();
  }

  interface Gemm {
    void run(int M, int N, int K, float alpha, float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
        float beta, float[] C, int cOff, int ldc);
  }

  /** GEMM in each layout, odd shapes, padded leading dimensions, offsets, and alpha/beta cases. */
  @ParameterizedTest
  @ValueSource(strings = {"NN", "NT", "TN"})
  void gemm(String layout) {
    Gemm ref = switch (layout) {
      case "NN" -> ScalarKernels::gemmNN;
      case "NT" -> ScalarKernels::gemmNT;
      default -> ScalarKernels::gemmTN;
    };
    Gemm simd = switch (layout) {
      case "NN" -> SimdGemm::gemmNN;
      case "NT" -> SimdGemm::gemmNT;
      default -> SimdGemm::gemmTN;
    };
    int[] dims = {1, 3, 7, 10, 17, 33, 100, 257};
    float[][] ab = {{1f, 0f}, {1f, 1f}, {-1f, 1f}, {0.5f, -2f}};
    int cases = 0;
    for (int M : dims) for (int N : dims) for (int K : new int[] {1, 7, 31, 100, 257}) {
      if ((long) M * N * K > 3_000_000) continue;
      float[] albe = ab[cases++ % ab.length];
      // Stored shapes: NN A[M×K] B[K×N]; NT A[M×K] B[N×K]; TN A[K×M] B[K×N].
      int aRows = layout.equals("TN") ? K : M, aCols = layout.equals("TN") ? M : K;
      int bRows = layout.equals("NT") ? N : K, bCols = layout.equals("NT") ? K : N;
      int lda = aCols + 3, ldb = bCols + 1, ldc = N + 2;
      float[] A = guarded(aRows * lda), B = guarded(bRows * ldb);
      float[] C0 = guarded(M * ldc), C1 = C0.clone();
      ref.run(M, N, K, albe[0], A, OFF, lda, B, OFF, ldb, albe[1], C0, OFF, ldc);
      simd.run(M, N, K, albe[0], A, OFF, lda, B, OFF, ldb, albe[1], C1, OFF, ldc);
      // Padding columns (between N and ldc) are guard cells too: compare the whole buffer.
      assertClose(String.format("gemm%s M=%d N=%d K=%d alpha=%s beta=%s", layout, M, N, K, albe[0], albe[1]),
          C0, C1, 2e-6 * K + 1e-6, 1e-6);
    }
    assertThat(cases).isGreaterThan(100);
  }

  /**
   * ReLU's backward overwrites dx in one pass, dx = dy where y &gt; 0 and 0 elsewhere, with the bits of
   * adding that to a zeroed dx (0 + dy: a −0 gradient becomes +0), whatever dx held; at every width
   * the vector loop and the scalar tail take.
   */
  @Test
  void reluBackwardOverwritesWithTheBitsOfZeroPlusTheMaskedGradient() {
    for (int n : new int[] {1, 7, 8, 17, 33, 100}) {
      float[] y = new float[n], dy = new float[n];
      for (int i = 0; i < n; i++) {
        y[i] = i % 3 == 0 ? -1f : i % 3 == 1 ? 0f : 0.5f + i;
        dy[i] = i % 4 == 0 ? -0f : (i % 2 == 0 ? 1 : -1) * (0.25f + i);
      }
      for (boolean simd : new boolean[] {false, true}) {
        float[] dx = new float[n];
        java.util.Arrays.fill(dx, Float.NaN);
        if (simd) SimdKernels.reluBackward(n, y, 0, dy, 0, dx, 0);
        else ScalarKernels.reluBackward(n, y, 0, dy, 0, dx, 0);
        for (int i = 0; i < n; i++)
          assertThat(Float.floatToRawIntBits(dx[i])).as("%s n=%d i=%d", simd ? "simd" : "scalar", n, i)
              .isEqualTo(Float.floatToRawIntBits(0f + (y[i] > 0f ? dy[i] : 0f)));
      }
    }
  }

  /**
   * A dense layer's bias and the ReLU after it in one pass have the bits of addBias then relu, on the
   * vector and the scalar path, at widths the vector loop, the scalar tail and both take (negative
   * sums, −0 and exact zeros included); x is left as it was.
   */
  /**
   * gemmNNReluBackward against gemmNN then reluBackward on each row, bit for bit: every form NN takes
   * (a single row, rows in blocks of 6, 5, 4 and 1, B read in place and copied, {@link SimdGemm}'s
   * rowwise form for short K, 2- and 3-vector panels, single vectors, the scalar column tail, K over
   * two K-blocks), beta 0 and 1, C and Y with a row stride past N; Y holds exact zeros and −0 (masked
   * off) and C −0 products. Cells of C outside the M × N block keep their guards.
   */
  @Test
  void gemmNNReluBackwardHasTheBitsOfGemmNNThenReluBackward() {
    int cases = 0;
    for (int M : new int[] {1, 4, 6, 10, 16, 33, 100, 131}) for (int N : new int[] {10, 24, 64, 100, 257})
      for (int K : new int[] {7, 10, 200, SimdGemm.KC + 44}) for (float beta : new float[] {0f, 1f}) {
        int ldc = N + 3;
        float[] A = random(M * K), B = random(K * N), Y = random(M * ldc + 8), C0 = random(M * ldc + 8);
        for (int i = 0; i < Y.length; i += 7) Y[i] = i % 2 == 0 ? 0f : -0f;
        if (M > 2) java.util.Arrays.fill(A, 2 * K, 3 * K, -0f); // row 2 of the product: signed zeros
        float[] expected = C0.clone(), C = C0.clone();
        Kernels.gemmNN(M, N, K, 1.3f, A, 0, K, B, 0, N, beta, expected, 4, ldc);
        for (int i = 0; i < M; i++) Kernels.reluBackward(N, Y, 2 + i * ldc, expected, 4 + i * ldc, expected, 4 + i * ldc);
        Kernels.gemmNNReluBackward(M, N, K, 1.3f, A, 0, K, B, 0, N, beta, C, 4, ldc, Y, 2);
        for (int i = 0; i < C.length; i++)
          if (Float.floatToRawIntBits(C[i]) != Float.floatToRawIntBits(expected[i]))
            fail(String.format("M=%d N=%d K=%d beta=%s: C[%d] %s, gemmNN then reluBackward %s", M, N, K, beta, i, C[i],
                expected[i]));
        cases++;
      }
    assertThat(cases).isEqualTo(8 * 5 * 4 * 2);
  }

  @Test
  void addBiasReluHasTheBitsOfAddBiasThenRelu() {
    for (int cols : new int[] {1, 7, 8, 17, 33, 100, 257})
      for (int rows : new int[] {1, 3}) {
        int n = rows * cols;
        float[] bias = random(cols), x = random(n);
        for (int i = 0; i < n; i += 5) x[i] = -bias[i % cols]; // sums of exactly 0
        if (n > 1) x[1] = -0f;
        bias[0] = -0f;
        float[] expected = x.clone();
        ScalarKernels.addBias(rows, cols, bias, 0, expected, 0, cols);
        ScalarKernels.relu(n, expected, 0, expected, 0);
        float[] simdExpected = x.clone();
        SimdKernels.addBias(rows, cols, bias, 0, simdExpected, 0, cols);
        SimdKernels.relu(n, simdExpected, 0, simdExpected, 0);
        for (boolean simd : new boolean[] {false, true}) {
          float[] in = x.clone(), y = new float[n + 2 * OFF];
          java.util.Arrays.fill(y, GUARD);
          if (simd) SimdKernels.addBiasRelu(rows, cols, bias, 0, in, 0, y, OFF);
          else ScalarKernels.addBiasRelu(rows, cols, bias, 0, in, 0, y, OFF);
          assertThat(in).as("x untouched").isEqualTo(x);
          for (int i = 0; i < n; i++) {
            assertThat(Float.floatToRawIntBits(y[OFF + i])).as("%s %dx%d i=%d", simd ? "simd" : "scalar", rows, cols, i)
                .isEqualTo(Float.floatToRawIntBits(expected[i]))
                .isEqualTo(Float.floatToRawIntBits(simdExpected[i]));
          }
          assertThat(y[OFF - 1]).isEqualTo(GUARD);
          assertThat(y[OFF + n]).isEqualTo(GUARD);
        }
      }
  }

  /**
   * Which micro-kernel computes an element (6 × 4, 8 × 3, 8 × 2, 4 × 2, … down to one row) does not
   * change its bits: NN and TN on several rows equal the same products one row at a time, for row
   * counts that take every split of {@code sixBlocks} (blocks of 6, then 8, 16 or 4 rows, an odd
   * last row) and of the 2-vector panels' 6 × 2 tiles at 16 registers (then 8 as 4 + 4, or 4, rows,
   * then single rows), widths with and without whole 4-vector panels, K within one K-block and over
   * two ({@link SimdGemm#KC}); TN from 128 rows on (A's K-blocks transposed first) against TN on one
   * row (read in place).
   */
  @Test
  void gemmRowsHaveTheBitsOfOneRowAtATime() {
    for (int M : new int[] {6, 10, 11, 13, 16, 33, 50, 64, 131, 257}) for (int N : new int[] {64, 100, 257}) for (int K : new int[] {7, SimdGemm.KC + 44}) {
      float[] A = random(M * K), B = random(K * N), C = new float[M * N], row = new float[N];
      Kernels.gemmNN(M, N, K, 1.3f, A, 0, K, B, 0, N, 0f, C, 0, N);
      for (int i = 0; i < M; i++) {
        Kernels.gemmNN(1, N, K, 1.3f, A, i * K, K, B, 0, N, 0f, row, 0, N);
        for (int j = 0; j < N; j++)
          assertThat(Float.floatToRawIntBits(C[i * N + j])).as("NN C[%d,%d] M=%d N=%d K=%d", i, j, M, N, K)
              .isEqualTo(Float.floatToRawIntBits(row[j]));
      }
      Kernels.gemmTN(M, N, K, -0.7f, A, 0, M, B, 0, N, 0f, C, 0, N); // A read as [K×M]
      for (int i = 0; i < M; i++) {
        Kernels.gemmTN(1, N, K, -0.7f, A, i, M, B, 0, N, 0f, row, 0, N);
        for (int j = 0; j < N; j++)
          assertThat(Float.floatToRawIntBits(C[i * N + j])).as("TN C[%d,%d] M=%d N=%d K=%d", i, j, M, N, K)
              .isEqualTo(Float.floatToRawIntBits(row[j]));
      }
    }
  }

  /**
   * NT at the widths where its panels end: whole panels plus a leftover panel of 1–3 vectors (exact
   * or zero-padded), and widths below one panel (the 10-wide output layer), with rows that are and
   * are not a multiple of 4 and K across the K-block ({@link SimdGemm#NT_KC}).
   */
  @Test
  void gemmNTPanelEdges() {
    int L = SimdKernels.L;
    int[] widths = {10, L, 2 * L + 3, 3 * L, 3 * L + L, 3 * L + L + 1, 3 * L + 2 * L, 5 * 3 * L + L, 5 * 3 * L + 2 * L + 5};
    int cases = 0;
    for (int M : new int[] {4, 5, 16, 19}) for (int N : widths) for (int K : new int[] {3, 2 * L + 1, 300, SimdGemm.NT_KC + 44}) {
      float alpha = cases % 2 == 0 ? 1f : -0.5f, beta = cases % 3 == 0 ? 0f : 1f;
      cases++;
      int lda = K + 1, ldb = K + 2, ldc = N + 3;
      float[] A = guarded(M * lda), B = guarded(N * ldb), C0 = guarded(M * ldc), C1 = C0.clone();
      ScalarKernels.gemmNT(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C0, OFF, ldc);
      SimdGemm.gemmNT(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C1, OFF, ldc);
      assertClose(String.format("gemmNT M=%d N=%d K=%d", M, N, K), C0, C1, 2e-6 * K + 1e-6, 1e-6);
    }
  }

  /**
   * NT's two panel forms, B transposed (ntPacked) and A and C transposed (ntSwapped), give the same
   * bits: which one runs depends on N, and a split across threads cuts N. Rows that are and are not
   * a multiple of 4 and of the lanes, widths with and without a leftover panel, K within one K-block
   * and over several, alpha and beta cases; C is compared whole (guard cells too), and with beta 0 it
   * starts as NaN, which neither form may read.
   */
  @Test
  void gemmNTPanelFormsAgreeBitForBit() {
    int L = SimdKernels.L;
    float[][] ab = {{1f, 0f}, {1f, 1f}, {-0.5f, 0.25f}, {2f, 0f}};
    int cases = 0;
    for (int M : new int[] {4, 7, 32, 37, 50, 64})
      for (int N : new int[] {3 * L, 4 * L, 5 * 3 * L + 2 * L + 5, 256})
        for (int K : new int[] {2 * L + 1, 300, 784, SimdGemm.NT_KC + 44}) {
          float alpha = ab[cases % ab.length][0], beta = ab[cases % ab.length][1];
          cases++;
          int lda = K + 3, ldb = K + 1, ldc = N + 2;
          float[] A = guarded(M * lda), B = guarded(N * ldb), C0 = guarded(M * ldc);
          if (beta == 0f)
            for (int i = 0; i < M; i++) java.util.Arrays.fill(C0, OFF + i * ldc, OFF + i * ldc + N, Float.NaN);
          float[] C1 = C0.clone();
          SimdGemm.ntPacked(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C0, OFF, ldc);
          SimdGemm.ntSwapped(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C1, OFF, ldc);
          for (int i = 0; i < C0.length; i++)
            assertThat(Float.floatToRawIntBits(C1[i]))
                .as("C[%d] M=%d N=%d K=%d alpha=%s beta=%s", i, M, N, K, alpha, beta)
                .isEqualTo(Float.floatToRawIntBits(C0[i]));
        }
  }

  /**
   * NT in the dot-product form (SimdNtDot): rows around its tile height (L/2) and below the
   * packed-panel threshold, widths below a panel (the 10-wide output layer, 1, 2, odd) and above it,
   * K around whole vectors (the scalar k tail of each tile) and from {@link SimdNtDot#LONG_K} on (two k
   * steps an iteration; an odd number of vectors leaves one), padded leading dimensions, offsets, and
   * beta 0 (C full of NaN must not leak), 1 and another value.
   */
  @Test
  void gemmNTDotForm() {
    int L = SimdKernels.L;
    float[][] ab = {{1f, 0f}, {1f, 1f}, {-0.5f, 0.25f}, {2f, 0f}};
    int cases = 0;
    for (int M : new int[] {1, L / 2, L / 2 + 1, L - 1, 16, 17, 31, 40})
      for (int N : new int[] {1, 2, 3, 10, 11, 3 * L + 1, 256})
        for (int K : new int[] {1, L - 1, L, L + 1, 3 * L + 5, SimdNtDot.LONG_K, SimdNtDot.LONG_K + L + 3, 784}) {
          float alpha = ab[cases % ab.length][0], beta = ab[cases % ab.length][1];
          cases++;
          int lda = K + 3, ldb = K + 1, ldc = N + 2;
          float[] A = guarded(M * lda), B = guarded(N * ldb), C0 = guarded(M * ldc), C1 = C0.clone();
          if (beta == 0f)
            for (int i = 0; i < M; i++) java.util.Arrays.fill(C1, OFF + i * ldc, OFF + i * ldc + N, Float.NaN);
          ScalarKernels.gemmNT(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C0, OFF, ldc);
          SimdGemm.gemmNT(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C1, OFF, ldc);
          assertClose(String.format("gemmNT M=%d N=%d K=%d alpha=%s beta=%s", M, N, K, alpha, beta), C0, C1,
              2e-6 * K + 1e-6, 1e-6);
        }
  }

  /**
   * The fused rank-1 update and matrix-vector product against its definition, gemmTN (K = 1) then
   * gemmNT (M = 1), bit for bit: W and y. Heights around the row tiles, widths around whole vectors,
   * a padded leading dimension, offsets, and y full of NaN (not read).
   */
  @Test
  void rank1ThenGemvIsTheTwoProducts() {
    int L = SimdKernels.L;
    for (int N : new int[] {1, 3, L / 2, L / 2 + 1, L, L + 3, 48, 100, 257})
      for (int K : new int[] {1, L - 1, L, L + 1, 100, 784}) {
        int ldw = K + 3;
        float[] W0 = guarded(N * ldw), W1 = W0.clone(), d = guarded(N), xp = guarded(K), x = guarded(K);
        float[] y0 = guarded(N), y1 = y0.clone();
        java.util.Arrays.fill(y1, OFF, OFF + N, Float.NaN);
        float lr = -0.37f;
        Kernels.gemmTN(N, K, 1, lr, d, OFF, N, xp, OFF, K, 1f, W0, OFF, ldw);
        Kernels.gemmNT(1, N, K, 1f, x, OFF, K, W0, OFF, ldw, 0f, y0, OFF, N);
        Kernels.rank1ThenGemv(N, K, lr, d, OFF, xp, OFF, W1, OFF, ldw, x, OFF, y1, OFF);
        String at = "N=" + N + " K=" + K;
        for (int i = 0; i < W0.length; i++)
          assertThat(Float.floatToRawIntBits(W1[i])).as("W[%d] %s", i, at).isEqualTo(Float.floatToRawIntBits(W0[i]));
        for (int i = 0; i < y0.length; i++)
          assertThat(Float.floatToRawIntBits(y1[i])).as("y[%d] %s", i, at).isEqualTo(Float.floatToRawIntBits(y0[i]));
      }
  }

  /**
   * beta 0 never reads C, in every layout, including matrix-vector products, rank-1 updates (K = 1)
   * and NT's panel form, which writes C in its first K-block instead of zeroing it first.
   */
  /**
   * NN and TN give every element of C (over whole vectors of columns, one K-block) the bits of its
   * definition as the kernels compute it: one FMA chain in k from +0, then fma(acc, alpha, C or +0).
   * Every micro-kernel, packed or in place, panel by panel or row block by row block (rowwise), and
   * the store as acc + c when alpha is 1 (exact: acc·1 rounds nowhere), must agree with it: thread
   * splits and the choice among them rely on it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"NN", "TN"})
  void gemmElementsAreOneFmaChainInK(String layout) {
    int L = SimdKernels.L;
    int cases = 0;
    for (int M : new int[] {1, 2, 4, 5, 6, 7, 10, 13, 16, 33, 100, 130}) for (int w : new int[] {1, 2, 3, 5, 16, 98})
      for (int K : new int[] {1, 2, 10, 16, 31, 100, SimdGemm.KC}) { // KC: one K-block; past 128 at 8 lanes (panel2)
        int N = w * L;
        if ((long) M * N * K > 1_500_000) continue;
        for (float alpha : new float[] {1f, -0.7f}) for (float beta : new float[] {0f, 1f}) {
          boolean tn = layout.equals("TN");
          int lda = (tn ? M : K) + 3, ldb = N + 1, ldc = N + 2;
          float[] A = guarded((tn ? K : M) * lda), B = guarded(K * ldb), C = guarded(M * ldc), C0 = C.clone();
          if (tn) SimdGemm.gemmTN(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C, OFF, ldc);
          else SimdGemm.gemmNN(M, N, K, alpha, A, OFF, lda, B, OFF, ldb, beta, C, OFF, ldc);
          for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
              float acc = 0f;
              for (int k = 0; k < K; k++)
                acc = Math.fma(tn ? A[OFF + k * lda + i] : A[OFF + i * lda + k], B[OFF + k * ldb + j], acc);
              int c = OFF + i * ldc + j;
              float want = Math.fma(acc, alpha, beta == 0f ? 0f : C0[c]);
              if (Float.floatToRawIntBits(C[c]) != Float.floatToRawIntBits(want))
                fail(String.format("gemm%s M=%d N=%d K=%d alpha=%s beta=%s: C[%d][%d] = %s, its FMA chain %s", layout,
                    M, N, K, alpha, beta, i, j, C[c], want));
            }
          cases++;
        }
      }
    assertThat(cases).isGreaterThan(200);
  }

  @Test
  void gemmWithBetaZeroIgnoresGarbageInC() {
    // NT's panel form from 32 rows on: whole panels, a zero-padded leftover panel (through a tile
    // when narrower than its vectors), rows past the last block of 4, and K over two K-blocks.
    for (int[] s : new int[][] {{5, 33, 17}, {1, 33, 17}, {1, 256, 784}, {256, 33, 1}, {3, 17, 1}, {64, 256, 784},
        {64, 256, SimdGemm.NT_KC + 44}, {37, 100, 300}, {40, 53, 20}}) {
      int M = s[0], N = s[1], K = s[2];
      float[] A = random(M * K), B = random(K * N), C = new float[M * N];
      java.util.Arrays.fill(C, Float.NaN);
      Kernels.gemmNN(M, N, K, 1f, A, 0, K, B, 0, N, 0f, C, 0, N);
      for (float v : C) assertThat(v).as("NN %dx%dx%d", M, N, K).isFinite();
      java.util.Arrays.fill(C, Float.NaN);
      Kernels.gemmNT(M, N, K, 1f, A, 0, K, B, 0, K, 0f, C, 0, N); // B read as [N×K]
      for (float v : C) assertThat(v).as("NT %dx%dx%d", M, N, K).isFinite();
      java.util.Arrays.fill(C, Float.NaN);
      Kernels.gemmTN(M, N, K, 1f, A, 0, M, B, 0, N, 0f, C, 0, N); // A read as [K×M]
      for (float v : C) assertThat(v).as("TN %dx%dx%d", M, N, K).isFinite();
    }
  }

  @Test
  void fusedOptimizerUpdates() {
    for (int n : SIZES) {
      float[] p = random(n), g = random(n), s = random(n), m = random(n), v = random(n);
      for (int i = 0; i < n; i++) { s[i] = Math.abs(s[i]); v[i] = Math.abs(v[i]); }
      check("sgd", n, p, g, null, null, (a) -> ScalarKernels.sgd(0, n, a[0], a[1], 0.1f, 0.01f),
          (a) -> SimdKernels.sgd(0, n, a[0], a[1], 0.1f, 0.01f));
      for (boolean nest : new boolean[] {false, true})
        check("momentum nesterov=" + nest, n, p, g, s, null,
            (a) -> ScalarKernels.momentum(0, n, a[0], a[1], a[2], 0.1f, 0.9f, 0.01f, nest),
            (a) -> SimdKernels.momentum(0, n, a[0], a[1], a[2], 0.1f, 0.9f, 0.01f, nest));
      check("adagrad", n, p, g, s, null, (a) -> ScalarKernels.adagrad(0, n, a[0], a[1], a[2], 0.1f, 1e-10f, 0.01f),
          (a) -> SimdKernels.adagrad(0, n, a[0], a[1], a[2], 0.1f, 1e-10f, 0.01f));
      check("rmsprop", n, p, g, s, null, (a) -> ScalarKernels.rmsprop(0, n, a[0], a[1], a[2], 0.01f, 0.99f, 1e-8f, 0.01f),
          (a) -> SimdKernels.rmsprop(0, n, a[0], a[1], a[2], 0.01f, 0.99f, 1e-8f, 0.01f));
      check("adamw", n, p, g, m, v, (a) -> ScalarKernels.adam(0, n, a[0], a[1], a[2], a[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.001f, 0.01f),
          (a) -> SimdKernels.adam(0, n, a[0], a[1], a[2], a[3], 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.001f, 0.01f));
    }
  }

  /**
   * Adam without L2 and decay takes a loop of its own (two vector operations fewer): the same bits as
   * the general loop with both zero, for finite parameters, gradients of both signed zeros, zero
   * moments and moments in the subnormal range.
   */
  @Test
  void plainAdamHasTheBitsOfTheGeneralLoop() {
    for (int n : SIZES) {
      float[] p = random(n), g = random(n), m = random(n), v = random(n);
      for (int i = 0; i < n; i++) {
        v[i] = Math.abs(v[i]);
        if (i % 5 == 1) g[i] = i % 2 == 0 ? 0f : -0f;
        if (i % 7 == 2) m[i] = v[i] = 0f;
        if (i % 11 == 3) m[i] = v[i] = Float.MIN_NORMAL;
      }
      float[][] a = {p.clone(), m.clone(), v.clone()}, b = {p.clone(), m.clone(), v.clone()};
      for (int t = 1; t <= 3; t++) { // three steps: the second and third start from the moments the first wrote
        float c1 = (float) (1 - Math.pow(0.9, t)), c2 = (float) (1 - Math.pow(0.999, t));
        SimdKernels.adamGeneral(0, n, a[0], g, a[1], a[2], 1e-3f, 0.9f, 0.999f, 1e-8f, c1, c2, 0f, 0f);
        SimdKernels.adamPlain(0, n, b[0], g, b[1], b[2], 1e-3f, 0.9f, 0.999f, 1e-8f, c1, c2);
      }
      for (int k = 0; k < 3; k++) assertThat(b[k]).as("n=%d array %d", n, k).containsExactly(a[k]);
    }
  }

  /**
   * A state that decays below 2^−126 (here: from the smallest normal float, with a zero gradient) is
   * stored as +0 by every optimizer, on both paths and in the SIMD kernels' scalar tails; a state
   * that stays normal is kept. Without the flush the state sits among the subnormals for hundreds of
   * steps, and on Intel cores every instruction that touches one takes a microcode assist.
   */
  @Test
  void optimizerStateThatDecaysBelowTheNormalRangeIsStoredAsZero() {
    float tiny = Float.MIN_NORMAL, sub = Float.MIN_NORMAL / 2;
    for (int n : SIZES)
      for (boolean simd : new boolean[] {false, true}) {
        String on = (simd ? "simd" : "scalar") + " n=" + n;
        float[] p = random(n), g = new float[n], v = filled(n, tiny);
        if (simd) SimdKernels.momentum(0, n, p.clone(), g, v, 0.1f, 0.9f, 0f, true);
        else ScalarKernels.momentum(0, n, p.clone(), g, v, 0.1f, 0.9f, 0f, true);
        assertPlusZero("momentum " + on, v);
        float[] s = filled(n, sub);
        if (simd) SimdKernels.adagrad(0, n, p.clone(), g, s, 0.1f, 1e-10f, 0f);
        else ScalarKernels.adagrad(0, n, p.clone(), g, s, 0.1f, 1e-10f, 0f);
        assertPlusZero("adagrad " + on, s);
        s = filled(n, tiny);
        if (simd) SimdKernels.rmsprop(0, n, p.clone(), g, s, 0.01f, 0.99f, 1e-8f, 0f);
        else ScalarKernels.rmsprop(0, n, p.clone(), g, s, 0.01f, 0.99f, 1e-8f, 0f);
        assertPlusZero("rmsprop " + on, s);
        float[] m = filled(n, -tiny), w = filled(n, tiny), q = p.clone();
        if (simd) SimdKernels.adam(0, n, q, g, m, w, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0f, 0f);
        else ScalarKernels.adam(0, n, q, g, m, w, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0f, 0f);
        assertPlusZero("adam m " + on, m);
        assertPlusZero("adam v " + on, w);
        assertThat(q).as("adam p " + on).containsExactly(p);
        m = filled(n, 1f);
        w = filled(n, 1f);
        if (simd) SimdKernels.adam(0, n, p.clone(), g, m, w, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0f, 0f);
        else ScalarKernels.adam(0, n, p.clone(), g, m, w, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0f, 0f);
        assertThat(m).as("adam m stays normal " + on).containsOnly(0.9f);
        assertThat(w).as("adam v stays normal " + on).containsOnly(0.999f);
      }
  }

  private static float[] filled(int n, float x) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, x);
    return a;
  }

  private static void assertPlusZero(String what, float[] a) {
    for (int i = 0; i < a.length; i++)
      assertThat(Float.floatToRawIntBits(a[i])).as("%s [%d] = %s", what, i, a[i]).isZero();
  }

  private void check(String name, int n, float[] p, float[] g, float[] s1, float[] s2,
      Consumer<float[][]> scalar, Consumer<float[][]> simd) {
    float[][] a = {p.clone(), g.clone(), s1 == null ? null : s1.clone(), s2 == null ? null : s2.clone()};
    float[][] b = {p.clone(), g.clone(), s1 == null ? null : s1.clone(), s2 == null ? null : s2.clone()};
    scalar.accept(a);
    simd.accept(b);
    for (int k = 0; k < 4; k++)
      if (a[k] != null) assertClose(name + " n=" + n + " array " + k, a[k], b[k], 1e-6, 1e-5);
    assertThat(b[1]).as("gradient is not modified").containsExactly(g);
  }
}
