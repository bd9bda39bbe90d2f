package org.streamlearn.nn;

import java.util.Arrays;

/**
 * One named parameter tensor inside a model's flat parameter array: elements
 * {@code [offset, offset + numel())}, row-major with the given shape (PyTorch names and layouts, so
 * a safetensors snapshot loads into the equivalent {@code torch.nn} modules).
 */
public record ParamTensor(String name, int offset, int[] shape) {
  public ParamTensor {
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  /** Number of elements: the product of the shape. */
  public int numel() {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamTensor t && t.name.equals(name) && t.offset == offset && Arrays.equals(t.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + offset;
  }

  @Override
  public String toString() {
    return name + "@" + offset + Arrays.toString(shape);
  }
}
