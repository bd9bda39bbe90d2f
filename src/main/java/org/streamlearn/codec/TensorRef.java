package org.streamlearn.codec;

import java.util.Arrays;

/** One tensor inside a flat parameter array: {@code size()} floats from {@code offset}, row-major. */
public record TensorRef(String name, int offset, int[] shape) {
  public TensorRef {
    shape = shape.clone();
  }

  @Override public int[] shape() {
    return shape.clone();
  }

  /** Number of elements; 1 for a scalar (empty shape). */
  public long size() {
    long n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  @Override public boolean equals(Object o) {
    return o instanceof TensorRef t && t.name.equals(name) && t.offset == offset && Arrays.equals(t.shape, shape);
  }

  @Override public int hashCode() {
    return name.hashCode() * 31 + offset * 17 + Arrays.hashCode(shape);
  }

  @Override public String toString() {
    return name + Arrays.toString(shape) + "@" + offset;
  }
}
