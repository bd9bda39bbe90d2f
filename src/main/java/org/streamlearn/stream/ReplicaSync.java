package org.streamlearn.stream;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.kernels.Kernels;

/**
 * Model averaging between the replicas of one model (local SGD), through the compacted topic
 * {@code <model>.sync} keyed by replica id: no cluster layer of our own.
 *
 * <p>{@link #exchange} runs on the trainer thread between steps: it publishes this replica's
 * parameters with the number of examples it trained since its previous exchange, then folds in
 * every other replica's parameters received since the previous fold (each message once), weighted
 * the same way: θ ← (n_self·θ_self + Σ n_j·θ_j) / (n_self + Σ n_j); when every weight is 0 (the
 * group is idle) with equal weights, so idle replicas converge to one model. Optimizer state stays
 * local.
 * The send buffer, the average and every replica's receive buffer are allocated once, and the
 * producer recycles its batch buffer, so a steady exchange allocates no parameter-sized memory on
 * the trainer thread (only the producer's small record objects).
 *
 * <p>A thread of its own reads {@code <model>.sync} (all partitions assigned, no group, from the
 * beginning: compaction keeps one record per replica) into those buffers, and follows
 * {@code <model>.weights} for the newest published version, so a newly elected publisher continues
 * the version line above it. Messages older than {@code sync.stale.ms} (by their timestamp) are not
 * folded; a replica not heard from for that long no longer counts as a member.
 *
 * <p>Wire format of a value (little-endian): 8 bytes {@code SLSYNC01}; u32 parameter count; i32 hash
 * of the layer spec; i64 step; i64 examples since the previous exchange (the weight); i64 examples in
 * total; i64 send time (epoch ms); f64 examples/s; u32 flags (1: final, the replica is leaving); then
 * the parameters as float32.
 */
