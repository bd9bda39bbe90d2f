package org.streamlearn.codec;

/**
 * What a record's label is: a class index in [0, classes), written as one float, or {@code targets}
 * real values for regression.
 *
 * @param classes number of classes, 0 for regression
 * @param targets floats written into y: 1 for a class index
 */
public record LabelSpec(int classes, int targets) {
  public LabelSpec {
    if (classes < 0 || classes == 1) throw new IllegalArgumentException("classes must be 0 (regression) or >= 2: " + classes);
    if (targets < 1) throw new IllegalArgumentException("targets must be >= 1: " + targets);
    if (classes > 0 && targets != 1) throw new IllegalArgumentException("a class label is one value, not " + targets);
  }

  public static LabelSpec classes(int classes) {
    return new LabelSpec(classes, 1);
  }

  public static LabelSpec regression(int targets) {
    return new LabelSpec(0, targets);
  }

  public boolean isClass() {
    return classes > 0;
  }

  /** Rejects a class label that is not an integer in [0, classes); null when fine or regression. */
  DecodeResult check(float[] y, int yOff) {
    if (classes == 0) return null;
    float v = y[yOff];
    if (v >= 0 && v < classes && v == (float) Math.rint(v)) return null;
    return DecodeResult.reject(DecodeResult.Reason.LABEL_OUT_OF_RANGE,
        "label " + v + " is not an integer in [0, " + classes + ")");
  }
}
