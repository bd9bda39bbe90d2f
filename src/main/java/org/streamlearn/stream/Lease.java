package org.streamlearn.stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * In a group, how long the trainer may go on taking rows without news of the group. The ingest
 * thread extends it after each poll while it knows the group still gives this replica its
 * partitions; after the JVM stood still (a long GC pause, SIGSTOP) it has lapsed, and only the
 * group's answer (a probe commit, a rebalance callback) renews it. So the trainer never trains a
 * queued row of a partition the group has already given to another replica.
 */
final class Lease {
  private final long lengthNanos;
  private volatile long untilNanos;
  /** Ingest thread: the lease lapsed and the group has not yet confirmed or taken the partitions. */
  private boolean doubt;

  Lease(long lengthMillis) {
    this.lengthNanos = lengthMillis * 1_000_000L;
    this.untilNanos = System.nanoTime() + lengthNanos;
  }

  /**
   * Half of what separates the consumer's last heartbeat from its session's expiry in the worst
   * case, session.timeout.ms − heartbeat.interval.ms (Kafka's defaults 45 s and 3 s, else as set in
   * kafka.properties.*): a JVM that stood still for less cannot have lost its partitions.
   */
  static long lengthMillis(KafkaClients kafka) {
    long session = millis(kafka, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 45_000);
    long heartbeat = millis(kafka, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
    return Math.max(100, (session - heartbeat) / 2);
  }

  private static long millis(KafkaClients kafka, String key, long dflt) {
    String v = kafka.properties().get(key);
    if (v == null) return dflt;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("kafka.properties." + key + " = '" + v + "': must be a whole number of ms");
    }
  }

  long lengthMillis() {
    return lengthNanos / 1_000_000L;
  }

  /** Trainer: whether rows may be taken now. */
  boolean valid() {
    return System.nanoTime() - untilNanos <= 0;
  }

  /**
   * Ingest thread, after a poll: extends the lease unless it has lapsed.
   *
   * @return true when it has just lapsed (the caller logs and starts probing)
   */
  boolean renew() {
    long now = System.nanoTime();
    if (doubt) return false;
    if (now - untilNanos > 0) {
      doubt = true;
      return true;
    }
    untilNanos = now + lengthNanos;
    return false;
  }

  /** Ingest thread: the lease lapsed and waits for the group's answer. */
  boolean inDoubt() {
    return doubt;
  }

  /**
   * Ingest thread: the group has answered (a probe, a rebalance callback).
   *
   * @return whether it was in doubt
   */
  boolean confirm() {
    boolean was = doubt;
    doubt = false;
    untilNanos = System.nanoTime() + lengthNanos;
    return was;
  }
}
