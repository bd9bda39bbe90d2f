package org.streamlearn.stream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.codec.DecodeResult;

/**
 * The dead-letter topic {@code <model>.dlq}, with the guarantee that a dead letter is never lost
 * while its record is taken as handled: until the broker has acknowledged a dead letter, the
 * offset of its record is <em>unacknowledged</em> ({@link #floor}), and neither a commit nor a
 * checkpoint may cover it. A restart after any failure therefore reads the record again and
 * dead-letters it again.
 *
 * <p>The producer is its own (the weights' producer may drop versions after
 * {@code delivery.timeout.ms}; a dead letter must not be dropped): {@code acks=all}, idempotent,
 * and retrying without a delivery time-out, so an outage of any length only delays dead letters.
 * A send that cannot even be handed to the producer (no metadata within {@code max.block.ms}, buffer
 * full) is kept and handed again on the next {@link #retry()}. A dead letter larger than the topic
 * accepts is sent again with its value cut to {@link #TRUNCATED_BYTES} and a header
 * {@code dlq.truncated} giving the original length. Only an error that no retry can mend
 * (authorization, for instance) gives a dead letter up: logged as an error, counted, and its
 * offset released so the partition is not held back for ever.
 *
 * <p>{@link #send} and {@link #retry} run on the consumer thread; the producer's callbacks release
 * offsets on its I/O thread; {@link #floor} is read by the trainer (checkpoints) and the consumer
 * (commits). Dead letters are rare: their bookkeeping allocates, the training path does not.
 */
