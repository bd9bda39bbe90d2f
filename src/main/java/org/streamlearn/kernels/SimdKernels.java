package org.streamlearn.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the element-wise kernels and reductions. Each loop runs full vectors to
 * {@code loopBound} and finishes with a scalar tail (no masked loads: they take a slow path near the
 * end of an array). Reductions keep two accumulators so consecutive FMAs do not wait on each other.
 *
 * <p>Every result is the same on every JIT tier (see {@link VectorMath}): sums reduce their lanes
 * with {@link VectorMath#sumLanes}, exp/tanh/sigmoid are {@link VectorMath}'s with {@link FloatMath}
 * in the scalar tails. {@code reduceLanes(MAX)} stays: max is exact and its result does not depend on
 * the order (Java's max: NaN wins, +0 above −0).
 */
final class SimdKernels {
  private SimdKernels() {}

  static final VectorSpecies<Float> F = species();
  static final int L = F.length();
  /** Vector FMA is a single instruction on every x86-64 and AArch64 CPU with ≥ 256-bit vectors. */
  static final boolean FMA = L >= 8 || !"amd64".equals(System.getProperty("os.arch"));

  private static VectorSpecies<Float> species() {
    int bits = Integer.getInteger("streamlearn.simd.bits", -1); // not via Simd: it initialises from us
    VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
    // Wider than the CPU offers only when asked to emulate it (tests of the 16-lane paths on an AVX2
    // machine: the Vector API runs such species correctly, in Java, slowly).
    if (bits > preferred.vectorBitSize() && Boolean.getBoolean("streamlearn.simd.emulate"))
      return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    if (bits <= 0 || bits >= preferred.vectorBitSize()) return preferred;
    return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
  }

  static void axpy(int n, float a, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    if (n >= L) {
      FloatVector va = FloatVector.broadcast(F, a);
      for (int end = F.loopBound(n); i < end; i += L) {
        FloatVector vy = FloatVector.fromArray(F, y, yOff + i);
        va.fma(FloatVector.fromArray(F, x, xOff + i), vy).intoArray(y, yOff + i);
      }
    }
    for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
  }

  static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    float s = 0f;
    if (n >= 2 * L) {
      FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
      for (int end = n - 2 * L; i <= end; i += 2 * L) {
        acc0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc0);
        acc1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromArray(F, y, yOff + i + L), acc1);
      }
      for (int end = F.loopBound(n); i < end; i += L)
        acc0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), acc0);
      s = VectorMath.sumLanes(acc0.add(acc1));
    }
    for (; i < n; i++) s += x[xOff + i] * y[yOff + i];
    return s;
  }

  static void scale(int n, float a, float[] x, int xOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      FloatVector.fromArray(F, x, xOff + i).mul(a).intoArray(x, xOff + i);
    for (; i < n; i++) x[xOff + i] *= a;
  }

  static float sum(int n, float[] x, int xOff) {
    int i = 0;
    float s = 0f;
    if (n >= 2 * L) {
      FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
      for (int end = n - 2 * L; i <= end; i += 2 * L) {
        acc0 = acc0.add(FloatVector.fromArray(F, x, xOff + i));
        acc1 = acc1.add(FloatVector.fromArray(F, x, xOff + i + L));
      }
      for (int end = F.loopBound(n); i < end; i += L) acc0 = acc0.add(FloatVector.fromArray(F, x, xOff + i));
      s = VectorMath.sumLanes(acc0.add(acc1));
    }
    for (; i < n; i++) s += x[xOff + i];
    return s;
  }

  static float sumSquares(int n, float[] x, int xOff) {
    return dot(n, x, xOff, x, xOff);
  }

  static float maxAbs(int n, float[] x, int xOff) {
    int i = 0;
    float m = 0f;
    if (n >= L) {
      FloatVector acc = FloatVector.zero(F);
      for (int end = F.loopBound(n); i < end; i += L)
        acc = acc.max(FloatVector.fromArray(F, x, xOff + i).abs());
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) m = Math.max(m, Math.abs(x[xOff + i]));
    return m;
  }

  static void clamp(int n, float lo, float hi, float[] x, int xOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      FloatVector.fromArray(F, x, xOff + i).max(lo).min(hi).intoArray(x, xOff + i);
    for (; i < n; i++) x[xOff + i] = Math.min(hi, Math.max(lo, x[xOff + i]));
  }

  static void rowSums(int rows, int cols, float[] x, int xOff, int ldx, float[] out, int outOff) {
    for (int r = 0; r < rows; r++) out[outOff + r] = sum(cols, x, xOff + r * ldx);
  }

  static void addBias(int rows, int cols, float[] bias, int bOff, float[] y, int yOff, int ldy) {
    for (int r = 0; r < rows; r++) axpy(cols, 1f, bias, bOff, y, yOff + r * ldy);
  }

  static void standardizeRows(int rows, int cols, float[] x, int xOff, int ldx, float[] mean, int mOff, float[] std,
      int sOff) {
    int end = cols >= 2 * L ? F.loopBound(cols) : 0;
    for (int r = 0; r < rows; r++) {
      int o = xOff + r * ldx, i = 0;
      for (; i < end; i += L)
        FloatVector.fromArray(F, x, o + i).sub(FloatVector.fromArray(F, mean, mOff + i))
            .div(FloatVector.fromArray(F, std, sOff + i)).intoArray(x, o + i);
      for (; i < cols; i++) x[o + i] = (x[o + i] - mean[mOff + i]) / std[sOff + i];
    }
  }

  static void biasGrad(int rows, int cols, float[] dy, int dyOff, int lddy, float[] db, int dbOff) {
    // Column blocks outermost: each db vector stays in a register across all rows. Four at a time: four
    // chains of adds instead of one waiting on the adder's latency, and each row's two lines read once
    // (Zen 3, batch 256 of a 256-wide layer: 12.2 → 5.2 µs; batch 16: 0.53 → 0.24 µs). Same order per column.
    int c = 0;
    for (int end = cols - cols % (4 * L); c < end; c += 4 * L) {
      FloatVector a0 = FloatVector.fromArray(F, db, dbOff + c), a1 = FloatVector.fromArray(F, db, dbOff + c + L);
      FloatVector a2 = FloatVector.fromArray(F, db, dbOff + c + 2 * L);
      FloatVector a3 = FloatVector.fromArray(F, db, dbOff + c + 3 * L);
      for (int r = 0, o = dyOff + c; r < rows; r++, o += lddy) {
        a0 = a0.add(FloatVector.fromArray(F, dy, o));
        a1 = a1.add(FloatVector.fromArray(F, dy, o + L));
        a2 = a2.add(FloatVector.fromArray(F, dy, o + 2 * L));
        a3 = a3.add(FloatVector.fromArray(F, dy, o + 3 * L));
      }
      a0.intoArray(db, dbOff + c);
      a1.intoArray(db, dbOff + c + L);
      a2.intoArray(db, dbOff + c + 2 * L);
      a3.intoArray(db, dbOff + c + 3 * L);
    }
    for (int end = F.loopBound(cols); c < end; c += L) {
      FloatVector acc = FloatVector.fromArray(F, db, dbOff + c);
      for (int r = 0; r < rows; r++) acc = acc.add(FloatVector.fromArray(F, dy, dyOff + r * lddy + c));
      acc.intoArray(db, dbOff + c);
    }
    for (; c < cols; c++) {
      float s = db[dbOff + c];
      for (int r = 0; r < rows; r++) s += dy[dyOff + r * lddy + c];
      db[dbOff + c] = s;
    }
  }

  static void relu(int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      FloatVector.fromArray(F, x, xOff + i).max(0f).intoArray(y, yOff + i);
    for (; i < n; i++) y[yOff + i] = Math.max(0f, x[xOff + i]);
  }

  static void reluBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    reluBackward(1, n, n, y, yOff, dy, dyOff, dx, dxOff);
  }

  /**
   * {@link #reluBackward(int, float[], int, float[], int, float[], int)} on rows × cols of three
   * matrices with row stride ld (dx may be dy: in place, as {@code SimdGemm}'s masked NN uses it).
   */
  static void reluBackward(int rows, int cols, int ld, float[] y, int yOff, float[] dy, int dyOff, float[] dx,
      int dxOff) {
    int end = F.loopBound(cols);
    for (int r = 0, o = 0; r < rows; r++, o += ld) {
      int i = 0;
      for (; i < end; i += L) {
        VectorMask<Float> on = FloatVector.fromArray(F, y, yOff + o + i).compare(VectorOperators.GT, 0f);
        FloatVector.zero(F).add(FloatVector.fromArray(F, dy, dyOff + o + i), on).intoArray(dx, dxOff + o + i);
      }
      for (; i < cols; i++) dx[dxOff + o + i] = 0f + (y[yOff + o + i] > 0f ? dy[dyOff + o + i] : 0f);
    }
  }

  /** Row by row: x + bias, then max with 0, as addBias (fma(1, b, x) = x + b) and relu do. */
  static void addBiasRelu(int rows, int cols, float[] bias, int bOff, float[] x, int xOff, float[] y, int yOff) {
    int end = F.loopBound(cols);
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = yOff + r * cols, c = 0;
      for (; c < end; c += L)
        FloatVector.fromArray(F, x, xo + c).add(FloatVector.fromArray(F, bias, bOff + c)).max(0f).intoArray(y, yo + c);
      for (; c < cols; c++) y[yo + c] = Math.max(0f, x[xo + c] + bias[bOff + c]);
    }
  }

  static void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L) {
      FloatVector v = FloatVector.fromArray(F, x, xOff + i);
      v.blend(v.mul(slope), v.compare(VectorOperators.LE, 0f)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  static void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
      float[] dx, int dxOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L) {
      FloatVector g = FloatVector.fromArray(F, dy, dyOff + i);
      VectorMask<Float> neg = FloatVector.fromArray(F, x, xOff + i).compare(VectorOperators.LE, 0f);
      FloatVector.fromArray(F, dx, dxOff + i).add(g.blend(g.mul(slope), neg)).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) dx[dxOff + i] += x[xOff + i] > 0f ? dy[dyOff + i] : slope * dy[dyOff + i];
  }

  static void exp(int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      VectorMath.exp(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    for (; i < n; i++) y[yOff + i] = FloatMath.exp(x[xOff + i]);
  }

  static void sigmoid(int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      VectorMath.sigmoid(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    for (; i < n; i++) y[yOff + i] = FloatMath.sigmoid(x[xOff + i]);
  }

  static void sigmoidBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L) {
      FloatVector s = FloatVector.fromArray(F, y, yOff + i);
      FloatVector d = FloatVector.fromArray(F, dy, dyOff + i).mul(s).mul(s.neg().add(1f));
      FloatVector.fromArray(F, dx, dxOff + i).add(d).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float s = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * s * (1f - s);
    }
  }

  static void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L)
      VectorMath.tanh(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
    for (; i < n; i++) y[yOff + i] = FloatMath.tanh(x[xOff + i]);
  }

  static void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L) {
      FloatVector t = FloatVector.fromArray(F, y, yOff + i);
      FloatVector d = FloatVector.fromArray(F, dy, dyOff + i).mul(t.mul(t).neg().add(1f));
      FloatVector.fromArray(F, dx, dxOff + i).add(d).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float t = y[yOff + i];
      dx[dxOff + i] += dy[dyOff + i] * (1f - t * t);
    }
  }

  private static float rowMax(int n, float[] x, int xOff) {
    int i = 0;
    float m = Float.NEGATIVE_INFINITY;
    if (n >= L) {
      FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
      for (int end = F.loopBound(n); i < end; i += L) acc = acc.max(FloatVector.fromArray(F, x, xOff + i));
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) m = Math.max(m, x[xOff + i]);
    return m;
  }

  /** y = exp(x − shift), returns Σ y. */
  private static float expShifted(int n, float shift, float[] x, int xOff, float[] y, int yOff) {
    int i = 0;
    float s = 0f;
    if (n >= L) {
      FloatVector acc = FloatVector.zero(F);
      for (int end = F.loopBound(n); i < end; i += L) {
        FloatVector e = VectorMath.exp(FloatVector.fromArray(F, x, xOff + i).sub(shift));
        e.intoArray(y, yOff + i);
        acc = acc.add(e);
      }
      s = VectorMath.sumLanes(acc);
    }
    for (; i < n; i++) {
      float e = FloatMath.exp(x[xOff + i] - shift);
      y[yOff + i] = e;
      s += e;
    }
    return s;
  }

  /** Σ exp(x − shift), nothing stored. */
  private static float sumExpShifted(int n, float shift, float[] x, int xOff) {
    int i = 0;
    float s = 0f;
    if (n >= L) {
      FloatVector acc = FloatVector.zero(F);
      for (int end = F.loopBound(n); i < end; i += L)
        acc = acc.add(VectorMath.exp(FloatVector.fromArray(F, x, xOff + i).sub(shift)));
      s = VectorMath.sumLanes(acc);
    }
    for (; i < n; i++) s += FloatMath.exp(x[xOff + i] - shift);
    return s;
  }

  static void softmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = yOff + r * cols;
      float max = rowMax(cols, x, xo);
      float s = expShifted(cols, max, x, xo, y, yo);
      scale(cols, 1f / s, y, yo);
    }
  }

  static void logSoftmaxRows(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols, yo = yOff + r * cols;
      float max = rowMax(cols, x, xo);
      float lse = max + (float) StrictMath.log(sumExpShifted(cols, max, x, xo));
      int i = 0;
      for (int end = F.loopBound(cols); i < end; i += L)
        FloatVector.fromArray(F, x, xo + i).sub(lse).intoArray(y, yo + i);
      for (; i < cols; i++) y[yo + i] = x[xo + i] - lse;
    }
  }

  // ---- fused optimizer updates ----

  static void sgd(int from, int to, float[] p, float[] g, float lr, float l2) {
    int i = from;
    float keep = 1f - lr * l2; // p − lr·(g + l2·p) = keep·p − lr·g
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector vp = FloatVector.fromArray(F, p, i);
      FloatVector.fromArray(F, g, i).fma(FloatVector.broadcast(F, -lr), vp.mul(keep)).intoArray(p, i);
    }
    for (; i < to; i++) p[i] = keep * p[i] - lr * g[i];
  }

  static void momentum(int from, int to, float[] p, float[] g, float[] v, float lr, float mu, float l2,
      boolean nesterov) {
    int i = from;
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector vp = FloatVector.fromArray(F, p, i);
      FloatVector gi = vp.fma(FloatVector.broadcast(F, l2), FloatVector.fromArray(F, g, i));
      FloatVector vi = VectorMath.flushSubnormal(FloatVector.fromArray(F, v, i).fma(FloatVector.broadcast(F, mu), gi));
      vi.intoArray(v, i);
      FloatVector upd = nesterov ? vi.fma(FloatVector.broadcast(F, mu), gi) : vi;
      upd.fma(FloatVector.broadcast(F, -lr), vp).intoArray(p, i);
    }
    for (; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float vi = FloatMath.flushSubnormal(mu * v[i] + gi);
      v[i] = vi;
      p[i] -= lr * (nesterov ? gi + mu * vi : vi);
    }
  }

  static void adagrad(int from, int to, float[] p, float[] g, float[] s, float lr, float eps, float l2) {
    int i = from;
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector vp = FloatVector.fromArray(F, p, i);
      FloatVector gi = vp.fma(FloatVector.broadcast(F, l2), FloatVector.fromArray(F, g, i));
      FloatVector si = VectorMath.flushSubnormal(gi.fma(gi, FloatVector.fromArray(F, s, i)));
      si.intoArray(s, i);
      vp.sub(gi.mul(lr).div(si.sqrt().add(eps))).intoArray(p, i);
    }
    for (; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float si = FloatMath.flushSubnormal(s[i] + gi * gi);
      s[i] = si;
      p[i] -= lr * gi / ((float) Math.sqrt(si) + eps);
    }
  }

  static void rmsprop(int from, int to, float[] p, float[] g, float[] s, float lr, float rho, float eps, float l2) {
    int i = from;
    float oneMinusRho = 1f - rho;
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector vp = FloatVector.fromArray(F, p, i);
      FloatVector gi = vp.fma(FloatVector.broadcast(F, l2), FloatVector.fromArray(F, g, i));
      FloatVector si = VectorMath.flushSubnormal(FloatVector.fromArray(F, s, i).mul(rho).add(gi.mul(gi).mul(oneMinusRho)));
      si.intoArray(s, i);
      vp.sub(gi.mul(lr).div(si.sqrt().add(eps))).intoArray(p, i);
    }
    for (; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float si = FloatMath.flushSubnormal(rho * s[i] + (1f - rho) * gi * gi);
      s[i] = si;
      p[i] -= lr * gi / ((float) Math.sqrt(si) + eps);
    }
  }

  static void adam(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float beta1,
      float beta2, float eps, float c1, float c2, float l2, float decay) {
    if (l2 == 0f && decay == 0f) adamPlain(from, to, p, g, m, v, lr, beta1, beta2, eps, c1, c2);
    else adamGeneral(from, to, p, g, m, v, lr, beta1, beta2, eps, c1, c2, l2, decay);
  }

  /**
   * {@link #adamGeneral} without coupled L2 and decoupled decay (Adam's defaults): the same bits for
   * finite parameters (fma(p, 0, g) = g and u + p·0 = u there), two vector operations fewer per
   * eight weights. Zen 3, the better of 150 passes: 0.60–0.64 → 0.45–0.47 ns per weight with the
   * four arrays in L1, 0.56–0.66 → 0.50 over 269k weights; what is left is mostly the subnormal
   * flush and the divider's square root and division.
   */
  static void adamPlain(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float beta1,
      float beta2, float eps, float c1, float c2) {
    int i = from;
    float ob1 = 1f - beta1, ob2 = 1f - beta2, ic1 = 1f / c1, ic2 = 1f / c2;
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector gi = FloatVector.fromArray(F, g, i);
      FloatVector mi = VectorMath.flushSubnormal(FloatVector.fromArray(F, m, i).mul(beta1).add(gi.mul(ob1)));
      FloatVector vi = VectorMath.flushSubnormal(FloatVector.fromArray(F, v, i).mul(beta2).add(gi.mul(gi).mul(ob2)));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector upd = mi.mul(ic1).div(vi.mul(ic2).sqrt().add(eps));
      FloatVector.fromArray(F, p, i).sub(upd.mul(lr)).intoArray(p, i);
    }
    if (i < to) adamGeneral(i, to, p, g, m, v, lr, beta1, beta2, eps, c1, c2, 0f, 0f); // the scalar tail
  }

  static void adamGeneral(int from, int to, float[] p, float[] g, float[] m, float[] v, float lr, float beta1,
      float beta2, float eps, float c1, float c2, float l2, float decay) {
    int i = from;
    float ob1 = 1f - beta1, ob2 = 1f - beta2, ic1 = 1f / c1, ic2 = 1f / c2;
    for (int end = from + F.loopBound(to - from); i < end; i += L) {
      FloatVector vp = FloatVector.fromArray(F, p, i);
      FloatVector gi = vp.fma(FloatVector.broadcast(F, l2), FloatVector.fromArray(F, g, i));
      FloatVector mi = VectorMath.flushSubnormal(FloatVector.fromArray(F, m, i).mul(beta1).add(gi.mul(ob1)));
      FloatVector vi = VectorMath.flushSubnormal(FloatVector.fromArray(F, v, i).mul(beta2).add(gi.mul(gi).mul(ob2)));
      mi.intoArray(m, i);
      vi.intoArray(v, i);
      FloatVector upd = mi.mul(ic1).div(vi.mul(ic2).sqrt().add(eps)).add(vp.mul(decay));
      vp.sub(upd.mul(lr)).intoArray(p, i);
    }
    for (; i < to; i++) {
      float gi = g[i] + l2 * p[i];
      float mi = FloatMath.flushSubnormal(beta1 * m[i] + (1f - beta1) * gi);
      float vi = FloatMath.flushSubnormal(beta2 * v[i] + (1f - beta2) * gi * gi);
      m[i] = mi;
      v[i] = vi;
      float mhat = mi / c1, vhat = vi / c2;
      p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + decay * p[i]);
    }
  }
}
