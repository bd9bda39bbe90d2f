package org.streamlearn.codec;

import static org.streamlearn.codec.DecodeResult.Reason.MALFORMED;
import static org.streamlearn.codec.DecodeResult.Reason.NON_FINITE;
import static org.streamlearn.codec.DecodeResult.Reason.WRONG_LENGTH;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** Raw little-endian float32: features then the label's floats; exactly 4 × (features + label) bytes. */
final class F32Decoder implements RecordDecoder {
  private static final VarHandle LE_FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  private final int features;
  private final LabelSpec label;
  private final int width;

  F32Decoder(int features, LabelSpec label) {
    if (features < 1) throw new IllegalArgumentException("features must be >= 1: " + features);
    this.features = features;
    this.label = label;
    this.width = label.targets();
  }

  @Override public int features() {
    return features;
  }

  @Override public int labelWidth() {
    return width;
  }

  @Override
  public DecodeResult decode(byte[] b, float[] x, int xOff, float[] y, int yOff) {
    if (b == null) return DecodeResult.reject(MALFORMED, "null record");
    int expected = 4 * (features + width);
    if (b.length != expected) {
      return DecodeResult.reject(WRONG_LENGTH, "expected " + expected + " bytes (" + features + " features + "
          + width + " label as float32), got " + b.length);
    }
    for (int i = 0; i < features; i++) {
      float v = (float) LE_FLOAT.get(b, 4 * i);
      if (!Float.isFinite(v)) return DecodeResult.reject(NON_FINITE, "feature " + i + " is " + v);
      x[xOff + i] = v;
    }
    for (int j = 0; j < width; j++) {
      float v = (float) LE_FLOAT.get(b, 4 * (features + j));
      if (!Float.isFinite(v)) return DecodeResult.reject(NON_FINITE, "label " + j + " is " + v);
      y[yOff + j] = v;
    }
    DecodeResult bad = label.check(y, yOff);
    return bad != null ? bad : DecodeResult.OK;
  }
}
