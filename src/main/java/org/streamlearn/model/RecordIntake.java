package org.streamlearn.model;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What {@code POST /models/{m}/records} needs of a model, so this package knows nothing of Kafka:
 * the model's record format, a check of one record as the model's decoder sees it, and a producer
 * to its (first) training topic.
 */
public interface RecordIntake {
  /** The record format of the model's topic: {@code csv}, {@code json} or {@code f32}. */
  String format();

  /** Bytes of one f32 record (features then label, float32 little-endian); 0 for text formats. */
  int recordBytes();

  /** The topic the records go to. */
  String topic();

  /** Null when the model's decoder takes the record, else why not. Thread-safe, allocation aside. */
  String check(byte[] value);

  /**
   * Sends the records, in order, to {@link #topic()}; the stage completes with their number once the
   * broker acknowledged all of them (acks=all), or exceptionally with the first failure (some may
   * have been written then). May block (metadata): call it on a worker thread, never an event loop.
   */
  CompletionStage<Integer> produce(List<byte[]> values);
}
