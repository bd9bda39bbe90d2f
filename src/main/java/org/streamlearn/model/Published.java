package org.streamlearn.model;

import org.streamlearn.learn.Snapshot;

/**
 * A published weights version: the snapshot and its safetensors encoding (same bytes as on Kafka),
 * and the incarnation of its version line: (incarnation, version) names one set of weights, even
 * across restarts (the ETag of GET weights). Immutable: passed by reference on the event bus.
 */
public record Published(Snapshot snapshot, byte[] safetensors, String incarnation) {
  public Published(Snapshot snapshot, byte[] safetensors) {
    this(snapshot, safetensors, "0");
  }

  /** The HTTP entity tag, quoted: {@code "<incarnation>-<version>"}. */
  public String etag() {
    return "\"" + incarnation + "-" + version() + "\"";
  }

  public long version() {
    return snapshot.version();
  }
}
