package org.streamlearn.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A model as text: the same string the YAML configuration holds and the weights metadata stores.
 *
 * <p>Grammar: layers separated by spaces, the first one {@code input(...)}, optional arguments in
 * parentheses, e.g. {@code input(784) dense(256) relu dense(10)} or {@code input(52x1) lstm(32)
 * dense(1)} (52 time steps of 1 feature). Layers: {@code dense(units[, init=he|glorot])},
 * {@code relu}, {@code leakyrelu(slope)}, {@code sigmoid}, {@code tanh}, {@code softmax},
 * {@code layernorm[(eps)]}, {@code lstm(hidden[, seq])}.
 *
 * <p>Shapes: a {@code TxF} input is a sequence; {@code lstm} needs one and returns its last hidden
 * state, or with {@code seq} the whole sequence {@code [T×H]} so LSTMs can stack. {@code dense}
 * flattens a sequence ({@code T·F} inputs); element-wise layers keep the shape; {@code softmax} and
 * {@code layernorm} work over the feature axis of each time step.
 *
 * <p>{@link #toString()} is canonical and {@code parse(spec.toString()).equals(spec)}.
 *
 * @param steps time steps of the input, 0 for a flat (non-sequence) input
 * @param features features per example (per time step for a sequence input)
 * @param layers the layers after {@code input}, at least one
 */
public record ModelSpec(int steps, int features, List<LayerSpec> layers) {

  static final float DEFAULT_LAYERNORM_EPS = 1e-5f;

  private static final String LAYER_NAMES =
      "dense, relu, leakyrelu, sigmoid, tanh, softmax, layernorm, lstm";

  public ModelSpec {
    if (steps < 0 || features <= 0)
      throw new IllegalArgumentException("input shape must be positive, got steps=" + steps
          + " features=" + features);
    layers = List.copyOf(layers);
    if (layers.isEmpty()) throw new IllegalArgumentException("model spec has no layers after input");
    shapes(steps, features, layers); // throws on a shape mismatch
  }

  /** Weight initialisation of a dense layer; AUTO picks He before relu/leakyrelu, else Glorot. */
  public enum Init { AUTO, HE, GLOROT }

  /** One layer of a spec; {@code toString()} is its canonical text. */
  public sealed interface LayerSpec {
    record Dense(int units, Init init) implements LayerSpec {
      @Override public String toString() {
        return init == Init.AUTO ? "dense(" + units + ")"
            : "dense(" + units + ", init=" + init.name().toLowerCase(Locale.ROOT) + ")";
      }
    }

    record Relu() implements LayerSpec {
      @Override public String toString() { return "relu"; }
    }

    record LeakyRelu(float slope) implements LayerSpec {
      @Override public String toString() { return "leakyrelu(" + slope + ")"; }
    }

    record Sigmoid() implements LayerSpec {
      @Override public String toString() { return "sigmoid"; }
    }

    record Tanh() implements LayerSpec {
      @Override public String toString() { return "tanh"; }
    }

    record Softmax() implements LayerSpec {
      @Override public String toString() { return "softmax"; }
    }

    record LayerNorm(float eps) implements LayerSpec {
      @Override public String toString() {
        return eps == DEFAULT_LAYERNORM_EPS ? "layernorm" : "layernorm(" + eps + ")";
      }
    }

    record Lstm(int hidden, boolean seq) implements LayerSpec {
      @Override public String toString() {
        return "lstm(" + hidden + (seq ? ", seq" : "") + ")";
      }
    }
  }

  /** Flat features per example of the input ({@code steps·features} for a sequence). */
  public int inputSize() {
    return Math.max(steps, 1) * features;
  }

  /**
   * The effective initialisation of dense layer {@code i} (index into {@link #layers()}): the
   * explicit one, or He when the next layer is relu/leakyrelu and Glorot otherwise.
   */
  public Init initOf(int i) {
    if (!(layers.get(i) instanceof LayerSpec.Dense d))
      throw new IllegalArgumentException("layer " + i + " is not dense: " + layers.get(i));
    if (d.init() != Init.AUTO) return d.init();
    LayerSpec next = i + 1 < layers.size() ? layers.get(i + 1) : null;
    return next instanceof LayerSpec.Relu || next instanceof LayerSpec.LeakyRelu ? Init.HE : Init.GLOROT;
  }

  @Override
  public String toString() {
    var sb = new StringBuilder("input(");
    sb.append(steps > 0 ? steps + "x" + features : Integer.toString(features)).append(')');
    for (LayerSpec l : layers) sb.append(' ').append(l);
    return sb.toString();
  }

  /**
   * Shapes {@code {steps, features}} after each layer (index 0 is the input); throws
   * IllegalArgumentException naming the layer when a shape does not fit.
   */
  static int[][] shapes(int steps, int features, List<LayerSpec> layers) {
    int[][] s = new int[layers.size() + 1][];
    s[0] = new int[] {steps, features};
    for (int i = 0; i < layers.size(); i++) {
      int t = s[i][0], f = s[i][1];
      s[i + 1] = switch (layers.get(i)) {
        case LayerSpec.Dense d -> new int[] {0, d.units()};
        case LayerSpec.Lstm l -> {
          if (t == 0)
            throw new IllegalArgumentException("layer '" + l + "' at position " + (i + 2)
                + " needs a sequence input (e.g. input(52x1) or lstm(H, seq) before it), got "
                + f + " flat features");
          yield l.seq() ? new int[] {t, l.hidden()} : new int[] {0, l.hidden()};
        }
        default -> new int[] {t, f};
      };
    }
    return s;
  }

  /** Parses a spec; the message of a failure names the token, its position and what was expected. */
  public static ModelSpec parse(String text) {
    if (text == null || text.isBlank()) throw new IllegalArgumentException("empty model spec; expected e.g. 'input(4) dense(3)'");
    List<String> tokens = tokenize(text);
    Token first = Token.of(tokens.get(0), 1);
    if (!first.name.equals("input"))
      throw new IllegalArgumentException("model spec must start with input(...), got '" + first.raw
          + "' at position 1; expected e.g. input(784) or input(52x1)");
    if (first.args.size() != 1) throw first.bad("one shape, e.g. input(784) or input(52x1)");
    int steps = 0, features;
    String shape = first.args.get(0);
    int x = shape.indexOf('x');
    if (x >= 0) {
      steps = first.positiveInt(shape.substring(0, x), "a shape N or TxF with positive integers");
      features = first.positiveInt(shape.substring(x + 1), "a shape N or TxF with positive integers");
    } else {
      features = first.positiveInt(shape, "a shape N or TxF with positive integers");
    }
    if (tokens.size() == 1)
      throw new IllegalArgumentException("model spec '" + text.strip() + "' has no layers after input; expected one of "
          + LAYER_NAMES);
    List<LayerSpec> layers = new ArrayList<>();
    for (int i = 1; i < tokens.size(); i++) layers.add(Token.of(tokens.get(i), i + 1).layer());
    return new ModelSpec(steps, features, layers);
  }

  /** Splits at whitespace outside parentheses. */
  private static List<String> tokenize(String text) {
    List<String> out = new ArrayList<>();
    var cur = new StringBuilder();
    int depth = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') depth++;
      if (c == ')') depth--;
      if (depth < 0)
        throw new IllegalArgumentException("unbalanced ')' at character " + (i + 1) + " of '" + text + "'");
      if (Character.isWhitespace(c) && depth == 0) {
        if (!cur.isEmpty()) out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    if (depth != 0)
      throw new IllegalArgumentException("unclosed '(' in token '" + cur + "' at position " + (out.size() + 1)
          + "; expected ')'");
    if (!cur.isEmpty()) out.add(cur.toString());
    return out;
  }

  private record Token(String raw, int pos, String name, List<String> args) {
    static Token of(String raw, int pos) {
      int open = raw.indexOf('(');
      String name = (open < 0 ? raw : raw.substring(0, open)).toLowerCase(Locale.ROOT);
      List<String> args = new ArrayList<>();
      if (open >= 0) {
        if (!raw.endsWith(")") || raw.indexOf(')') != raw.length() - 1)
          throw new IllegalArgumentException("malformed token '" + raw + "' at position " + pos
              + "; expected name(args) with nothing after ')'");
        String inner = raw.substring(open + 1, raw.length() - 1).strip();
        if (!inner.isEmpty()) for (String a : inner.split(",", -1)) args.add(a.strip());
      }
      return new Token(raw, pos, name, args);
    }

    IllegalArgumentException bad(String expected) {
      return new IllegalArgumentException("bad layer '" + raw + "' at position " + pos + "; expected " + expected);
    }

    int positiveInt(String s, String expected) {
      try {
        int v = Integer.parseInt(s.strip());
        if (v > 0) return v;
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
      throw bad(expected);
    }

    float finiteFloat(String s, String expected) {
      try {
        float v = Float.parseFloat(s.strip());
        if (Float.isFinite(v)) return v;
      } catch (NumberFormatException e) {
        // fall through
      }
      throw bad(expected);
    }

    void noArgs() {
      if (!args.isEmpty()) throw bad(name + " without arguments");
    }

    LayerSpec layer() {
      switch (name) {
        case "dense" -> {
          String use = "dense(units) or dense(units, init=he|glorot)";
          if (args.isEmpty() || args.size() > 2) throw bad(use);
          int units = positiveInt(args.get(0), use);
          Init init = Init.AUTO;
          if (args.size() == 2) {
            String a = args.get(1).replace(" ", "").toLowerCase(Locale.ROOT);
            init = switch (a) {
              case "init=he" -> Init.HE;
              case "init=glorot" -> Init.GLOROT;
              default -> throw bad(use);
            };
          }
          return new LayerSpec.Dense(units, init);
        }
        case "relu" -> { noArgs(); return new LayerSpec.Relu(); }
        case "sigmoid" -> { noArgs(); return new LayerSpec.Sigmoid(); }
        case "tanh" -> { noArgs(); return new LayerSpec.Tanh(); }
        case "softmax" -> { noArgs(); return new LayerSpec.Softmax(); }
        case "leakyrelu" -> {
          String use = "leakyrelu(slope) with a finite slope, e.g. leakyrelu(0.01)";
          if (args.size() != 1) throw bad(use);
          return new LayerSpec.LeakyRelu(finiteFloat(args.get(0), use));
        }
        case "layernorm" -> {
          String use = "layernorm or layernorm(eps) with eps > 0";
          if (args.size() > 1) throw bad(use);
          float eps = args.isEmpty() ? DEFAULT_LAYERNORM_EPS : finiteFloat(args.get(0), use);
          if (eps <= 0) throw bad(use);
          return new LayerSpec.LayerNorm(eps);
        }
        case "lstm" -> {
          String use = "lstm(hidden) or lstm(hidden, seq)";
          if (args.isEmpty() || args.size() > 2) throw bad(use);
          int h = positiveInt(args.get(0), use);
          if (args.size() == 2 && !args.get(1).equalsIgnoreCase("seq")) throw bad(use);
          return new LayerSpec.Lstm(h, args.size() == 2);
        }
        case "input" -> throw new IllegalArgumentException("second input '" + raw + "' at position " + pos
            + "; expected one of " + LAYER_NAMES);
        default -> throw new IllegalArgumentException("unknown layer '" + name + "' at position " + pos
            + "; expected one of " + LAYER_NAMES);
      }
    }
  }
}
