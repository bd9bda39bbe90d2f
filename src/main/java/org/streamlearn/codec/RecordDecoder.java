package org.streamlearn.codec;

/**
 * Decodes one Kafka record value into a training example, writing features and label straight into
 * the caller's buffers (a row of the batch block). Never throws for any input bytes: every value is
 * either decoded ({@link DecodeResult#OK}, nothing allocated) or rejected with a reason. On rejection
 * the target cells may have been partly written and must be ignored.
 *
 * <p>Implementations are stateless and thread-safe.
 */
public interface RecordDecoder {

  /** Floats written into {@code x} per record. */
  int features();

  /** Floats written into {@code y} per record: 1 for a class index, else the number of targets. */
  int labelWidth();

  /**
   * @param value the record value (null is rejected)
   * @param x receives {@link #features()} floats at {@code xOff}
   * @param y receives {@link #labelWidth()} floats at {@code yOff}
   */
  DecodeResult decode(byte[] value, float[] x, int xOff, float[] y, int yOff);

  /**
   * JSON objects such as {@code {"x":[0.1, 2, ...], "y": 3}}: {@code xField} holds the features (an
   * array, or an array of rows for sequences, flattened row-major), {@code yField} the label (a
   * number, or an array of targets). Other fields are ignored.
   */
  static RecordDecoder json(int features, LabelSpec label, String xField, String yField) {
    return new JsonDecoder(features, label, xField, yField);
  }

  /**
   * Comma-separated numbers on one line: {@code features} features and the label's columns, which
   * start at {@code labelColumn} (0-based; -1: the last column(s)).
   */
  static RecordDecoder csv(int features, LabelSpec label, int labelColumn) {
    return new CsvDecoder(features, label, labelColumn);
  }

  /** Raw little-endian float32: the features, then the label's floats. */
  static RecordDecoder f32(int features, LabelSpec label) {
    return new F32Decoder(features, label);
  }
}
