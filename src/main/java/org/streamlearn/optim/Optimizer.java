package org.streamlearn.optim;

import org.streamlearn.kernels.Team;

/**
 * An update rule plus its explicit state (optax's view): the step count {@link #t()} and the state
 * arrays of {@link #stateBuffers()}, each sized {@code paramCount} at construction.
 *
 * <p>{@link #step} is one call to one fused kernel in {@code kernels}: a single sweep that reads
 * and writes every element of p, g and the state once. Anything that depends only on t (Adam's bias
 * corrections) is computed once per step, outside that sweep. A step never allocates.
 *
 * <p>A step may be split across a {@link Team}: each thread sweeps its own range of the parameters.
 * The cuts fall on multiples of {@link #CUT} elements, so every element takes the same path (vector
 * body or scalar tail) as in one sweep: the result is bit-identical whatever the team size.
 *
 * <p>Not thread-safe: one optimizer belongs to one trainer thread (and its team).
 */
public abstract sealed class Optimizer permits Sgd, Momentum, AdaGrad, RmsProp, Adam {
  private static final float[][] NO_STATE = new float[0][];

  /**
   * Cuts between the ranges of a split step fall on multiples of this many elements: whole vectors
   * of every width (4, 8, 16 floats) and whole 64-byte cache lines, so two threads never write one
   * line.
   */
  public static final int CUT = 64;

  /** Below this many parameters per thread a step runs on the caller alone (a hand-over costs µs). */
  public static final int MIN_PER_THREAD = 16 * 1024;

  // The arguments of the split step in progress (fields, not a lambda: nothing allocated per step).
  private float[] stepP, stepG;
  private float stepLr;
  private int[][] stepRanges;
  private final Team.Task sweep = this::sweepPart; // made once, run by every split step

  final OptimizerSpec spec;
  final int n;
  private final float[][] state;
  long t;

  Optimizer(OptimizerSpec spec, int paramCount, int stateArrays) {
    if (spec == null) throw new IllegalArgumentException("spec = null: an optimizer needs a spec");
    if (paramCount < 0)
      throw new IllegalArgumentException("paramCount = " + paramCount + ": must be >= 0");
    this.spec = spec;
    this.n = paramCount;
    this.state = stateArrays == 0 ? NO_STATE : new float[stateArrays][paramCount];
  }

  /** The optimizer named by {@code spec.name()}, with zeroed state for {@code paramCount} parameters. */
  public static Optimizer create(OptimizerSpec spec, int paramCount) {
    if (spec == null) throw new IllegalArgumentException("spec = null: an optimizer needs a spec");
    return switch (spec.name()) {
      case "sgd" -> new Sgd(spec, paramCount);
      case "momentum" -> new Momentum(spec, paramCount, false);
      case "nesterov" -> new Momentum(spec, paramCount, true);
      case "adagrad" -> new AdaGrad(spec, paramCount);
      case "rmsprop" -> new RmsProp(spec, paramCount);
      case "adam" -> new Adam(spec, paramCount);
      case "adamw" -> new AdamW(spec, paramCount);
      default -> throw new IllegalArgumentException("spec.name = " + spec.name() + ": unknown");
    };
  }

  /**
   * One update of p[0..paramCount) from the gradient g[0..paramCount), in place: overwrites p and
   * the state arrays, reads g without modifying it, then increments {@link #t()}. {@code lr} is
   * this step's learning rate (usually {@code schedule.lr(t())}); the spec's lr is only the base.
   *
   * @throws IllegalArgumentException if an array is shorter than paramCount or lr is negative/NaN
   */
  public final void step(float[] p, float[] g, float lr) {
    step(p, g, lr, null);
  }

  /**
   * As {@link #step(float[], float[], float)}, the sweep split across {@code team} (null: the caller
   * alone). Bit-identical to the one-thread step for every team size.
   */
  public final void step(float[] p, float[] g, float lr, Team team) {
    step(p, g, lr, team, null);
  }

  /**
   * As {@link #step(float[], float[], float, Team)}, part i of the split sweeping the ranges
   * {@code ranges[i]} = {from, to, from, to, …} (team.size() parts that cover [0, paramCount) without
   * overlap, every bound a multiple of {@link #CUT} but paramCount: Model.sweepRanges, which gives
   * each thread the weights its GEMMs touched). null: the even cut. Ignored when the step runs on the
   * caller alone (a team of one, or too few parameters). Bit-identical either way.
   */
  public final void step(float[] p, float[] g, float lr, Team team, int[][] ranges) {
    if (p.length < n) throw new IllegalArgumentException("p.length = " + p.length + ": < paramCount " + n);
    if (g.length < n) throw new IllegalArgumentException("g.length = " + g.length + ": < paramCount " + n);
    if (!(lr >= 0) || lr == Float.POSITIVE_INFINITY)
      throw new IllegalArgumentException("lr = " + lr + ": must be finite and >= 0");
    t++;
    beginStep();
    if (team == null || team.size() == 1 || n < MIN_PER_THREAD * team.size()) {
      update(p, g, lr, 0, n);
      return;
    }
    if (ranges != null && ranges.length != team.size())
      throw new IllegalArgumentException(ranges.length + " sweep ranges for a team of " + team.size());
    stepP = p;
    stepG = g;
    stepLr = lr;
    stepRanges = ranges;
    try {
      team.run(sweep);
    } finally {
      stepP = stepG = null; // keep no caller arrays alive between steps
      stepRanges = null;
    }
  }

  /**
   * Part {@code part} of a split step: its ranges, or its range of whole {@link #CUT} blocks (the
   * remainder in the last).
   */
  private void sweepPart(int part, int parts) {
    if (stepRanges != null) {
      int[] r = stepRanges[part];
      for (int i = 0; i < r.length; i += 2) if (r[i] < r[i + 1]) update(stepP, stepG, stepLr, r[i], r[i + 1]);
      return;
    }
    int from = Team.cut(n, CUT, part, parts), to = Team.cut(n, CUT, part + 1, parts);
    if (from < to) update(stepP, stepG, stepLr, from, to);
  }

  /** Per-step values that depend on t only (Adam's bias corrections), before the sweep. */
  void beginStep() {}

  /**
   * The fused kernel call over elements [from, to); t is already the number of this step (1 for the
   * first).
   */
  abstract void update(float[] p, float[] g, float lr, int from, int to);

  /** Number of steps taken (0 before the first). */
  public final long t() {
    return t;
  }

  /** Restores the step count (with the state buffers) from a backup or checkpoint. */
  public final void setT(long t) {
    if (t < 0) throw new IllegalArgumentException("t = " + t + ": must be >= 0");
    this.t = t;
  }

  /**
   * The live state arrays, each of length paramCount, in a fixed order per optimizer (momentum:
   * v; adagrad, rmsprop: s; adam, adamw: m then v; sgd: none). The same arrays are returned on
   * every call (no allocation), so a learner can back them up and restore them with
   * {@link System#arraycopy}; do not replace the elements of the returned array.
   */
  public final float[][] stateBuffers() {
    return state;
  }

  /** Number of parameters this optimizer updates. */
  public final int paramCount() {
    return n;
  }

  public final OptimizerSpec spec() {
    return spec;
  }

  /** The spec's name: sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw. */
  public final String name() {
    return spec.name();
  }

  @Override
  public String toString() {
    return name() + "(t=" + t + ", params=" + n + ")";
  }
}
