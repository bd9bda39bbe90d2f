package org.streamlearn.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.learn.LearnerState;
import org.streamlearn.learn.OnlineLearner;

/**
 * The trainer's side of checkpoints: when one is due, what it covers, and copying the state for the
 * {@link CheckpointVerticle}. A checkpoint covers every record taken so far (including the rows of
 * the batch being assembled, which are in the state); training pauses only for the copy. Trainer
 * thread only.
 */
final class StateWriter {
  private static final Logger log = LoggerFactory.getLogger(StateWriter.class);

  /** What must happen just before the state is copied (in a group: the exchange; divergence reports). */
  interface BeforeCopy {
    void run();
  }

  private final String model;
  private final OnlineLearner learner;
  private final OffsetLedger ledger;
  private final RowFeeder feeder;
  private final CheckpointVerticle writer;
  private final IntToLongFunction deadLetterFloor;
  private final TrainingAudit audit;
  private final Context context;
  /** Offsets of the restored checkpoint: carried into later checkpoints for partitions not seen since. */
  private final Map<String, Long> restoredOffsets;
  final long everySteps;
  /** Step of the last checkpoint handed to the writer (or restored). */
  long lastAttemptStep;
  private long lastTaken = -1, deadLetterWaitLogged;
  private boolean lastPaused;
  private int inFlight;
  /** The newest write handed to the writer: what "nothing new" must wait for (it may still run). */
  private Future<Void> lastWrite = Future.succeededFuture();

  StateWriter(String model, OnlineLearner learner, OffsetLedger ledger, RowFeeder feeder, CheckpointVerticle writer,
      IntToLongFunction deadLetterFloor, TrainingAudit audit, Context context, StartingState start, long everySteps) {
    this.model = model;
    this.learner = learner;
    this.ledger = ledger;
    this.feeder = feeder;
    this.writer = writer;
    this.deadLetterFloor = deadLetterFloor;
    this.audit = audit;
    this.context = context;
    this.restoredOffsets = start.offsets();
    this.everySteps = everySteps;
    this.lastAttemptStep = Math.max(0, start.restoredStep());
    this.lastPaused = start.trainingPaused();
    this.lastTaken = 0;
  }

  /** Whether enough steps passed since the last checkpoint handed to the writer. */
  boolean stepsDue() {
    return everySteps > 0 && learner.step() - lastAttemptStep >= everySteps;
  }

  /**
   * Takes a checkpoint if anything changed since the last one. A due one is skipped while a write
   * is still running (taken at the next trigger); a {@code last} one is queued behind it. Deferred
   * while a taken record's dead letter is not acknowledged (a checkpoint covering it would lose it
   * after a crash).
   *
   * @return completes once what is taken so far is durable (fails when the write did): with nothing
   *     new since the last write handed to the writer, when that one completes, which may still be
   *     running (a hand-over or the last commit that did not wait for it would commit less than the
   *     state holds, and the next owner would train that tail a second time); at once when deferred
   */
  Future<Void> checkpoint(boolean last, boolean trainingPaused, BeforeCopy before) {
    if (feeder.takenCount == lastTaken && learner.step() == lastAttemptStep && trainingPaused == lastPaused)
      return lastWrite; // nothing new
    int held = heldByDeadLetter();
    if (held >= 0) {
      long nowMs = System.currentTimeMillis();
      if (nowMs - deadLetterWaitLogged > 60_000 || last) { // once a minute while it lasts
        deadLetterWaitLogged = nowMs;
        log.warn("model {}: checkpoint {}: the dead letter of {} offset {} is not acknowledged by the broker yet, and a "
            + "checkpoint covering its record would lose it after a crash", model, last ? "not written" : "deferred",
            ledger.name(held), deadLetterFloor.applyAsLong(held));
      }
      return Future.succeededFuture();
    }
    if (inFlight > 0 && !last) return Future.succeededFuture();
    lastTaken = feeder.takenCount;
    lastPaused = trainingPaused;
    before.run();
    lastAttemptStep = learner.step();
    LearnerState st = learner.exportState(); // may roll back an overflowed update, like a snapshot
    if (audit != null) audit.checkpoint(st.step());
    Map<String, Long> offsets = new LinkedHashMap<>(restoredOffsets);
    for (int p = 0, n = ledger.size(); p < n; p++)
      if (feeder.taken[p] >= 0) offsets.put(ledger.name(p), feeder.taken[p]);
    inFlight++;
    lastWrite = writer.write(new CheckpointVerticle.Job(st, offsets, trainingPaused), context)
        .andThen(r -> inFlight--);
    return lastWrite;
  }

  /** Whether a write is running. */
  boolean busy() {
    return inFlight > 0;
  }

  /** The partition index of a record taken whose dead letter is not acknowledged, or -1. */
  private int heldByDeadLetter() {
    for (int p = 0, n = ledger.size(); p < n; p++)
      if (feeder.taken[p] > deadLetterFloor.applyAsLong(p)) return p;
    return -1;
  }
}
