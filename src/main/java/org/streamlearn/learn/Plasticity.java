package org.streamlearn.learn;

import java.util.List;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.nn.Model;

/**
 * Keeps a network plastic over never-ending training.
 *
 * <p><b>Continual backprop</b> (Dohare, Hernandez-Garcia, Lan, Rahman, Mahmood &amp; Sutton 2024, "Loss
 * of plasticity in deep continual learning", Nature 632): every hidden unit i of a dense layer that
 * feeds another dense layer has an age and a contribution utility, updated after each batch's
 * forward pass with the mean |h_i| over the batch and its outgoing weights w_{k,i}:
 *
 * <pre>
 *   u_i = η·u_i + (1 − η)·mean_r |h_{r,i}| · Σ_k |w_{k,i}|
 * </pre>
 *
 * After each step every unit ages by one; per layer, {@code rate} × (units older than {@code
 * maturity}) is added to a running count, and for each whole unit in it the eligible unit with the
 * lowest bias-corrected utility u_i / (1 − η^age_i) (as the authors' code selects) is replaced: its
 * incoming weights drawn again from the layer's initialisation, its bias and outgoing weights set to
 * 0 (so the network's function does not change), its optimizer state zeroed, its utility and age
 * reset. Defaults of the paper: rate 1e-4, maturity 100, η = 0.99.
 *
 * <p><b>Shrink and perturb</b> (Ash &amp; Adams 2020, applied every step as in Dohare et al.'s
 * baselines): θ ← (1 − shrink)·θ + noise·ε, ε ~ N(0, 1) per parameter.
 *
 * <p>Random numbers come from a SplitMix64 generator whose state is exported with the rest, so a
 * resumed learner continues bit for bit. Allocates nothing per step.
 */
final class Plasticity {
  private final PlasticitySpec spec;
  private final Model.Hidden[] hidden;
  private final double[][] utility;
  private final long[][] age;
  private final double[] pendingReplacements;
  private long rng, replaced;

  Plasticity(PlasticitySpec spec, Model model, long seed) {
    this.spec = spec;
    List<Model.Hidden> h = spec.kind() == PlasticitySpec.Kind.CBP ? model.hiddenUnits() : List.of();
    if (spec.kind() == PlasticitySpec.Kind.CBP && h.isEmpty())
      throw new IllegalArgumentException("cbp needs a dense layer feeding another dense layer; " + model.spec() + " has none");
    hidden = h.toArray(new Model.Hidden[0]);
    utility = new double[hidden.length][];
    age = new long[hidden.length][];
    for (int l = 0; l < hidden.length; l++) {
      utility[l] = new double[hidden[l].units()];
      age[l] = new long[hidden[l].units()];
    }
    pendingReplacements = new double[hidden.length];
    rng = seed ^ 0x5DEECE66DL;
  }

  /** Units replaced so far (continual backprop). */
  long replaced() { return replaced; }

  double utility(int layer, int unit) { return utility[layer][unit]; }

  /** After the forward pass of b rows: utilities from the activations and the current weights. */
  void afterForward(int b, Model model, org.streamlearn.nn.Workspace ws, float[] p) {
    if (hidden.length == 0) return;
    double eta = spec.decay();
    for (int l = 0; l < hidden.length; l++) {
      Model.Hidden h = hidden[l];
      float[] act = model.layerOutput(ws, h.hLayer());
      for (int u = 0; u < h.units(); u++) {
        double a = 0;
        for (int r = 0; r < b; r++) a += Math.abs(act[r * h.units() + u]);
        double w = 0;
        for (int k = 0; k < h.outUnits(); k++) w += Math.abs(p[h.wOut() + k * h.units() + u]);
        utility[l][u] = eta * utility[l][u] + (1 - eta) * (a / b) * w;
      }
    }
  }

