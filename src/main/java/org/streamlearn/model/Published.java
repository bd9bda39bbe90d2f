package org.streamlearn.model;

import java.util.Objects;
import java.util.function.Supplier;
import org.streamlearn.learn.Snapshot;

/**
 * A published weights version: the snapshot, its safetensors encoding (same bytes as on Kafka),
 * and the incarnation of its version line: (incarnation, version) names one set of weights, even
 * across restarts (the ETag of GET weights). Immutable: passed by reference on the event bus.
 *
 * <p>The trainer publishes a version on the bus as soon as it took the snapshot; the bytes are
 * encoded on first use ({@link #safetensors()}: by the publish verticle for Kafka, or by whoever
 * asks first), so no thread hop or encoding stands between a trained step and its readers.
 */
public final class Published {
  private final Snapshot snapshot;
  private final String incarnation;
  private final Supplier<byte[]> encoding;
  private volatile byte[] safetensors;

  public Published(Snapshot snapshot, byte[] safetensors, String incarnation) {
    this.snapshot = Objects.requireNonNull(snapshot);
    this.safetensors = Objects.requireNonNull(safetensors);
    this.incarnation = Objects.requireNonNull(incarnation);
    this.encoding = null;
  }

  public Published(Snapshot snapshot, byte[] safetensors) {
    this(snapshot, safetensors, "0");
  }

  /**
   * A version whose bytes are encoded on first use.
   *
   * @param encoding a pure function of the snapshot (two threads asking at once may both run it,
   *     and get the same bytes)
   */
  public Published(Snapshot snapshot, String incarnation, Supplier<byte[]> encoding) {
    this.snapshot = Objects.requireNonNull(snapshot);
    this.incarnation = Objects.requireNonNull(incarnation);
    this.encoding = Objects.requireNonNull(encoding);
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  /** The safetensors file of this version (shared: do not modify). */
  public byte[] safetensors() {
    byte[] b = safetensors;
    if (b == null) safetensors = b = encoding.get();
    return b;
  }

  public String incarnation() {
    return incarnation;
  }

  /** The HTTP entity tag, quoted: {@code "<incarnation>-<version>"}. */
  public String etag() {
    return "\"" + incarnation + "-" + version() + "\"";
  }

  public long version() {
    return snapshot.version();
  }

  @Override public String toString() {
    return "Published[version=" + version() + ", incarnation=" + incarnation + "]";
  }
}
