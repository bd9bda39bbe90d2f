package org.streamlearn.optim;

import java.util.List;
import java.util.Map;
import org.streamlearn.kernels.Kernels;

/**
 * A learning-rate schedule: the lr to use for the optimizer step after {@code step} steps have been
 * taken (so the first step asks for {@code lr(0)}; pass {@link Optimizer#t()}). Implementations are
 * immutable records holding the base lr; {@link #toString()} is the canonical text without the base
 * lr, and {@code parse(s.toString(), base)} equals {@code s}. {@code lr} never allocates.
 *
 * <p>Warm-ups are linear and start at base/warmup rather than 0 (step s uses base·(s+1)/warmup and
 * the last warm-up step reaches base): optax starts at exactly 0, which wastes the first step.
 * pow is Kernels.powInt (binary exponentiation) and cos our own series: the same bits on every JIT
 * tier (Math's may differ), and no allocation (StrictMath's allocate until C2 compiles them).
 */
public sealed interface Schedule
    permits Schedule.Constant, Schedule.Step, Schedule.Exponential, Schedule.Cosine,
        Schedule.InvSqrt {

  /** The learning rate for the step that follows {@code step} completed steps (step ≥ 0). */
  float lr(long step);

  /** The base learning rate the schedule scales. */
  float base();

  /** {@code constant}: base at every step. */
  record Constant(float base) implements Schedule {
    public Constant {
      checkBase(base);
    }

    @Override
    public float lr(long step) {
      checkStep(step);
      return base;
    }

    @Override
    public String toString() {
      return "constant";
    }
  }

  /** {@code step(every=1000,gamma=0.5)}: base·gamma^⌊step/every⌋ (PyTorch's StepLR). */
  record Step(float base, long every, double gamma) implements Schedule {
    public Step {
      checkBase(base);
      if (every < 1) throw new IllegalArgumentException("every = " + every + ": must be >= 1");
      checkGamma(gamma);
    }

    @Override
    public float lr(long step) {
      checkStep(step);
      return (float) (base * Kernels.powInt(gamma, step / every));
    }

    @Override
    public String toString() {
      return "step(every=" + every + ",gamma=" + SpecText.num(gamma) + ")";
    }
  }

  /** {@code exponential(gamma=0.999)}: base·gamma^step. */
  record Exponential(float base, double gamma) implements Schedule {
    public Exponential {
      checkBase(base);
      checkGamma(gamma);
    }

    @Override
    public float lr(long step) {
      checkStep(step);
      return (float) (base * Kernels.powInt(gamma, step));
    }

    @Override
    public String toString() {
      return "exponential(gamma=" + SpecText.num(gamma) + ")";
    }
  }

  /**
   * {@code cosine(warmup=100,total=10000,min=0)}: linear warm-up to base over the first
   * {@code warmup} steps, then min + (base − min)·½·(1 + cos(π·(step − warmup)/(total − warmup)))
   * down to {@code min} at {@code total}, and min after (Loshchilov &amp; Hutter 2017, one cycle, no
   * restarts). {@code min} is an absolute learning rate, not a fraction of base.
   */
  record Cosine(float base, long warmup, long total, double min) implements Schedule {
    public Cosine {
      checkBase(base);
      if (warmup < 0) throw new IllegalArgumentException("warmup = " + warmup + ": must be >= 0");
      if (total <= warmup)
        throw new IllegalArgumentException("total = " + total + ": must be > warmup = " + warmup);
      if (!(min >= 0 && min <= base))
        throw new IllegalArgumentException("min = " + min + ": must be in [0, base lr = " + base + "]");
    }

    @Override
    public float lr(long step) {
      checkStep(step);
      if (step < warmup) return (float) ((double) base * (step + 1) / warmup);
      if (step >= total) return (float) min;
      double frac = (double) (step - warmup) / (total - warmup);
      return (float) (min + (base - min) * 0.5 * (1 + cosPi(frac)));
    }

    /**
     * cos(π·f) for f in [0, 1]: its Taylor series to x¹⁸ on [0, π/2] (error under 4e-15), mirrored
     * above. Plain double arithmetic, so the same bits on every JIT tier (Math.cos may be an
     * intrinsic in one and not another), and no allocation (StrictMath.cos allocates per call).
     */
    static double cosPi(double f) {
      boolean upper = f > 0.5;
      double x = Math.PI * (upper ? 1 - f : f), x2 = x * x, term = 1, sum = 1;
      for (int k = 1; k <= 9; k++) {
        term *= -x2 / ((2 * k - 1) * (2 * k));
        sum += term;
      }
      return upper ? -sum : sum;
    }

    @Override
    public String toString() {
      return "cosine(warmup=" + warmup + ",total=" + total + ",min=" + SpecText.num(min) + ")";
    }
  }

  /**
   * {@code invsqrt(warmup=100)}: base·√warmup/√max(step, warmup) after a linear warm-up over the
   * first {@code warmup} steps (the Transformer schedule of Vaswani et al. 2017, normalised so the
   * peak is base).
   */
  record InvSqrt(float base, long warmup) implements Schedule {
    public InvSqrt {
      checkBase(base);
      if (warmup < 1) throw new IllegalArgumentException("warmup = " + warmup + ": must be >= 1");
    }

    @Override
    public float lr(long step) {
      checkStep(step);
      if (step < warmup) return (float) ((double) base * (step + 1) / warmup);
      return (float) (base * Math.sqrt((double) warmup / step));
    }

    @Override
    public String toString() {
      return "invsqrt(warmup=" + warmup + ")";
    }
  }

  /**
   * Parses {@code constant}, {@code step(every=N,gamma=x)}, {@code exponential(gamma=x)},
   * {@code cosine(warmup=N,total=N,min=x)} or {@code invsqrt(warmup=N)}; keys may be omitted (the
   * defaults are those shown in each record's doc) and given in any order.
   *
   * @throws IllegalArgumentException naming the bad token and what was expected
   */
  static Schedule parse(String spec, float baseLr) {
    checkBase(baseLr);
    if (spec == null) throw new IllegalArgumentException("schedule = null: expected one of " + forms());
    String what = "schedule";
    String head = SpecText.head(spec);
    List<String> keys = switch (head) {
      case "constant" -> List.of();
      case "step" -> List.of("every", "gamma");
      case "exponential" -> List.of("gamma");
      case "cosine" -> List.of("warmup", "total", "min");
      case "invsqrt" -> List.of("warmup");
      default -> throw SpecText.error(spec, what, head, "one of " + forms());
    };
    Map<String, String> a = SpecText.args(spec, what, keys);
    try {
      return switch (head) {
        case "constant" -> new Constant(baseLr);
        case "step" -> new Step(baseLr, SpecText.integer(spec, what, a, "every", 1000, 1),
            SpecText.real(spec, what, a, "gamma", 0.5, 0, true, 1));
        case "exponential" ->
            new Exponential(baseLr, SpecText.real(spec, what, a, "gamma", 0.999, 0, true, 1));
        case "cosine" -> new Cosine(baseLr, SpecText.integer(spec, what, a, "warmup", 100, 0),
            SpecText.integer(spec, what, a, "total", 10000, 1),
            SpecText.real(spec, what, a, "min", 0, 0, false, Double.MAX_VALUE));
        case "invsqrt" -> new InvSqrt(baseLr, SpecText.integer(spec, what, a, "warmup", 100, 1));
        default -> throw new AssertionError(head);
      };
    } catch (IllegalArgumentException e) {
      if (e.getMessage().startsWith(what + " \"")) throw e;
      throw new IllegalArgumentException(what + " \"" + spec + "\": " + e.getMessage(), e);
    }
  }

  private static String forms() {
    return "constant, step(every=,gamma=), exponential(gamma=), cosine(warmup=,total=,min=), "
        + "invsqrt(warmup=)";
  }

  private static void checkBase(float base) {
    if (!(base > 0) || !Float.isFinite(base))
      throw new IllegalArgumentException("baseLr = " + base + ": must be finite and > 0");
  }

  private static void checkGamma(double gamma) {
    if (!(gamma > 0 && gamma <= 1))
      throw new IllegalArgumentException("gamma = " + gamma + ": must be in (0, 1]");
  }

  private static void checkStep(long step) {
    if (step < 0) throw new IllegalArgumentException("step = " + step + ": must be >= 0");
  }
}
