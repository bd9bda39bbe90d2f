package org.streamlearn.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.ParallelGemm;

/**
 * A feed-forward stack of layers built from a {@link ModelSpec}, over flat parameter and gradient
 * arrays: every parameter lives in one {@code float[]} of {@link #paramCount()} elements, laid out
 * as {@link #tensors()} says; gradients live in a parallel array of the same length.
 *
 * <p>A batch is row-major {@code [B × inputSize]}; forward and backward allocate nothing, all
 * buffers come from a {@link Workspace}. A Model is immutable and thread-safe; a Workspace is not.
 */
public final class Model {
  private final ModelSpec spec;
  private final Layer[] layers;
  private final int[] offsets; // offsets[i]: layer i's first parameter
  /**
   * biasRelu[i]: layer i is a ReLU right after a dense layer, whose bias it adds in its own pass
   * ({@link Kernels#addBiasRelu}: one pass over the activations instead of two, the same bits).
   */
  private final boolean[] biasRelu;
  /**
   * reluBefore[i]: layer i is a dense layer right after a ReLU (layer i − 1): in a backward pass its
   * input-gradient product writes the ReLU's input gradient directly ({@link
   * Kernels#gemmNNReluBackward}, each part masked while in cache, the same bits as the two layers in
   * turn), and the ReLU's own pass, and its output gradient in {@code ws.dOut[i − 1]}, are skipped.
   */
  private final boolean[] reluBefore;
  private final int paramCount;
  private final List<ParamTensor> tensors, torchTensors;

