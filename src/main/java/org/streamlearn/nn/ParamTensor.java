package org.streamlearn.nn;

import java.util.Arrays;

/**
 * One named parameter tensor inside a model's flat parameter array: elements
 * {@code [offset, offset + numel())}, row-major with the given shape (PyTorch names and layouts, so
 * a safetensors snapshot loads into the equivalent {@code torch.nn} modules).
 *
 * <p>A {@code folded} tensor is one PyTorch keeps apart and this model folds into the tensor at the
 * same offset (an LSTM's {@code bias_hh_l0}, added into {@code bias_ih_l0}): it is not a parameter
 * of its own, reads as zeros, and a value given for it adds into that tensor.
 */
public record ParamTensor(String name, int offset, int[] shape, boolean folded) {
  public ParamTensor {
    shape = shape.clone();
  }

  public ParamTensor(String name, int offset, int[] shape) {
    this(name, offset, shape, false);
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
    return o instanceof ParamTensor t && t.name.equals(name) && t.offset == offset && Arrays.equals(t.shape, shape)
        && t.folded == folded;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + offset;
  }

  @Override
  public String toString() {
    return name + "@" + offset + Arrays.toString(shape) + (folded ? " (folded)" : "");
  }
}
