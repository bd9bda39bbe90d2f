package org.streamlearn.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.codec.RecordDecoder;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.model.IngestFigures;
import org.streamlearn.model.ModelObserver;

/**
 * The ingest loop of one model: owns the native Kafka consumer on a thread of its own
 * ({@code sl-<model>-consumer}), polls, decodes each record straight into the next {@link RowRing}
 * slot, dead-letters what does not decode, pauses fetching above the ring's high-water mark and
 * resumes below the low-water mark (the ring never holds more than {@code queue.max.records}), and
 * commits what the trainer covered, never past a record whose dead letter is not acknowledged.
 * The kafka-clients consumer, not vertx-kafka-client: the hand-over of a rebalance must block
 * inside {@code onPartitionsRevoked} (see {@link GroupMembership}).
 *
 * <p>Undeploying stops fetching, lets the trainer drain (train what is queued, publish, checkpoint),
 * commits what is covered, and closes the consumer, leaving the group, within shutdown.timeout.ms.
 */
final class IngestVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(IngestVerticle.class);
  static final long COMMIT_INTERVAL_MS = 1000, LAG_INTERVAL_MS = 1000;

  final ModelConfig mc;
  final KafkaClients kafka;
  final RowRing ring;
  final OffsetLedger ledger;
  final TrainerVerticle trainer;
  final ReplicaSync sync;
  final Lease lease;
  final TrainingAudit audit;
  final long shutdownTimeoutMs;
  private final RecordDecoder decoder;
  private final DeadLetters deadLetters;
  private final StartingState start;
  private final Supplier<ModelObserver> observer;
  private final int maxPollRecords, highWater, lowWater;
  private final long[] deadLettered = new long[DecodeResult.Reason.values().length];
  final Set<TopicPartition> assigned = new LinkedHashSet<>();
  final Map<String, Long> lagByPartition = new HashMap<>();
  private final Promise<Void> exited = Promise.promise();
  KafkaConsumer<byte[], byte[]> consumer;
  private GroupMembership group;
  private org.apache.kafka.common.Metric connections;
  private boolean commitFailing;
  boolean paused;
  /** In a group: this instance owns the lead partition and writes the weights topic (ingest thread). */
  boolean publisher;
  private long nextCommitMs, recordsIn, pauses, lastBrokerContactMs;
  long nextLagMs, partitionsRevoked, lag = -1;
  private int maxDepth;
  private volatile boolean running, commitNow, started;
  private volatile long stopDeadlineNanos;
  volatile String problem = "starting";
  volatile IngestFigures figures;

  IngestVerticle(ModelConfig mc, KafkaClients kafka, RecordDecoder decoder, RowRing ring, OffsetLedger ledger,
      TrainerVerticle trainer, DeadLetters deadLetters, ReplicaSync sync, Lease lease, TrainingAudit audit,
      StartingState start, Supplier<ModelObserver> observer, long shutdownTimeoutMs) {
    this.mc = mc;
    this.kafka = kafka;
    this.decoder = decoder;
    this.ring = ring;
    this.ledger = ledger;
    this.trainer = trainer;
    this.deadLetters = deadLetters;
    this.sync = sync;
    this.lease = lease;
    this.audit = audit;
    this.start = start;
    this.observer = observer;
    this.shutdownTimeoutMs = shutdownTimeoutMs;
    // After a poll the ring must still fit: pause while fewer than maxPollRecords slots are free.
    this.maxPollRecords = Math.max(1, Math.min(500, ring.capacity / 4));
    this.highWater = ring.capacity - maxPollRecords;
    this.lowWater = highWater / 2;
    this.figures = IngestFigures.none(ring.capacity, sync == null);
  }

  @Override public void start() {
    // Cooperative rebalancing: a member joining or leaving moves only the partitions that change
    // owner. Static membership: a restart with the same group.instance.id (even after kill -9)
    // takes the partitions back at once. Both overridable through kafka.properties.
    Map<String, Object> defaults = new HashMap<>(Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName()));
    if (start.instanceId() != null) defaults.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, start.instanceId());
    consumer = new KafkaConsumer<>(kafka.config(defaults, Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, mc.group(),
        ConsumerConfig.CLIENT_ID_CONFIG, "streamlearn-" + mc.name() + "-in",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords)),
        new ByteArrayDeserializer(), new ByteArrayDeserializer());
    log.info("model {}: member {} of group {} (group.instance.id), weights incarnation {}", mc.name(),
        consumer.groupMetadata().groupInstanceId().orElse("(dynamic)"), mc.group(), start.incarnation());
    consumer.metrics().forEach((n, m) -> {
      if (n.name().equals("connection-count") && n.group().equals("consumer-metrics")) connections = m;
    });
    group = new GroupMembership(this, start.offsets());
    lastBrokerContactMs = System.currentTimeMillis(); // the topics were just listed
    running = true;
    started = true;
    publishFigures();
    Thread.ofPlatform().name("sl-" + mc.name() + "-consumer").daemon(true).start(this::consume);
  }

  /** Stops fetching; the thread drains the trainer, commits and closes, then the stop completes. */
  @Override public void stop(Promise<Void> stopped) {
    stopDeadlineNanos = System.nanoTime() + shutdownTimeoutMs * 1_000_000L;
    running = false;
    if (consumer != null) consumer.wakeup();
    exited.future().onComplete(stopped);
  }

  /** A durable checkpoint in a group: commit what it covers at the next poll. */
  void commitSoon() {
    commitNow = true;
  }

  private void consume() {
    try {
      consumer.subscribe(mc.topics(), group);
      while (running) {
        int depth = ring.size();
        if (!paused && depth > highWater) {
          consumer.pause(assigned);
          paused = true;
          pauses++;
          publishFigures();
        } else if (paused && depth <= lowWater) {
          consumer.resume(assigned);
          paused = false;
          publishFigures();
        }
        // In a group, a durable checkpoint is committed within ~20 ms (the hand-over tail stays short).
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(paused ? 10 : sync != null ? 20 : 100));
        if (sync != null) {
          renewLease();
          if (lease.inDoubt()) group.probe();
        }
        if (!records.isEmpty()) {
          long polled = System.nanoTime();
          for (ConsumerRecord<byte[], byte[]> r : records) if (!enqueue(r, polled)) break;
          recordsIn += records.count();
          maxDepth = Math.max(maxDepth, ring.size());
          publishFigures(); // before the trainer can count these rows trained
          trainer.wake();
        }
        deadLetters.retry();
        long now = System.currentTimeMillis();
        if (commitNow) {
          commitNow = false;
          nextCommitMs = 0;
        }
        if (now >= nextCommitMs) {
          commit(assigned);
          nextCommitMs = now + COMMIT_INTERVAL_MS;
        }
        if (now >= nextLagMs && !assigned.isEmpty()) {
          refreshLag();
          nextLagMs = System.currentTimeMillis() + LAG_INTERVAL_MS;
        }
        publishFigures();
        if (trainer.finished() && running) {
          problem = "trainer stopped: " + trainer.failure;
          break;
        }
      }
    } catch (WakeupException e) {
      if (running) problem = "consumer woken up unexpectedly";
    } catch (Throwable e) {
      problem = "consumer failed: " + e;
      log.error("consumer of model {} failed: {}", mc.name(), e.toString(), e);
    } finally {
      try {
        shutdown();
      } finally {
        exited.tryComplete();
      }
    }
  }

  /** Decodes one record into the next ring slot; false when closing while the ring is full. */
  private boolean enqueue(ConsumerRecord<byte[], byte[]> r, long polledNanos) {
    long seq = ring.tail();
    while (seq - ring.head() >= ring.capacity) { // cannot happen with the water marks; never drop
      if (!running) return false;
      LockSupport.parkNanos(1_000_000L);
    }
    int s = ring.slot(seq);
    int p = indexOf(new TopicPartition(r.topic(), r.partition()));
    DecodeResult res = decoder.decode(r.value(), ring.x, s * ring.I, ring.y, s * ring.T);
    ring.partition[s] = p;
    ring.gen[s] = ledger.generation.get(p);
    ring.offset[s] = r.offset();
    ledger.fetched[p] = r.offset() + 1;
    ring.timestamp[s] = r.timestamp();
    ring.polledNanos[s] = polledNanos;
    ring.good[s] = res.ok();
    if (!res.ok()) {
      deadLettered[res.reason().ordinal()]++;
      deadLetters.send(p, r, res);
    }
    ring.publish(seq + 1);
    return true;
  }

  int indexOf(TopicPartition tp) {
    Integer i = ledger.find(tp);
    if (i != null) return i;
    int n = ledger.indexOf(tp);
    observer.get().partitionAssigned(tp.toString());
    return n;
  }

  /**
   * Commits what the trainer has covered for the given partitions, but never past a record whose
   * dead letter the broker has not acknowledged yet.
   */
  void commit(Collection<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : tps) {
      Integer i = ledger.find(tp);
      if (i == null) continue;
      long c = Math.min(ledger.covered.get(i), deadLetters.floor(i));
      if (c > ledger.committed[i]) offsets.put(tp, new OffsetAndMetadata(c));
    }
    if (offsets.isEmpty()) return;
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(5));
      offsets.forEach((tp, o) -> ledger.committed[ledger.find(tp)] = o.offset());
      brokerAnswered();
      if (commitFailing) log.info("model {}: commits succeed again ({})", mc.name(), offsets);
      commitFailing = false;
      if (audit != null) offsets.forEach((tp, o) -> audit.committed(tp.toString(), o.offset()));
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      // Once per failing spell: during a broker outage this fails every few seconds.
      if (!commitFailing) log.warn("commit of model {} offsets {} failed, will retry: {}", mc.name(), offsets, e.toString());
      commitFailing = true;
    }
  }

  void brokerAnswered() {
    lastBrokerContactMs = System.currentTimeMillis();
  }

  /** Scale-out: extends the trainer's lease, unless it has lapsed (then only the group's answer renews it). */
  void renewLease() {
    if (lease.renew())
      log.info("model {}: no news of group {} for over {} ms (the JVM or its consumer stood still): training waits "
          + "until the group confirms this replica's partitions {}", mc.name(), mc.group(), lease.lengthMillis(), assigned);
  }

  /** The group has answered (a probe, or a rebalance callback): the trainer may go on. */
  void confirmLease() {
    if (lease.confirm())
      log.info("model {}: group {} answered; training goes on with partitions {}", mc.name(), mc.group(), assigned);
    trainer.wake();
  }

  private void refreshLag() {
    try {
      Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(2));
      long sum = 0;
      for (var e : ends.entrySet()) {
        long l = Math.max(0, e.getValue() - consumer.position(e.getKey(), Duration.ofSeconds(2)));
        lagByPartition.put(e.getKey().toString(), l);
        sum += l;
      }
      lag = sum;
      brokerAnswered();
      String p = problem;
      if (p != null && (p.startsWith("broker") || p.equals("starting"))) problem = null;
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      problem = "broker unreachable at " + kafka.bootstrapServers() + ": " + e.getMessage();
    }
  }

  /**
   * Stop fetching; let the trainer drain the ring, train the batch in flight, publish and checkpoint;
   * then commit what was covered and close the consumer, all within shutdown.timeout.ms.
   */
  private void shutdown() {
    long deadline = stopDeadlineNanos != 0 ? stopDeadlineNanos : System.nanoTime() + shutdownTimeoutMs * 1_000_000L;
    long budget = deadline - System.nanoTime();
    var drained = trainer.drain(System.nanoTime() + budget * 6 / 10).toCompletionStage().toCompletableFuture();
    while (!drained.isDone() && System.nanoTime() < deadline - budget * 2 / 10) {
      if (sync != null) renewLease(); // still a member until the consumer closes
      try {
        drained.get(2, TimeUnit.MILLISECONDS);
      } catch (Exception e) { // not yet
      }
    }
    if (!drained.isDone())
      log.warn("trainer of model {} did not finish within shutdown.timeout.ms = {}", mc.name(), shutdownTimeoutMs);
    // Dead letters in flight: a little time to be acknowledged, so the last commit can cover their records.
    long dlqUntil = deadline - budget * 15 / 100;
    while (deadLetters.pending() > 0 && System.nanoTime() < dlqUntil) {
      deadLetters.retry();
      LockSupport.parkNanos(2_000_000L);
    }
    try {
      commit(assigned);
    } catch (RuntimeException e) {
      log.warn("final commit of model {} failed: {}", mc.name(), e.toString());
    }
    Duration rest = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()) / 2);
    try {
      // A static member stays in the group on close by default (its partitions wait for its
      // session to expire): a graceful stop leaves, so the others take them over at once.
      consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(rest));
    } catch (RuntimeException e) {
      log.warn("closing the consumer of model {}: {}", mc.name(), e.toString());
    }
    deadLetters.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()) / 2));
    assigned.clear();
    paused = false;
    problem = "stopped";
    publishFigures();
  }

  /** Whether the consumer holds an open broker connection (a dead broker drops to none at once). */
  boolean brokerConnected() {
    var c = connections;
    if (c == null) return true;
    return !(c.metricValue() instanceof Number n) || n.doubleValue() > 0;
  }

  void publishFigures() {
    figures = new IngestFigures(recordsIn, deadLettered, deadLetters.pending(), deadLetters.givenUp(), pauses, paused,
        ring.size(), ring.capacity, maxDepth, lag, lagByPartition, assigned.size(), partitionsRevoked,
        lastBrokerContactMs, brokerConnected(), sync == null || publisher);
  }

  /** Whether the ingest thread was started (it then drains the trainer when it ends). */
  boolean started() {
    return started;
  }

  boolean running() {
    return running;
  }
}
