package org.streamlearn.learn;

import java.util.List;
import java.util.Locale;
import org.streamlearn.optim.SpecText;

/**
 * How plasticity is kept over never-ending training: {@code none}; {@code cbp(rate=1e-4,
 * maturity=100, decay=0.99)}, continual backprop ({@link Plasticity}); or {@code
 * shrink_perturb(shrink=1e-4, noise=1e-4)}, every step θ ← (1 − shrink)·θ + noise·ε.
 */
public record PlasticitySpec(Kind kind, double rate, long maturity, double decay, double shrink, double noise) {
  public enum Kind { NONE, CBP, SHRINK_PERTURB }

  public static final PlasticitySpec NONE = new PlasticitySpec(Kind.NONE, 0, 0, 0, 0, 0);

  public static PlasticitySpec parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT), head = SpecText.head(t), what = "plasticity";
    return switch (head) {
      case "none" -> {
        if (t.contains("(")) throw SpecText.error(text, what, t, "none without arguments");
        yield NONE;
      }
      case "cbp" -> {
        var a = SpecText.args(t, what, List.of("rate", "maturity", "decay"));
        yield new PlasticitySpec(Kind.CBP, SpecText.real(t, what, a, "rate", 1e-4, 0, true, 1),
            SpecText.integer(t, what, a, "maturity", 100, 1), SpecText.real(t, what, a, "decay", 0.99, 0, false, 1), 0, 0);
      }
      case "shrink_perturb" -> {
        var a = SpecText.args(t, what, List.of("shrink", "noise"));
        yield new PlasticitySpec(Kind.SHRINK_PERTURB, 0, 0, 0, SpecText.real(t, what, a, "shrink", 1e-4, 0, false, 1),
            SpecText.real(t, what, a, "noise", 1e-4, 0, false, Double.MAX_VALUE));
      }
      default -> throw SpecText.error(text, what, head, "none, cbp(rate=..., maturity=..., decay=...) or shrink_perturb(shrink=..., noise=...)");
    };
  }

  @Override public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case CBP -> "cbp(rate=" + SpecText.num(rate) + ", maturity=" + maturity + ", decay=" + SpecText.num(decay) + ")";
      case SHRINK_PERTURB -> "shrink_perturb(shrink=" + SpecText.num(shrink) + ", noise=" + SpecText.num(noise) + ")";
    };
  }
}