final class DeadLetters implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
  static final String[] HEADERS =
      {"dlq.reason", "dlq.detail", "dlq.topic", "dlq.partition", "dlq.offset", "dlq.timestamp"};
  static final String TRUNCATED_HEADER = "dlq.truncated";
  static final int TRUNCATED_BYTES = 64 << 10;
  static final int MAX_BLOCK_MS = 1000;
  static final long RETRY_INTERVAL_MS = 1000;

  private final String model, topic;
  private final KafkaClients kafka;
  private KafkaProducer<byte[], byte[]> producer;
  /** Offsets of records whose dead letters the broker has not acknowledged, by partition index. */
  private final Map<Integer, ConcurrentSkipListSet<Long>> unacked = new ConcurrentHashMap<>();
  private final AtomicLong pending = new AtomicLong(), given = new AtomicLong(), sent = new AtomicLong();
  /** Sends to hand to the producer again: added by either thread, taken by the consumer thread. */
  private final ConcurrentLinkedQueue<Pending> retry = new ConcurrentLinkedQueue<>();
  private volatile long warnedMillis;
  private volatile boolean closing;
  private long lastRetryMillis;

  /** One dead letter: the partition index and offset of its record ({@code tp} names them for logs). */
  private record Pending(int partition, String tp, long offset, ProducerRecord<byte[], byte[]> record) {}

  DeadLetters(String model, String topic, KafkaClients kafka) {
    this.model = model;
    this.topic = topic;
    this.kafka = kafka;
  }

  /** Creates the producer and fetches the topic's metadata, so a send during an outage does not block on it. */
  void start() {
    producer = new KafkaProducer<>(kafka.config(Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "streamlearn-" + model + "-dlq",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE,
        // Keep the topic's metadata however long no record goes bad: a send during an outage then
        // does not wait max.block.ms for metadata that cannot come.
        ProducerConfig.METADATA_MAX_IDLE_CONFIG, Integer.MAX_VALUE,
        // Without metadata (the topic gone, the broker away since start-up) a send waits at most
        // this long on the consumer thread, then the dead letter is kept and retried once a second.
        ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS,
        ProducerConfig.LINGER_MS_CONFIG, 5)),
        new ByteArraySerializer(), new ByteArraySerializer());
    try {
      producer.partitionsFor(topic);
    } catch (KafkaException e) {
      log.warn("model {}: no metadata for {} yet ({}); the first dead letter will ask again", model, topic, e.toString());
    }
  }

  /** Consumer thread: the record, key and value unchanged, with the reason in headers. */
  void send(int partition, ConsumerRecord<byte[], byte[]> r, DecodeResult res) {
    var out = new ProducerRecord<>(topic, null, r.timestamp() >= 0 ? r.timestamp() : null, r.key(), r.value());
    for (Header h : r.headers()) out.headers().add(h);
    String[] values = {res.reason().name(), res.detail(), r.topic(), Integer.toString(r.partition()),
        Long.toString(r.offset()), Instant.now().toString()};
    for (int i = 0; i < HEADERS.length; i++) out.headers().add(HEADERS[i], values[i].getBytes(StandardCharsets.UTF_8));
    unacked.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>()).add(r.offset());
    pending.incrementAndGet();
    hand(new Pending(partition, r.topic() + "-" + r.partition(), r.offset(), out));
  }

  /** Consumer thread: hands the producer again what it could not take before, at most once a second. */
  void retry() {
    if (retry.isEmpty()) return;
    long now = System.currentTimeMillis();
    if (now - lastRetryMillis < RETRY_INTERVAL_MS) return;
    lastRetryMillis = now;
    for (int n = retry.size(); n > 0; n--) {
      Pending d = retry.poll();
      if (d == null) return;
      hand(d);
    }
  }

  private void hand(Pending d) {
    try {
      producer.send(d.record(), (md, e) -> done(d, e));
    } catch (KafkaException e) { // no metadata within max.block.ms, or the buffer is full: keep it
      warn("the dead letter of " + d.tp() + " offset " + d.offset() + " is not handed to the producer yet (" + e
          + "); kept and retried");
      retry.add(d);
    }
  }

  private void done(Pending d, Exception e) {
    if (e == null) {
      sent.incrementAndGet();
      release(d);
      return;
    }
    if (closing) return; // aborted by close: stays unacknowledged, so uncommitted, and is sent again after a restart
    if (e instanceof RecordTooLargeException && d.record().value() != null
        && d.record().headers().lastHeader(TRUNCATED_HEADER) == null) {
      byte[] v = d.record().value();
      var cut = new ProducerRecord<>(topic, null, d.record().timestamp(), d.record().key(),
          Arrays.copyOf(v, Math.min(v.length, TRUNCATED_BYTES)), d.record().headers());
      cut.headers().add(TRUNCATED_HEADER, Integer.toString(v.length).getBytes(StandardCharsets.UTF_8));
      log.warn("model {}: the dead letter of {} offset {} is too large for {} ({} bytes); sent with its value cut to {} "
          + "bytes", model, d.tp(), d.offset(), topic, v.length, TRUNCATED_BYTES);
      try {
        producer.send(cut, (md, e2) -> done(new Pending(d.partition(), d.tp(), d.offset(), cut), e2));
        return;
      } catch (KafkaException e2) {
        e = e2;
      }
    }
    if (e instanceof RetriableException) { // not expected without a delivery time-out: send it again
      retry.add(d);
      return;
    }
    given.incrementAndGet();
    log.error("model {}: the dead letter of {} offset {} is given up after an error no retry can mend; the record is "
        + "lost: {}", model, d.tp(), d.offset(), e.toString());
    release(d);
  }

  private void release(Pending d) {
    var set = unacked.get(d.partition());
    if (set != null) set.remove(d.offset());
    pending.decrementAndGet();
  }

  private void warn(String msg) {
    long now = System.currentTimeMillis();
    if (now - warnedMillis > 60_000) {
      warnedMillis = now;
      log.warn("model {}: {} (further such warnings for a minute suppressed)", model, msg);
    }
  }

  /**
   * The lowest offset of partition {@code p} whose dead letter is not acknowledged yet, or
   * {@link Long#MAX_VALUE}: a commit or checkpoint of {@code p} may cover offsets below it only.
   */
  long floor(int p) {
    var set = unacked.get(p);
    Long f = set == null ? null : set.ceiling(Long.MIN_VALUE);
    return f == null ? Long.MAX_VALUE : f;
  }

  /** Dead letters handed over but not acknowledged by the broker. */
  long pending() {
    return pending.get();
  }

  /** Dead letters the broker acknowledged. */
  long sent() {
    return sent.get();
  }

  /** Dead letters given up (an error no retry mends); their records are lost. */
  long givenUp() {
    return given.get();
  }

  /**
   * Waits up to {@code timeout} for the dead letters in flight, then closes: what is still
   * unacknowledged is neither committed nor checkpointed, so the next start dead-letters it again.
   */
  @Override public void close() {
    close(Duration.ofSeconds(5));
  }

  void close(Duration timeout) {
    if (producer == null) return;
    closing = true;
    producer.close(timeout);
    long left = pending.get();
    if (left > 0)
      log.warn("model {}: {} dead letter(s) not acknowledged at shutdown; their records are not committed and are "
          + "dead-lettered again at the next start", model, left);
  }
}