final class ReplicaSync implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSync.class);
  static final byte[] MAGIC = "SLSYNC01".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 4;
  static final int FINAL = 1;

  private final String model, replica, topic, weightsTopic;
  private final byte[] key;
  private final int P, specHash;
  private final long staleMs;
  private final KafkaClients kafka;
  private final byte[] out;
  private final ByteBuffer outHeader;
  private final FloatBuffer outParams;
  private final float[] avg;
  private final Map<String, Slot> slots = new ConcurrentHashMap<>();
  private volatile boolean running;
  private volatile long topVersion = -1;
  /** The reader has read the sync topic up to its end as of its start: the others' latest are in. */
  private volatile boolean caughtUp;
  private final java.util.concurrent.CountDownLatch caughtUpLatch = new java.util.concurrent.CountDownLatch(1);
  private Thread thread;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private final org.apache.kafka.clients.producer.Callback onSent = (md, e) -> {
    if (e != null) sendFailed(e);
  };
  private long warnedSpecMillis, warnedIdMillis, ownReceived;
  private volatile long warnedSendMillis, sendFailures;
  private final long startMillis = System.currentTimeMillis();
  private volatile long ownSent;

  // Figures of the last exchange, written by the trainer thread.
  volatile double lastDivergence = Double.NaN, lastRelativeDivergence = Double.NaN;
  volatile int lastReplicasInAverage = 1;
  volatile long exchanges;

  /** The newest parameters of one other replica; the sync thread writes, the trainer reads, under its lock. */
  static final class Slot {
    final String replica;
    final float[] params;
    long weight;
    boolean fresh, leaving;
    // Read without the lock by meters and GET /models/{m} (the event loop must not wait for a fold).
    volatile long step, examples, sentMillis, receivedMillis;
    volatile double rate;

    Slot(String replica, int P) {
      this.replica = replica;
      this.params = new float[P];
    }
  }

  /** What one exchange did, for meters. */
  record Result(long nanos, int replicasInAverage, double divergence, double relative) {}

  ReplicaSync(String model, String replica, String spec, int paramCount, long staleMs, KafkaClients kafka) {
    this.model = model;
    this.replica = replica;
    this.topic = Topics.sync(model);
    this.weightsTopic = Topics.weights(model);
    this.key = replica.getBytes(StandardCharsets.UTF_8);
    this.P = paramCount;
    this.specHash = spec.hashCode();
    this.staleMs = staleMs;
    this.kafka = kafka;
    this.out = new byte[HEADER + 4 * P];
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(P).putInt(specHash);
    this.outHeader = b.slice(b.position(), HEADER - b.position()).order(ByteOrder.LITTLE_ENDIAN);
    this.outParams = ByteBuffer.wrap(out, HEADER, 4 * P).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    this.avg = new float[P];
  }

  String topic() {
    return topic;
  }

  String replica() {
    return replica;
  }

  /**
   * Starts the reader thread and the producer of the exchanges: its own, with batches of one
   * whole message, so the producer's buffer pool recycles the batch buffer instead of allocating
   * a parameter-sized one per exchange.
   */
  void start() {
    int batch = HEADER + 4 * P + 4096;
    this.producer = new KafkaProducer<>(kafka.config(Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "streamlearn-" + model + "-sync-out-" + replica,
        ProducerConfig.ACKS_CONFIG, "1",
        ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.BATCH_SIZE_CONFIG, batch,
        ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, 4L * batch),
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.maxMessageBytes(4 * P))),
        new ByteArraySerializer(), new ByteArraySerializer());
    consumer = new KafkaConsumer<>(kafka.config(Map.of(
        ConsumerConfig.CLIENT_ID_CONFIG, "streamlearn-" + model + "-sync-" + replica,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1 << 20, Topics.maxMessageBytes(4 * P)),
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Math.max(50 << 20, Topics.maxMessageBytes(4 * P)))),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    running = true;
    thread = Thread.ofPlatform().name("sl-" + model + "-sync").daemon(true).start(this::read);
  }

  private void read() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (int attempt = 0; parts.isEmpty() && running; attempt++) { // a just-created topic may not be known yet
        try {
          for (var p : consumer.partitionsFor(topic, Duration.ofSeconds(5))) parts.add(new TopicPartition(topic, p.partition()));
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          if (attempt == 2) log.warn("model {}: {} not found yet on the broker; still trying", model, topic);
        }
        if (parts.isEmpty()) Thread.sleep(500);
      }
      if (!running) return;
      TopicPartition w = new TopicPartition(weightsTopic, 0);
      List<TopicPartition> all = new ArrayList<>(parts);
      all.add(w);
      consumer.assign(all);
      consumer.seekToBeginning(parts);
      long end = consumer.endOffsets(List.of(w), Duration.ofSeconds(15)).get(w);
      consumer.seek(w, Math.max(0, end - 1));
      Map<TopicPartition, Long> ends = consumer.endOffsets(parts, Duration.ofSeconds(15));
      while (running) {
        for (var r : consumer.poll(Duration.ofMillis(100))) {
          if (r.topic().equals(weightsTopic)) version(r.value());
          else receive(r.key(), r.value(), r.timestamp());
        }
        if (!caughtUp && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp = true;
          caughtUpLatch.countDown();
        }
      }
    } catch (WakeupException e) {
      if (running) log.warn("model {}: sync reader woken up unexpectedly", model);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("model {}: sync reader of {} failed; this replica trains on alone: {}", model, topic, e.toString(), e);
    } finally {
      caughtUp = true; // nothing more will come in: do not hold readiness or start-up for it
      caughtUpLatch.countDown();
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }

  /** Whether the reader has read what the sync topic held when it started (the others' latest parameters). */
  boolean caughtUp() {
    return caughtUp;
  }

  /** Waits up to {@code millis} for {@link #caughtUp()}; false on time-out. */
  boolean awaitCaughtUp(long millis) throws InterruptedException {
    return caughtUpLatch.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void version(byte[] value) {
    if (value == null) return;
    try {
      String v = SafeTensors.read(value).metadata().get(SafeTensors.META_VERSION);
      if (v != null) topVersion = Math.max(topVersion, Long.parseLong(v));
    } catch (org.streamlearn.codec.WeightsFormatException | RuntimeException e) {
      log.warn("model {}: unreadable record on {}: {}", model, weightsTopic, e.toString());
    }
  }

  private void receive(byte[] k, byte[] value, long timestamp) {
    if (k == null) return;
    String id = new String(k, StandardCharsets.UTF_8);
    if (id.equals(replica)) { // ours; more of them than we sent means another instance uses our id
      if (timestamp >= startMillis && ++ownReceived > ownSent) {
        long now = System.currentTimeMillis();
        if (now - warnedIdMillis > 60_000) {
          warnedIdMillis = now;
          log.warn("model {}: another instance publishes on {} as replica {}: give every instance its own replica.id "
              + "(the two ignore each other's parameters)", model, topic, replica);
        }
      }
      return;
    }
    if (value == null) { // tombstone: the replica left
      slots.remove(id);
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    boolean ok = value.length >= HEADER && java.util.Arrays.equals(value, 0, 8, MAGIC, 0, 8);
    if (ok) {
      b.position(8);
      ok = b.getInt() == P && b.getInt() == specHash && value.length == HEADER + 4 * P;
    }
    if (!ok) {
      long now = System.currentTimeMillis();
      if (now - warnedSpecMillis > 60_000) {
        warnedSpecMillis = now;
        log.warn("model {}: ignoring parameters of replica {} on {}: another format or layer spec (later ones "
            + "ignored silently for a minute)", model, id, topic);
      }
      return;
    }
    long step = b.getLong(), weight = b.getLong(), examples = b.getLong(), sent = b.getLong();
    double rate = b.getDouble();
    int flags = b.getInt();
    Slot s = slots.computeIfAbsent(id, i -> new Slot(i, P));
    synchronized (s) {
      b.position(HEADER);
      b.asFloatBuffer().get(s.params);
      s.step = step;
      s.weight = s.fresh ? s.weight + weight : weight; // an unfolded earlier message: its examples count too
      s.examples = examples;
      s.sentMillis = timestamp >= 0 ? timestamp : sent;
      s.receivedMillis = System.currentTimeMillis();
      s.rate = rate;
      s.leaving = (flags & FINAL) != 0;
      // A message older than the staleness (replayed from the compacted topic at start) is not folded.
      s.fresh = s.receivedMillis - s.sentMillis <= staleMs;
    }
  }

  /**
   * Trainer thread: publishes θ with its weight, then folds in every fresh message of the others.
   *
   * @param params θ of this replica, replaced by the average
   * @param weight examples trained since this replica's previous exchange
   */
  Result exchange(float[] params, long step, long weight, long examples, double rate, boolean leaving) {
    long t0 = System.nanoTime(), now = System.currentTimeMillis();
    outHeader.clear();
    outHeader.putLong(step).putLong(weight).putLong(examples).putLong(now).putDouble(rate).putInt(leaving ? FINAL : 0);
    outParams.clear();
    outParams.put(params);
    // send() copies the value into the producer's batch before it returns, so `out` can be reused.
    ownSent++;
    producer.send(new ProducerRecord<>(topic, 0, now, key, out), onSent);
    // When nobody trained since their last exchange (the group is idle), plain averaging: the
    // replicas then converge to one model instead of keeping the differences of their last folds.
    boolean idle = weight == 0;
    for (Slot s : slots.values()) {
      synchronized (s) {
        if (s.fresh && s.weight > 0) idle = false;
      }
    }
    double total = idle ? 1 : weight;
    int folded = 0;
    boolean first = true;
    for (Slot s : slots.values()) {
      synchronized (s) {
        if (!s.fresh) continue;
        s.fresh = false;
        float w = idle ? 1 : s.weight;
        if (w <= 0) continue;
        if (first) {
          System.arraycopy(params, 0, avg, 0, P);
          Kernels.scale(P, idle ? 1 : weight, avg, 0);
          first = false;
        }
        Kernels.axpy(P, w, s.params, 0, avg, 0);
        total += w;
        folded++;
      }
    }
    slots.values().removeIf(s -> s.leaving && !s.fresh);
    double div = 0, norm = 0;
    if (folded > 0) {
      Kernels.scale(P, (float) (1.0 / total), avg, 0);
      for (int i = 0; i < P; i++) {
        double d = params[i] - avg[i];
        div += d * d;
        norm += (double) avg[i] * avg[i];
      }
      System.arraycopy(avg, 0, params, 0, P);
      div = Math.sqrt(div);
      lastDivergence = div;
      lastRelativeDivergence = norm > 0 ? div / Math.sqrt(norm) : 0;
    }
    lastReplicasInAverage = folded + 1;
    exchanges++;
    return new Result(System.nanoTime() - t0, folded + 1, folded > 0 ? div : Double.NaN,
        folded > 0 ? lastRelativeDivergence : Double.NaN);
  }

  private void sendFailed(Exception e) {
    long now = System.currentTimeMillis();
    if (now - warnedSendMillis > 60_000) {
      warnedSendMillis = now;
      log.warn("model {}: publishing parameters to {} failed (later failures for a minute only counted): {}", model,
          topic, e.toString());
    }
    sendFailures++;
  }

  /** Exchanges the broker did not accept. */
  long sendFailures() {
    return sendFailures;
  }

  /** Whether a message of this replica waits to be folded in (tests). */
  boolean hasFresh(String other) {
    Slot s = slots.get(other);
    if (s == null) return false;
    synchronized (s) {
      return s.fresh;
    }
  }

  /** Newest version on the weights topic, -1 none seen. */
  long topVersion() {
    return topVersion;
  }

  /** Other replicas heard from within sync.stale.ms. */
  int liveReplicas() {
    long now = System.currentTimeMillis();
    int n = 0;
    for (Slot s : slots.values()) if (live(s, now)) n++;
    return n;
  }

  /** Heard from within sync.stale.ms, with a message sent within it. */
  private boolean live(Slot s, long now) {
    return now - s.receivedMillis <= staleMs && now - s.sentMillis <= staleMs;
  }

  /** Examples/s of the live other replicas, as they last reported. */
  double othersRate() {
    long now = System.currentTimeMillis();
    double r = 0;
    for (Slot s : slots.values()) if (live(s, now)) r += s.rate;
    return r;
  }

  /** The other replicas as last heard of, for GET /models/{m}. */
  List<Map<String, Object>> describeOthers() {
    long now = System.currentTimeMillis();
    List<Map<String, Object>> out = new ArrayList<>();
    for (Slot s : slots.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("replica", s.replica);
      m.put("step", s.step);
      m.put("examples", s.examples);
      m.put("examples_per_second", Math.round(s.rate * 10) / 10.0);
      m.put("age_ms", now - s.sentMillis);
      m.put("live", live(s, now));
      out.add(m);
    }
    return out;
  }

  /** Stops the reader and closes the producer (its last message, the final exchange, is flushed first). */
  @Override public void close() {
    running = false;
    if (producer != null) producer.close(Duration.ofSeconds(5));
    if (consumer != null) consumer.wakeup();
    if (thread != null) {
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