  private Model(ModelSpec spec) {
    this.spec = spec;
    int[][] shape = ModelSpec.shapes(spec.steps(), spec.features(), spec.layers());
    List<ModelSpec.LayerSpec> ls = spec.layers();
    layers = new Layer[ls.size()];
    offsets = new int[ls.size()];
    int off = 0;
    for (int i = 0; i < layers.length; i++) {
      int t = shape[i][0], f = shape[i][1], rows = Math.max(t, 1), n = rows * f;
      layers[i] = switch (ls.get(i)) {
        case ModelSpec.LayerSpec.Dense d -> new Dense(n, d.units(), off, spec.initOf(i));
        case ModelSpec.LayerSpec.Relu r -> new ReLU(n);
        case ModelSpec.LayerSpec.LeakyRelu l -> new LeakyReLU(n, l.slope());
        case ModelSpec.LayerSpec.Sigmoid sg -> new Sigmoid(n);
        case ModelSpec.LayerSpec.Tanh th -> new Tanh(n);
        case ModelSpec.LayerSpec.Softmax sm -> new Softmax(rows, f);
        case ModelSpec.LayerSpec.LayerNorm ln -> new LayerNorm(rows, f, off, ln.eps());
        case ModelSpec.LayerSpec.Lstm l -> new LSTM(t, f, l.hidden(), l.seq(), off);
      };
      offsets[i] = off;
      off += layers[i].paramCount();
    }
    paramCount = off;
    biasRelu = new boolean[layers.length];
    for (int i = 1; i < layers.length; i++)
      biasRelu[i] = layers[i] instanceof ReLU r && layers[i - 1] instanceof Dense d && r.n == d.out;
    reluBefore = new boolean[layers.length];
    for (int i = 1; i < layers.length; i++)
      reluBefore[i] = layers[i] instanceof Dense d && layers[i - 1] instanceof ReLU r && r.n == d.in;
    List<ParamTensor> ts = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) layers[i].tensors("layers." + i + ".", ts);
    torchTensors = List.copyOf(ts);
    tensors = ts.stream().filter(t -> !t.folded()).toList();
  }

  public static Model of(ModelSpec spec) {
    return new Model(spec);
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Flat features per example (T·F for a sequence input). */
  public int inputSize() {
    return layers[0].in();
  }

  /** Flat outputs per example. */
  public int outputSize() {
    return layers[layers.length - 1].out();
  }

  public int paramCount() {
    return paramCount;
  }

  /** Parameters of the largest layer: a step's largest product has about batch × this many multiply-adds. */
  public int largestLayerParams() {
    int max = 0;
    for (Layer l : layers) max = Math.max(max, l.paramCount());
    return max;
  }

  /**
   * The named tensors in parameter order, PyTorch names ({@code layers.<i>.weight}, {@code .bias};
   * LSTM {@code weight_ih_l0}, {@code weight_hh_l0}, {@code bias_ih_l0}; i counts every layer after
   * input, as in {@code nn.Sequential}); they cover {@code [0, paramCount())} exactly, without overlap.
   */
  public List<ParamTensor> tensors() {
    return tensors;
  }

  /**
   * {@link #tensors()} plus the {@link ParamTensor#folded() folded} ones, each after the tensor it is
   * folded into: every tensor the equivalent torch modules hold ({@code load_state_dict} takes them
   * all), in the order of the weights file.
   */
  public List<ParamTensor> torchTensors() {
    return torchTensors;
  }

  /**
   * Overwrites {@code params[0..paramCount())} with a deterministic initialisation for the seed:
   * dense He (normal, var 2/I) or Glorot (uniform, var 2/(I+O)) per the spec, LSTM Glorot uniform
   * with forget-gate bias 1, other biases 0, LayerNorm gain 1.
   */
  public void init(float[] params, long seed) {
    checkParams(params, "params");
    var rnd = new SplittableRandom(seed);
    for (Layer l : layers) l.init(params, rnd);
  }

  /**
   * A dense layer's hidden units feeding the next dense layer (through element-wise activations
   * only): what continual backprop re-initialises. Unit u's incoming weights are the row
   * {@code params[wIn + u·in ..+in)} and its bias {@code params[bIn + u]}; its outgoing weights the
   * column {@code params[wOut + k·units + u]} for k &lt; outUnits; its activation (after the
   * activations) sits in {@link #layerOutput}(ws, hLayer) at {@code r·units + u}.
   *
   * @param he He (normal, var 2/in) initialisation, else Glorot uniform over (in, units)
   */
  public record Hidden(int hLayer, int units, int in, int wIn, int bIn, int wOut, int outUnits, boolean he) {}

  /** The hidden dense units of this model, in layer order (empty without two dense layers in a row). */
  public List<Hidden> hiddenUnits() {
    List<Hidden> h = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) {
      if (!(layers[i] instanceof Dense d)) continue;
      int j = i + 1;
      while (j < layers.length && (layers[j] instanceof ReLU || layers[j] instanceof LeakyReLU
          || layers[j] instanceof Tanh || layers[j] instanceof Sigmoid)) j++;
      if (j < layers.length && layers[j] instanceof Dense next && next.in == d.out)
        h.add(new Hidden(j - 1, d.out, d.in, d.wOff, d.bOff, next.wOff, next.out, d.init == ModelSpec.Init.HE));
    }
    return List.copyOf(h);
  }

  /**
   * The parameters cut into {@code parts} sets of ranges for an optimizer sweep split across a team
   * (Optimizer.step with ranges): each dense layer wide enough to split has its weight rows and
   * biases cut by {@link ParallelGemm#cut} of its outputs, the cut of its forward (columns of x·Wᵀ)
   * and of its weight gradient (rows of dyᵀ·x), so part p updates the rows that thread p read and
   * whose gradient it wrote; every other parameter goes to part 0 (the caller). Bounds are rounded
   * down to multiples of {@code align} but the last, paramCount(). Returns ranges[p] = {from, to,
   * from, to, …}, covering [0, paramCount()) without overlap; null when no layer splits (the sweep's
   * even cut is as good).
   */
  public int[][] sweepRanges(int parts, int align) {
    List<int[]> segs = new ArrayList<>(); // {start, owner}, in order
    boolean split = false;
    for (int i = 0; i < layers.length; i++) {
      if (layers[i].paramCount() == 0) continue;
      if (parts > 1 && layers[i] instanceof Dense d && ParallelGemm.cut(d.out, 1, parts) < d.out) {
        split = true;
        for (int p = 0; p < parts; p++) segs.add(new int[] {d.wOff + ParallelGemm.cut(d.out, p, parts) * d.in, p});
        for (int p = 0; p < parts; p++) segs.add(new int[] {d.bOff + ParallelGemm.cut(d.out, p, parts), p});
      } else {
        segs.add(new int[] {offsets[i], 0});
      }
    }
    if (!split) return null;
    List<List<Integer>> per = new ArrayList<>();
    for (int p = 0; p < parts; p++) per.add(new ArrayList<>());
    for (int k = 0; k < segs.size(); k++) {
      int from = k == 0 ? 0 : segs.get(k)[0] / align * align;
      int to = k + 1 < segs.size() ? segs.get(k + 1)[0] / align * align : paramCount;
      if (from >= to) continue;
      List<Integer> r = per.get(segs.get(k)[1]);
      if (!r.isEmpty() && r.get(r.size() - 1) == from) r.set(r.size() - 1, to); // adjacent: one range
      else {
        r.add(from);
        r.add(to);
      }
    }
    int[][] out = new int[parts][];
    for (int p = 0; p < parts; p++) out[p] = per.get(p).stream().mapToInt(Integer::intValue).toArray();
    return out;
  }

  /**
   * The output buffer of layer i after a forward on ws, [B × out_i] from 0 (read only). A dense layer
   * followed by a ReLU leaves its product there without its bias: the ReLU's pass adds it.
   */
  public float[] layerOutput(Workspace ws, int i) {
    return ws.out[i];
  }

  /** All buffers for batches of up to maxBatch examples (maxBatch ≥ 1); GEMMs on the caller alone. */
  public Workspace newWorkspace(int maxBatch) {
    return newWorkspace(maxBatch, 1);
  }

  /**
   * All buffers for batches of up to maxBatch examples, and a team of {@code threads} threads (the
   * caller included) across which forward and backward split their GEMMs. Results are bit-identical
   * for every thread count. The team's threads stop with {@link Workspace#close()} or once the
   * workspace is unreachable.
   */
  public Workspace newWorkspace(int maxBatch, int threads) {
    if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    return new Workspace(this, maxBatch, layers, threads);
  }

  /**
   * Forward pass of B examples x[xOff .. xOff + B·inputSize). Returns the workspace's output buffer,
   * [B × outputSize] from index 0, valid until the next forward on ws. Overwrites only ws.
   */
  public float[] forward(int B, float[] params, float[] x, int xOff, Workspace ws) {
    check(B, params, ws);
    if (xOff < 0 || xOff + B * inputSize() > x.length)
      throw new IllegalArgumentException("x holds " + x.length + " floats, need " + B * inputSize()
          + " from offset " + xOff);
    float[] kept = ws.keptFor;
    if (kept != null && kept != params) applyDeferred(ws); // other parameters: the pending update first
    float[] in = x;
    int inOff = xOff;
    for (int i = 0; i < layers.length; i++) {
      // The first layer's update splits across the team: no input gradient reads its weights, so each
      // thread's rows stay in its own core's caches. A later layer's rows would cross to the caller for
      // its input gradient and back, every example (784-256-256-10, Zen 3, 2 threads, batch 1: both
      // 256-wide layers split 1.12× one thread, the first alone 1.22–1.35×).
      if (kept == params) layers[i].forwardApplyingKept(i == 0 ? ws.gemm : Workspace.SERIAL, B, params, ws.keptLr,
          ws.kept[i], in, inOff, ws.out[i], ws.scratch[i]);
      else if (i + 1 < layers.length && biasRelu[i + 1])
        ((Dense) layers[i]).forwardWithoutBias(ws.gemm, B, params, in, inOff, ws.out[i]);
      else if (biasRelu[i]) {
        Dense d = (Dense) layers[i - 1];
        Kernels.addBiasRelu(B, d.out, params, d.bOff, in, inOff, ws.out[i], 0);
      } else layers[i].forward(ws.gemm, B, params, in, inOff, ws.out[i], ws.scratch[i]);
      in = ws.out[i];
      inOff = 0;
    }
    ws.keptFor = null;
    return ws.out[layers.length - 1];
  }

  /**
   * Backward pass after {@link #forward} with the same B, params, x and ws: dOut [B × outputSize] at
   * 0 is d loss / d output (read, not modified). ACCUMULATES d loss / d params into grads; the
   * input gradient is not computed.
   */
  public void backward(int B, float[] params, float[] grads, float[] x, int xOff, float[] dOut, Workspace ws) {
    backward(B, params, grads, x, xOff, dOut, ws, false);
  }

  /**
   * As {@link #backward(int, float[], float[], float[], int, float[], Workspace)}; with inputGrad
   * also overwrites {@link Workspace#inputGrad()} with d loss / d x (for gradient checks and
   * input attributions; training does not need it).
   */
  public void backward(int B, float[] params, float[] grads, float[] x, int xOff, float[] dOut, Workspace ws,
      boolean inputGrad) {
    check(B, params, ws);
    checkParams(grads, "grads");
    if (dOut.length < B * outputSize())
      throw new IllegalArgumentException("dOut holds " + dOut.length + " floats, need " + B * outputSize());
    float[] dy = dOut;
    for (int i = layers.length - 1; i >= 0; i--) {
      float[] in = i > 0 ? ws.out[i - 1] : x;
      int inOff = i > 0 ? 0 : xOff;
      if (reluBefore[i]) { // this layer and the ReLU before it: dy·W masked into the ReLU's input gradient
        float[] dx = i > 1 ? ws.dOut[i - 2] : inputGrad ? ws.dInput : null;
        ((Dense) layers[i]).backward(ws.gemm, B, params, grads, in, inOff, dy, dx, ws.out[i - 1]);
        dy = dx;
        i--;
        continue;
      }
      float[] dx = i > 0 ? ws.dOut[i - 1] : inputGrad ? ws.dInput : null;
      layers[i].backward(ws.gemm, B, params, grads, in, inOff, ws.out[i], dy, dx, ws.scratch[i]);
      dy = dx;
    }
  }

  /** Floats per partial sum of {@link #backwardSet}'s gradient norm. */
  public static final int NORM_BLOCK = 4096;

  /**
   * A training step's backward pass, after {@link #forward} with the same B, params, x and ws:
   * OVERWRITES grads[0..paramCount()) with d loss / d params (no zeroing pass needed first; the
   * same bits as zeroing, then {@link #backward}) and returns the gradient's Euclidean norm. The
   * norm is √ of the sum, in double and in index order, of the float sums of squares of each
   * {@value #NORM_BLOCK}-float block of grads; each block is summed as soon as the layers that write
   * it are done, while it is still in cache (the same bits as summing the blocks afterwards).
   */
  public float backwardSet(int B, float[] params, float[] grads, float[] x, int xOff, float[] dOut, Workspace ws) {
    check(B, params, ws);
    checkParams(grads, "grads");
    if (dOut.length < B * outputSize())
      throw new IllegalArgumentException("dOut holds " + dOut.length + " floats, need " + B * outputSize());
    double[] blocks = ws.normBlocks;
    int summed = blocks.length; // blocks [summed, length) hold their sums
    float[] dy = dOut;
    for (int i = layers.length - 1; i >= 0; i--) {
      float[] in = i > 0 ? ws.out[i - 1] : x;
      int inOff = i > 0 ? 0 : xOff;
      if (reluBefore[i]) { // this layer and the ReLU before it (no parameters): see reluBefore
        float[] dx = i > 1 ? ws.dOut[i - 2] : null;
        ((Dense) layers[i]).backwardSet(ws.gemm, B, params, grads, in, inOff, dy, dx, ws.out[i - 1]);
        i--;
      } else {
        float[] dx = i > 0 ? ws.dOut[i - 1] : null;
        layers[i].backwardSet(ws.gemm, B, params, grads, offsets[i], in, inOff, ws.out[i], dy, dx, ws.scratch[i]);
      }
      dy = i > 0 ? ws.dOut[i - 1] : null;
      // Layers i.. are done: every block starting at or after offsets[i] is final.
      int first = (offsets[i] + NORM_BLOCK - 1) / NORM_BLOCK;
      for (int b = first; b < summed; b++) {
        int from = b * NORM_BLOCK;
        blocks[b] = Kernels.sumSquares(Math.min(NORM_BLOCK, paramCount - from), grads, from);
      }
      summed = Math.min(summed, first);
    }
    double sq = 0;
    for (double b : blocks) sq += b;
    return (float) Math.sqrt(sq);
  }

  /** True when every layer supports {@link #directSgdStep} (dense and parameterless layers). */
  public boolean supportsDirectSgd() {
    for (Layer l : layers) if (!l.directSgd()) return false;
    return true;
  }

  /**
   * Plain SGD without a gradient buffer, after {@link #forward} on the same ws: a backward pass
   * computes every layer's output gradient with the old parameters and the exact global gradient
   * norm (without forming the gradient), then, only if that norm is finite, every layer applies
   * p −= lr·grad straight from its input and output gradient. Returns the norm; when it is not
   * finite, params are untouched. Same result as backward + norm + {@code Kernels.sgd}, with one
   * pass over the weights instead of four, which is what bounds batch sizes of a few examples.
   * The norm costs B² dot products per dense layer: meant for small batches.
   */
  public float directSgdStep(int B, float[] params, float[] x, int xOff, float[] dOut, Workspace ws, float lr) {
    return directSgd(B, params, x, xOff, dOut, ws, lr, false);
  }

  /**
   * {@link #directSgdStep} at batch 1 with the update left pending in ws: the next {@link #forward}
   * on ws with the same params applies it, fused with its own pass over the weights (one pass over
   * memory for the update and the product, instead of three), and {@link #applyDeferred} applies it
   * alone. Either way the parameters and outputs have the bits of {@link #directSgdStep} followed by
   * forward, so applying early (before a checkpoint or a snapshot) never changes what training
   * computes. Until then params lack the step: whoever reads or writes them outside forward calls
   * {@link #applyDeferred} or {@link #dropDeferred} first. A non-finite norm leaves nothing pending.
   */
  public float directSgdStepDeferred(float[] params, float[] x, int xOff, float[] dOut, Workspace ws, float lr) {
    return directSgd(1, params, x, xOff, dOut, ws, lr, true);
  }

  /** Applies the update {@link #directSgdStepDeferred} left pending on ws, if any. */
  public void applyDeferred(Workspace ws) {
    float[] p = ws.keptFor;
    if (p == null) return;
    for (int i = 0; i < layers.length; i++) layers[i].applyKept(p, ws.keptLr, ws.kept[i]);
    ws.keptFor = null;
  }

  /** Forgets a pending update (its parameters are being replaced: a rollback, a reset, a restore). */
  public void dropDeferred(Workspace ws) {
    ws.keptFor = null;
  }

  /** True while an update of {@link #directSgdStepDeferred} is pending on ws. */
  public boolean hasDeferred(Workspace ws) {
    return ws.keptFor != null;
  }

  private float directSgd(int B, float[] params, float[] x, int xOff, float[] dOut, Workspace ws, float lr,
      boolean defer) {
    check(B, params, ws);
    if (!supportsDirectSgd()) throw new IllegalStateException("model has layers without direct SGD: " + spec);
    applyDeferred(ws); // after forward there is none; without forward, the step sees every earlier one
    double sq = 0;
    float[] dy = dOut;
    for (int i = layers.length - 1; i >= 0; i--) {
      float[] in = i > 0 ? ws.out[i - 1] : x;
      int inOff = i > 0 ? 0 : xOff;
      sq += layers[i].gradNormSquared(B, in, inOff, dy, ws.scratch[i]);
      if (reluBefore[i]) { // the ReLU before (no parameters, a norm of 0) gets its input gradient here
        if (i > 1) ((Dense) layers[i]).inputGrad(ws.gemm, B, params, dy, ws.dOut[i - 2], ws.out[i - 1]);
        dy = i > 1 ? ws.dOut[i - 2] : null;
        i--;
      } else if (i > 0) {
        layers[i].backwardInput(ws.gemm, B, params, in, inOff, ws.out[i], dy, ws.dOut[i - 1], ws.scratch[i]);
        dy = ws.dOut[i - 1];
      }
    }
    float norm = (float) Math.sqrt(sq);
    if (!Float.isFinite(norm)) return norm;
    dy = dOut;
    for (int i = layers.length - 1; i >= 0; i--) {
      float[] in = i > 0 ? ws.out[i - 1] : x;
      if (defer) layers[i].keep(in, i > 0 ? 0 : xOff, dy, ws.scratch[i], ws.kept[i]);
      else layers[i].applySgd(ws.gemm, B, params, in, i > 0 ? 0 : xOff, dy, lr, ws.scratch[i]);
      if (i > 0) dy = ws.dOut[i - 1];
    }
    if (defer) {
      ws.keptFor = params;
      ws.keptLr = lr;
    }
    return norm;
  }

  private void check(int B, float[] params, Workspace ws) {
    if (ws.model != this) throw new IllegalArgumentException("workspace belongs to another model");
    if (B < 0 || B > ws.maxBatch)
      throw new IllegalArgumentException("batch size " + B + " outside [0, " + ws.maxBatch + "] of the workspace");
    checkParams(params, "params");
  }

  private void checkParams(float[] a, String what) {
    if (a.length < paramCount)
      throw new IllegalArgumentException(what + " holds " + a.length + " floats, model has " + paramCount);
  }

  @Override
  public String toString() {
    return spec + " (" + paramCount + " parameters)";
  }
}
