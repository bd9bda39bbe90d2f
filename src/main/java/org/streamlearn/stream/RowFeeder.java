package org.streamlearn.stream;

import java.util.Arrays;
import org.streamlearn.learn.OnlineLearner;

/**
 * The trainer's side of the {@link RowRing}: takes decoded rows in order into the learner and keeps,
 * per partition, the offsets that what was taken and what was trained stand for. A whole batch
 * that lies contiguous in the ring is trained where the decoder wrote it
 * ({@link OnlineLearner#trainBatch}, no copy); other rows go through the learner's batch block.
 * Trainer thread only.
 */
final class RowFeeder {
  /** Called after each completed optimizer step, with its duration. */
  interface Steps {
    void stepDone(long nanos);
  }

  private final OnlineLearner learner;
  private final RowRing ring;
  private final OffsetLedger ledger;
  private final boolean replicated;
  private final TrainingAudit audit;
  private final Steps steps;
  private final int B;
  /** Next offset once the batch in flight completes, -1 none. */
  private final long[] pendingNext = new long[OffsetLedger.MAX_PARTITIONS];
  /** Next offset after the last record taken into the learner (trained, in the batch, or dead-lettered), -1 none. */
  final long[] taken = new long[OffsetLedger.MAX_PARTITIONS];
  /** Records taken so far (a checkpoint is skipped when none was taken nor trained since the last). */
  long takenCount;
  /** Rows in the batch being assembled (the learner's pending rows since the last step). */
  int rowsInBatch;
  /** When the oldest row of the batch being assembled was polled (System.nanoTime). */
  long batchStartNanos;
  /** Oldest record timestamp trained since the last publish, Long.MAX_VALUE none. */
  long oldestTimestamp = Long.MAX_VALUE;
  /** Records trained on in completed steps; queued rows of lost partitions skipped. */
  long rowsTrained, rowsDropped, droppedSinceReport;
  private long lastAuditMillis;

  RowFeeder(OnlineLearner learner, RowRing ring, OffsetLedger ledger, boolean replicated, TrainingAudit audit,
      Steps steps) {
    this.learner = learner;
    this.ring = ring;
    this.ledger = ledger;
    this.replicated = replicated;
    this.audit = audit;
    this.steps = steps;
    this.B = learner.config().batchSize();
    Arrays.fill(pendingNext, -1);
    Arrays.fill(taken, -1);
    if (learner.pending() > 0) { // restored mid-batch: the rows in flight linger from now
      rowsInBatch = learner.pending();
      batchStartNanos = System.nanoTime();
    }
  }

  /**
   * Takes up to {@code max} rows from the head of the ring and releases their slots.
   *
   * @param lease in a group, rows are taken only while it is valid; null alone
   * @return false when the lease stopped it (the ingest thread wakes the trainer once the group answered)
   */
  boolean feed(int max, Lease lease) {
    if (ring.size() == 0) return true;
    ring.taking.lock(); // a give-up of a partition waits for the rows in hand (see RowRing)
    try {
      return takeRows(max, lease);
    } finally {
      ring.taking.unlock();
    }
  }

  private boolean takeRows(int max, Lease lease) {
    long h = ring.head(), t = ring.tail();
    if (h >= t) return true;
    long end = Math.min(t, h + Math.max(max, B)), seq = h, dropped = 0;
    boolean dated = audit == null, held = false;
    while (seq < end) {
      if (lease != null && !lease.valid()) { // ownership unconfirmed: wait for the ingest thread
        held = true;
        break;
      }
      if (!dated) dated = auditTime();
      int run = rowsInBatch == 0 && learner.pending() == 0 ? wholeBatch(seq, end) : 0;
      if (run > 0) {
        int s = ring.slot(seq);
        for (int k = 0; k < run; k++) account(s + k);
        rowsInBatch = run;
        batchStartNanos = ring.polledNanos[s];
        long t0 = System.nanoTime();
        learner.trainBatch(ring.x, s * ring.I, ring.y, s * ring.T);
        steps.stepDone(System.nanoTime() - t0);
        seq += run;
        continue;
      }
      int s = ring.slot(seq++);
      if (ring.gen[s] != ledger.generation.get(ring.partition[s])) { // its partition was lost since: not ours
        dropped++;
        continue;
      }
      take(s);
    }
    ring.release(seq);
    if (dropped > 0) {
      droppedSinceReport += dropped;
      rowsDropped += dropped;
    }
    return !held;
  }

  /**
   * B when the B rows from seq are all in [seq, end), contiguous in the ring's arrays, decoded and
   * of their partition's current generation; else 0.
   */
  private int wholeBatch(long seq, long end) {
    if (end - seq < B) return 0;
    int s = ring.slot(seq);
    if (s + B > ring.capacity) return 0;
    for (int k = s; k < s + B; k++)
      if (!ring.good[k] || ring.gen[k] != ledger.generation.get(ring.partition[k])) return 0;
    return B;
  }

  /** The bookkeeping of one row taken into the batch (audit, offsets, freshness). */
  private void account(int s) {
    int p = ring.partition[s];
    if (audit != null) {
      if (ring.good[s]) audit.trained(ledger.name(p), ring.offset[s], learner.step() + 1);
      else audit.deadLettered(ledger.name(p), ring.offset[s]);
    }
    pendingNext[p] = ring.offset[s] + 1;
    taken[p] = ring.offset[s] + 1;
    takenCount++;
    long ts = ring.timestamp[s];
    if (ring.good[s] && ts >= 0 && ts < oldestTimestamp) oldestTimestamp = ts;
  }

  private void take(int s) {
    account(s);
    if (!ring.good[s]) { // dead-lettered: covered as soon as nothing before it is in flight
      if (rowsInBatch == 0) cover();
      return;
    }
    if (rowsInBatch++ == 0) batchStartNanos = ring.polledNanos[s];
    if (learner.pending() == B - 1) {
      long t0 = System.nanoTime();
      learner.add(ring.x, s * ring.I, ring.y, s * ring.T);
      steps.stepDone(System.nanoTime() - t0);
    } else {
      learner.add(ring.x, s * ring.I, ring.y, s * ring.T);
    }
  }

  /** Trains the partial batch now (linger ran out, or draining); true if there was one. */
  boolean flush() {
    if (rowsInBatch == 0) return false;
    long t0 = System.nanoTime();
    learner.flush();
    steps.stepDone(System.nanoTime() - t0);
    return true;
  }

  /**
   * After a completed step: its rows are trained. Alone, a completed step covers its records (a
   * restart without a newer checkpoint resumes from the published version and the committed
   * offsets). In a group only durable checkpoints cover: the committed offsets hand partitions over
   * to the other replicas, and must not run ahead of what survives this replica.
   */
  void stepCompleted() {
    rowsTrained += rowsInBatch;
    rowsInBatch = 0;
    cover();
  }

  private void cover() {
    for (int p = 0, n = ledger.size(); p < n; p++) {
      if (pendingNext[p] < 0) continue;
      if (!replicated) ledger.cover(p, pendingNext[p]);
      pendingNext[p] = -1;
    }
  }

  /** A time line in the audit before the first row a chunk takes, at most one per millisecond. */
  private boolean auditTime() {
    long ms = System.currentTimeMillis();
    if (ms != lastAuditMillis) audit.time(ms);
    lastAuditMillis = ms;
    return true;
  }
}
