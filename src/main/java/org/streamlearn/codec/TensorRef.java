package org.streamlearn.codec;

import java.util.Arrays;

/**
 * One tensor inside a flat parameter array: {@code size()} floats from {@code offset}, row-major;
 * or, with offset {@link #ZEROS}, a tensor of zeros that is not in the array.
 */
public record TensorRef(String name, int offset, int[] shape) {
  public static final int ZEROS = -1;

  public TensorRef {
    shape = shape.clone();
  }

  /** A tensor of zeros of this shape (written as such, read from no array). */
  public static TensorRef zeros(String name, int[] shape) {
    return new TensorRef(name, ZEROS, shape);
  }

  public boolean isZeros() {
    return offset == ZEROS;
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