  /** After an optimizer step: ages, replacements (cbp) or shrink and perturb. */
  void afterStep(float[] p, float[][] optState) {
    switch (spec.kind()) {
      case CBP -> replace(p, optState);
      case SHRINK_PERTURB -> {
        float keep = (float) (1 - spec.shrink()), noise = (float) spec.noise();
        for (int i = 0; i < p.length; i++) p[i] = keep * p[i] + noise * (float) gaussian();
      }
      case NONE -> { }
    }
  }

  private void replace(float[] p, float[][] optState) {
    double eta = spec.decay();
    for (int l = 0; l < hidden.length; l++) {
      Model.Hidden h = hidden[l];
      int eligible = 0;
      for (int u = 0; u < h.units(); u++) if (++age[l][u] > spec.maturity()) eligible++;
      pendingReplacements[l] += spec.rate() * eligible;
      while (pendingReplacements[l] >= 1) {
        pendingReplacements[l] -= 1;
        int worst = -1;
        double worstU = Double.POSITIVE_INFINITY;
        for (int u = 0; u < h.units(); u++) {
          if (age[l][u] <= spec.maturity()) continue;
          // powInt: the same bits in every JIT tier, and no allocation
          double bc = utility[l][u] / (1 - Kernels.powInt(eta, age[l][u]));
          if (bc < worstU) {
            worstU = bc;
            worst = u;
          }
        }
        if (worst < 0) break;
        reinit(h, worst, p, optState);
        utility[l][worst] = 0;
        age[l][worst] = 0;
        replaced++;
      }
    }
  }

  /** Fresh incoming weights for unit u, bias and outgoing weights 0, optimizer state of all of them 0. */
  void reinit(Model.Hidden h, int u, float[] p, float[][] optState) {
    double heStd = Math.sqrt(2.0 / h.in()), glorot = Math.sqrt(6.0 / (h.in() + h.units()));
    for (int j = 0; j < h.in(); j++) {
      int i = h.wIn() + u * h.in() + j;
      p[i] = (float) (h.he() ? gaussian() * heStd : (2 * uniform() - 1) * glorot);
      for (float[] s : optState) s[i] = 0f;
    }
    p[h.bIn() + u] = 0f;
    for (float[] s : optState) s[h.bIn() + u] = 0f;
    for (int k = 0; k < h.outUnits(); k++) {
      int i = h.wOut() + k * h.units() + u;
      p[i] = 0f;
      for (float[] s : optState) s[i] = 0f;
    }
  }

  private long next() { // SplitMix64
    long z = (rng += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private double uniform() {
    return (next() >>> 11) * 0x1.0p-53;
  }

  /**
   * Marsaglia's polar method, one value per call (the second is dropped: simpler state). StrictMath
   * and no trigonometry: the same bits in every JIT tier, and no allocation (StrictMath.cos's
   * argument reduction allocates).
   */
  private double gaussian() {
    double u, v, s;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * StrictMath.sqrt(-2 * StrictMath.log(s) / s);
  }

  /** {rng hi, rng lo, replaced, then per layer: pending, utilities, ages}. */
  double[] export() {
    int n = 3;
    for (double[] u : utility) n += 1 + 2 * u.length;
    double[] s = new double[n];
    s[0] = (double) (rng >>> 32);
    s[1] = (double) (rng & 0xFFFFFFFFL);
    s[2] = replaced;
    int o = 3;
    for (int l = 0; l < utility.length; l++) {
      s[o++] = pendingReplacements[l];
      for (double u : utility[l]) s[o++] = u;
      for (long a : age[l]) s[o++] = a;
    }
    return s;
  }

  void restore(double[] s) {
    int n = 3;
    for (double[] u : utility) n += 1 + 2 * u.length;
    if (s.length != n) throw new IllegalArgumentException("plasticity state has " + s.length + " values, expected " + n);
    rng = ((long) s[0] << 32) | (long) s[1];
    replaced = (long) s[2];
    int o = 3;
    for (int l = 0; l < utility.length; l++) {
      pendingReplacements[l] = s[o++];
      for (int u = 0; u < utility[l].length; u++) utility[l][u] = s[o++];
      for (int u = 0; u < age[l].length; u++) age[l][u] = (long) s[o++];
    }
  }
}
