package org.streamlearn.stream;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's membership of its consumer group, on the ingest thread: where a newly assigned
 * partition starts, the hand-over when one is revoked (blocking inside {@code onPartitionsRevoked}
 * until the trainer's checkpoint of everything it holds is durable, so the commit that follows
 * hands the partition over exactly where this replica's state ends), what happens to queued rows
 * of partitions lost to a session expiry, and the probe that asks the group whether this member
 * still owns its partitions after its lease lapsed.
 */
final class GroupMembership implements ConsumerRebalanceListener {
  private static final Logger log = LoggerFactory.getLogger(GroupMembership.class);
  private final IngestVerticle in;
  private final OffsetLedger ledger;
  private final RowRing ring;
  private final ReplicaSync sync;
  private final String model;
  /** The input partition whose owner publishes the group's weights versions. */
  private final TopicPartition lead;
  /** Where each partition continues after a restored checkpoint; removed once sought. */
  private final Map<String, Long> seekTo;
  private boolean probeRefusedLogged;

  GroupMembership(IngestVerticle in, Map<String, Long> restored) {
    this.in = in;
    this.ledger = in.ledger;
    this.ring = in.ring;
    this.sync = in.sync;
    this.model = in.mc.name();
    this.lead = new TopicPartition(in.mc.topics().getFirst(), 0);
    this.seekTo = new HashMap<>(restored);
  }

  /** The group still counts this member (else the partitions would be lost): hand over, commit. */
  @Override public void onPartitionsRevoked(Collection<TopicPartition> parts) {
    in.partitionsRevoked += parts.size();
    if (sync != null) in.confirmLease();
    // At a graceful stop's close the trainer is finished (drained, checkpointed, undeployed): the
    // hand-over returns at once and nothing is queued.
    if (sync != null && !parts.isEmpty()) {
      handOver();
      dropQueued(parts);
    }
    in.commit(parts);
    lose(parts);
  }

  /**
   * This replica lets the trainer take every row in the ring, and waits for its checkpoint of
   * everything it holds. Bounded by shutdown.timeout.ms; if the checkpoint fails, the older commit
   * stands and the new owner trains the tail again.
   */
  private void handOver() {
    var trainer = in.trainer;
    long deadline = System.nanoTime() + in.shutdownTimeoutMs * 1_000_000L;
    // Paused by control, the trainer takes nothing: its queued rows are dropped after the hand-over.
    while (ring.size() > 0 && !trainer.controlPaused() && !trainer.finished() && System.nanoTime() < deadline) {
      in.renewLease();
      trainer.wake();
      LockSupport.parkNanos(1_000_000L);
    }
    var done = trainer.handOver();
    while (!done.isDone() && !trainer.finished() && System.nanoTime() < deadline) {
      in.renewLease();
      try {
        done.get(2, TimeUnit.MILLISECONDS);
      } catch (Exception e) { // not yet
      }
    }
    if (!done.isDone() && !trainer.finished())
      log.warn("model {}: hand-over checkpoint not done within shutdown.timeout.ms = {}; committing what is durable",
          model, in.shutdownTimeoutMs);
  }

  /**
   * After a hand-over, rows of the revoked partitions still queued (training is paused by control,
   * or the hand-over ran out of shutdown.timeout.ms) are not this replica's to train any more: the
   * next owner starts at the committed offset. Their generation is bumped so the trainer skips
   * them, and this replica's position of each becomes its first row dropped.
   */
  private void dropQueued(Collection<TopicPartition> parts) {
    long head = ring.head(), tail = ring.tail();
    if (head == tail) return;
    String names = giveUp(parts, false);
    if (!names.isEmpty())
      in.trainer.lost(names, tail, in.trainer.controlPaused() ? "revoked while training is paused by control"
          : "revoked before the trainer took them: the hand-over ran out of shutdown.timeout.ms");
  }

  /**
   * Partitions no longer this replica's to train: each one's generation is bumped ({@link
   * RowRing#giveUp}, which waits for rows the trainer has in hand), so the trainer takes none of its
   * rows still queued, and this replica's position of it becomes its first row still queued, i.e.
   * the end of what the trainer took (unchanged when none is queued).
   *
   * @param all whether to name every partition, or only those with rows queued
   * @return the partitions, comma-separated
   */
  private String giveUp(Collection<TopicPartition> parts, boolean all) {
    StringBuilder names = new StringBuilder();
    for (TopicPartition tp : parts) {
      Integer i = ledger.find(tp);
      if (i == null) continue;
      long first = ring.giveUp(i, ledger.generation);
      if (first >= 0) ledger.fetched[i] = first;
      else if (!all) continue;
      if (!names.isEmpty()) names.append(',');
      names.append(tp);
    }
    return names.toString();
  }

  /**
   * The group expired this member's session and gave its partitions to others, which start at the
   * committed offsets. In a group the rows of them still queued are not this replica's to train:
   * their generation is bumped so the trainer skips them, and this replica's position of each
   * becomes its first row dropped (as on a revoke), i.e. the end of what the trainer took, which
   * stays in its state. Should the group give the partition back to this replica, it continues
   * there (or at the committed offset if that is further) instead of training again from an older
   * commit what its state holds already (seen in ScaleOutTest on a loaded 2-core machine: a
   * replica's first 100 records of a partition, twice in its own state). Alone nothing is handed
   * over, and the partition continues where this instance left it.
   */
  @Override public void onPartitionsLost(Collection<TopicPartition> parts) {
    if (sync != null && !parts.isEmpty())
      in.trainer.lost(giveUp(parts, true), ring.tail(),
          "this replica's group session expired; the group gave them to another replica");
    lose(parts);
    if (sync != null) in.confirmLease();
  }

  /**
   * A newly assigned partition starts from the offsets of the state that will train it. Alone:
   * this state's own position (the restored checkpoint's offset, or where this instance left the
   * partition). In a group: the committed offset (what the previous owner's last checkpoint
   * covers), or this replica's own position if that is further; the committed offset is also
   * remembered, so this replica never commits below it.
   */
  @Override public void onPartitionsAssigned(Collection<TopicPartition> parts) {
    var consumer = in.consumer;
    Map<TopicPartition, OffsetAndMetadata> groupCommitted = Map.of();
    if (sync != null && !parts.isEmpty()) {
      try {
        groupCommitted = consumer.committed(new LinkedHashSet<>(parts), Duration.ofSeconds(10));
      } catch (WakeupException e) {
        throw e;
      } catch (KafkaException e) { // rare: the broker went away mid-rebalance; start where Kafka's position says
        log.warn("model {}: cannot read the committed offsets of {} ({}); continuing from the consumer's positions",
            model, parts, e.toString());
        groupCommitted = null;
      }
    }
    for (TopicPartition tp : parts) {
      int i = in.indexOf(tp);
      Long restored = seekTo.remove(tp.toString());
      if (sync == null) {
        if (restored != null) { // records before it are in the restored state, records from it on are not
          consumer.seek(tp, restored);
          ledger.cover(i, restored);
          ledger.fetched[i] = restored;
          log.info("model {}: {} continues at offset {} of the restored checkpoint", model, tp, restored);
        } else if (ledger.fetched[i] >= 0) {
          continueAfterFetched(tp, i);
        }
      } else if (groupCommitted != null) {
        long own = ledger.fetched[i] >= 0 ? ledger.fetched[i] : restored != null ? restored : -1;
        OffsetAndMetadata c = groupCommitted.get(tp);
        long com = c == null ? -1 : c.offset();
        ledger.committed[i] = com;
        if (com >= 0) ledger.cover(i, com);
        if (own > com) consumer.seek(tp, own);
        log.info("model {}: replica {} takes {} at offset {} (committed {}, own {})", model, sync.replica(), tp,
            Math.max(own, com), com, own);
      }
    }
    if (parts.contains(lead)) publisher(true);
    if (!parts.isEmpty() && "starting".equals(in.problem)) in.problem = null; // not a problem once partitions are here
    in.assigned.addAll(parts);
    if (in.paused) consumer.pause(parts);
    in.nextLagMs = 0;
    in.publishFigures();
  }

  /**
   * A partition this instance held before: its records up to fetched[i] are trained or still
   * queued here, while the group's committed offset may be behind them (commits fail during an
   * outage). Continue after them, unless the group committed further meanwhile.
   */
  private void continueAfterFetched(TopicPartition tp, int i) {
    long pos;
    try {
      pos = in.consumer.position(tp, Duration.ofSeconds(5));
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) {
      pos = -1; // unknown: what this instance took is the best knowledge
    }
    if (pos < ledger.fetched[i]) {
      in.consumer.seek(tp, ledger.fetched[i]);
      log.info("model {}: {} assigned again; continues at offset {} after the records it took (group position {})",
          model, tp, ledger.fetched[i], pos < 0 ? "unknown" : pos);
    }
  }

  private void lose(Collection<TopicPartition> parts) {
    if (sync != null && parts.contains(lead)) publisher(false);
    in.assigned.removeAll(parts);
    for (TopicPartition tp : parts) in.lagByPartition.remove(tp.toString());
    in.publishFigures();
  }

  /** The trainer's flag (it writes the weights topic) and the ingest's (in its figures, beside partitions_owned). */
  private void publisher(boolean p) {
    in.trainer.publisher(p);
    in.publisher = p;
  }

  /**
   * Asks the group whether this member still owns its partitions: commits one of them again at
   * what is already committed or durably covered (or, when the group never committed any, at the
   * partition's first offset). The coordinator refuses a commit from a member whose session it
   * expired; the next poll then reports the partitions lost.
   */
  void probe() {
    var consumer = in.consumer;
    if (in.assigned.isEmpty()) {
      in.confirmLease();
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    try {
      for (TopicPartition tp : in.assigned) {
        int i = ledger.find(tp);
        long o = Math.max(ledger.committed[i], ledger.covered.get(i));
        if (o >= 0) {
          offsets.put(tp, new OffsetAndMetadata(o));
          break;
        }
      }
      if (offsets.isEmpty()) {
        TopicPartition tp = in.assigned.iterator().next();
        offsets.put(tp, new OffsetAndMetadata(consumer.beginningOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp)));
      }
      consumer.commitSync(offsets, Duration.ofSeconds(5));
      in.brokerAnswered();
      offsets.forEach((tp, o) -> {
        int i = ledger.find(tp);
        ledger.committed[i] = Math.max(ledger.committed[i], o.offset());
        if (in.audit != null) in.audit.committed(tp.toString(), o.offset());
      });
      probeRefusedLogged = false;
      in.confirmLease();
    } catch (WakeupException e) {
      throw e;
    } catch (KafkaException e) { // refused (the session expired, or a rebalance runs): the next poll tells
      if (!probeRefusedLogged)
        log.info("model {}: group {} did not confirm partitions {} (asking again until it answers): {}", model,
            in.mc.group(), in.assigned, e.toString());
      probeRefusedLogged = true;
    }
  }
}
