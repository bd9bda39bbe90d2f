package org.streamlearn.http;

import java.util.Map;
import java.util.function.Consumer;
import org.streamlearn.learn.Snapshot;

/**
 * What the HTTP API needs of one running model; the stream side implements it (app wires the two),
 * so this package knows nothing of Kafka. Every method is safe to call from any thread and never
 * blocks: values are read from volatile fields the trainer publishes.
 */
public interface ServedModel {
  String name();

  /** Canonical layer spec text (ModelSpec.toString()). */
  String spec();

  /** Configuration summary for GET /models/{m}: topics, group, format, loss, optimizer, batch size... */
  Map<String, Object> describe();

  /** The newest published version, or null before the first publish. */
  Published latest();

  /** Live figures for the page, /ready and GET /models/{m}. */
  Status status();

  /**
   * Registers a listener called once per published version (on the trainer's or publisher's thread:
   * hop to your own context before doing I/O). Closing the returned handle unregisters it.
   */
  AutoCloseable onPublish(Consumer<Published> listener);

  /**
   * The newest durable checkpoint, or null when there is none: {@code file}, {@code step},
   * {@code examples}, {@code created} (ISO-8601), {@code offsets} {topic-partition: next offset},
   * {@code size_bytes}.
   */
  default Map<String, Object> checkpoint() {
    return null;
  }

  /** A published weights version: the snapshot and its safetensors encoding (same bytes as on Kafka). */
  record Published(Snapshot snapshot, byte[] safetensors) {
    public long version() {
      return snapshot.version();
    }
  }

  /**
   * @param ready broker connected and answering, and partitions assigned (a model with no assignment
   *     is not ready)
   * @param paused fetching paused by backpressure
   * @param examplesPerSecond recent training rate
   * @param lag records behind the end of the input partitions (sum), -1 when unknown
   * @param problem a human-readable reason when not ready, or when ready but degraded (failing
   *     checkpoints: GET /ready still answers 200 and lists it under "degraded"), else null
   */
  record Status(boolean ready, boolean paused, double examplesPerSecond, long lag, String problem) {}
}
