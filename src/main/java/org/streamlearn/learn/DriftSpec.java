package org.streamlearn.learn;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.streamlearn.optim.SpecText;

/**
 * Drift detection on the prequential loss and what a detection does, parsed from two texts:
 * <ul>
 *   <li>detector: {@code none}, {@code page_hinkley(delta=0.005, threshold=50, alpha=0.9999,
 *       min_instances=30)} ({@link PageHinkley}) or {@code adwin(delta=0.002, clock=32)} ({@link
 *       Adwin}); arguments optional, defaults River's;
 *   <li>action: {@code none}, {@code lr(factor=3, steps=100)} (the learning rate times factor for
 *       the next steps) or {@code reset_optimizer} (moments zeroed and the optimizer's step count back
 *       to 0, as after a control reset, but the weights kept).
 * </ul>
 */
public record DriftSpec(String detector, Action action, double lrFactor, long lrSteps) {
  public enum Action { NONE, LR, RESET_OPTIMIZER }

  public static final DriftSpec NONE = new DriftSpec("none", Action.NONE, 1, 0);

  /** Parses and checks both texts; errors name the text and the bad token. */
  public static DriftSpec parse(String detector, String action) {
    newDetector(detector); // checks it
    String a = action.strip().toLowerCase(Locale.ROOT), head = SpecText.head(a);
    return switch (head) {
      case "none" -> new DriftSpec(detector.strip(), Action.NONE, 1, 0);
      case "reset_optimizer" -> {
        if (a.contains("(")) throw SpecText.error(action, "drift action", a, "reset_optimizer without arguments");
        yield new DriftSpec(detector.strip(), Action.RESET_OPTIMIZER, 1, 0);
      }
      case "lr" -> {
        Map<String, String> args = SpecText.args(a, "drift action", List.of("factor", "steps"));
        yield new DriftSpec(detector.strip(), Action.LR,
            SpecText.real(a, "drift action", args, "factor", 3, 1, true, 1000),
            SpecText.integer(a, "drift action", args, "steps", 100, 1));
      }
      default -> throw SpecText.error(action, "drift action", head, "none, lr(factor=..., steps=...) or reset_optimizer");
    };
  }

  /** A detector for the text, null for {@code none}. */
  public static DriftDetector newDetector(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT), head = SpecText.head(t), what = "drift detector";
    return switch (head) {
      case "none" -> {
        if (t.contains("(")) throw SpecText.error(text, what, t, "none without arguments");
        yield null;
      }
      case "page_hinkley" -> {
        var a = SpecText.args(t, what, List.of("delta", "threshold", "alpha", "min_instances"));
        yield new PageHinkley(SpecText.real(t, what, a, "delta", 0.005, 0, false, Double.MAX_VALUE),
            SpecText.real(t, what, a, "threshold", 50, 0, true, Double.MAX_VALUE),
            SpecText.real(t, what, a, "alpha", 1 - 0.0001, 0, true, 1),
            SpecText.integer(t, what, a, "min_instances", 30, 1));
      }
      case "adwin" -> {
        var a = SpecText.args(t, what, List.of("delta", "clock"));
        double d = SpecText.real(t, what, a, "delta", 0.002, 0, true, 1);
        if (d >= 1) throw SpecText.error(text, what, "delta=" + d, "a number in (0, 1) for delta");
        yield new Adwin(d, (int) Math.min(Integer.MAX_VALUE, SpecText.integer(t, what, a, "clock", 32, 1)));
      }
      default -> throw SpecText.error(text, what, head, "none, page_hinkley(...) or adwin(...)");
    };
  }

  public boolean enabled() {
    return !SpecText.head(detector.toLowerCase(Locale.ROOT)).equals("none");
  }
}
