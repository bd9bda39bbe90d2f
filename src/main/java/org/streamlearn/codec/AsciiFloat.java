package org.streamlearn.codec;

/**
 * Parses a decimal number from ASCII bytes without allocating: {@code [+-]digits[.digits][(e|E)[+-]digits]}
 * (also {@code .5} and {@code 5.}). Returns NaN for anything else.
 *
 * <p>Precision: the first 19 significant digits are kept exactly in a long; the value is then formed
 * in double (exact powers of ten up to 1e22, {@code Math.pow} beyond) and rounded to float by the
 * caller. A decimal with at most 15 significant digits and a decimal exponent in [-22, 22] is thus a
 * correctly rounded double, and the float differs from {@link Float#parseFloat} by at most 1 ulp,
 * only in rare double-rounding cases (tested on random values). Integers up to 2^24 are exact.
 */
final class AsciiFloat {
  private AsciiFloat() {}

  private static final String[] NON_FINITE_WORDS = {"nan", "inf", "infinity"};
  private static final double[] POW10 = new double[23];

  static {
    POW10[0] = 1;
    for (int i = 1; i < POW10.length; i++) POW10[i] = POW10[i - 1] * 10;
  }

  /** The number in {@code b[from, to)}, or NaN when it is not one (including "NaN" itself). */
  static double parse(byte[] b, int from, int to) {
    int i = from;
    if (i >= to) return Double.NaN;
    boolean neg = false;
    if (b[i] == '-' || b[i] == '+') {
      neg = b[i] == '-';
      i++;
    }
    long mant = 0;
    int digits = 0, exp10 = 0;
    boolean any = false;
    for (; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
      any = true;
      int d = b[i] - '0';
      if (mant == 0 && d == 0) continue;
      if (digits < 18) { // 18 digits always fit a long; 19 may not (9.9e18 > 2^63)
        mant = mant * 10 + d;
        digits++;
      } else {
        exp10++; // beyond float's precision: drop the digit, keep the magnitude
      }
    }
    if (i < to && b[i] == '.') {
      for (i++; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
        any = true;
        int d = b[i] - '0';
        if (mant == 0 && d == 0) {
          exp10--;
        } else if (digits < 18) {
          mant = mant * 10 + d;
          digits++;
          exp10--;
        }
      }
    }
    if (!any) return Double.NaN;
    if (i < to && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      boolean eneg = false;
      if (i < to && (b[i] == '-' || b[i] == '+')) {
        eneg = b[i] == '-';
        i++;
      }
      if (i >= to || b[i] < '0' || b[i] > '9') return Double.NaN;
      int e = 0;
      for (; i < to && b[i] >= '0' && b[i] <= '9'; i++) e = Math.min(100_000, e * 10 + (b[i] - '0'));
      exp10 += eneg ? -e : e;
    }
    if (i != to) return Double.NaN;
    double v;
    if (mant == 0) v = 0;
    else if (exp10 == 0) v = mant;
    else if (exp10 > 0 && exp10 <= 22) v = mant * POW10[exp10];
    else if (exp10 < 0 && exp10 >= -22) v = mant / POW10[-exp10];
    else if (exp10 > 80) v = Double.POSITIVE_INFINITY; // mant >= 1: beyond float anyway
    else if (exp10 < -80) v = 0; // mant < 1e19: below float's smallest subnormal
    else v = mant * Math.pow(10, exp10);
    return neg ? -v : v;
  }

  /** Whether {@code b[from, to)} spells a non-finite value: nan, inf, infinity (any case, signed). */
  static boolean isNonFiniteWord(byte[] b, int from, int to) {
    if (from < to && (b[from] == '-' || b[from] == '+')) from++;
    int n = to - from;
    if (n != 3 && n != 8) return false;
    for (String w : NON_FINITE_WORDS) {
      if (w.length() != n) continue;
      boolean eq = true;
      for (int k = 0; k < n && eq; k++) eq = (b[from + k] | 0x20) == w.charAt(k);
      if (eq) return true;
    }
    return false;
  }
}
