package org.streamlearn.optim;

/**
 * The update rules written out in double, element by element, straight from the formulas in each
 * optimizer's doc comment (PyTorch's algorithm boxes). Independent of the kernels: tests compare
 * the float optimizers against it.
 */
final class Reference {
  final OptimizerSpec h;
  final double[] p, a, b; // a: m / v / s, b: Adam's v
  long t;

  Reference(OptimizerSpec h, float[] p0) {
    this.h = h;
    this.p = new double[p0.length];
    for (int i = 0; i < p0.length; i++) p[i] = p0[i];
    this.a = new double[p0.length];
    this.b = new double[p0.length];
  }

  void step(float[] g, double lr) {
    t++;
    double mu = h.momentum(), b1 = h.beta1(), b2 = h.beta2(), eps = h.eps(), rho = h.rho();
    for (int i = 0; i < p.length; i++) {
      double gi = g[i] + (double) h.l2() * p[i];
      switch (h.name()) {
        case "sgd" -> p[i] = p[i] - lr * gi;
        case "momentum" -> {
          a[i] = mu * a[i] + gi;
          p[i] = p[i] - lr * a[i];
        }
        case "nesterov" -> {
          a[i] = mu * a[i] + gi;
          p[i] = p[i] - lr * (gi + mu * a[i]);
        }
        case "adagrad" -> {
          a[i] = a[i] + gi * gi;
          p[i] = p[i] - lr * gi / (Math.sqrt(a[i]) + eps);
        }
        case "rmsprop" -> {
          a[i] = rho * a[i] + (1 - rho) * gi * gi;
          p[i] = p[i] - lr * gi / (Math.sqrt(a[i]) + eps);
        }
        case "adam", "adamw" -> {
          a[i] = b1 * a[i] + (1 - b1) * gi;
          b[i] = b2 * b[i] + (1 - b2) * gi * gi;
          double mHat = a[i] / (1 - Math.pow(b1, t)), vHat = b[i] / (1 - Math.pow(b2, t));
          double decay = h.name().equals("adamw") ? h.weightDecay() : 0;
          p[i] = p[i] - lr * (mHat / (Math.sqrt(vHat) + eps) + decay * p[i]);
        }
        default -> throw new AssertionError(h.name());
      }
    }
  }
}
