package org.streamlearn.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.codec.TensorRef;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.LearnerState;
import org.streamlearn.learn.Metrics;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * The trainer thread of one model: takes decoded rows from the {@link RowRing} in order, feeds the
 * learner, trains a partial batch once its oldest row has waited {@code batch.linger.ms}, tracks
 * per partition the next offset covered by the last completed step, and publishes weights versions
 * by steps and/or time. All arithmetic of the model happens here; other threads read the volatile
 * figures below, updated once per step.
 *
 * <p>Control commands (pause, resume, reset, learning rate) are posted to {@link #post} and applied
 * here between chunks of rows, so the learner stays single-threaded. While paused by control the
 * trainer takes no rows and trains nothing (a partial batch waits too); the ring then fills and the
 * consumer pauses fetching by backpressure, so nothing is dropped, and resume continues with the
 * next row in order. A pause or resume that changes the state is checkpointed at once (the
 * checkpoint records it, and a restart restores it paused); the command completes once that
 * checkpoint is handed to the writer. Divergences the learner reports are handed to
 * {@link #onDivergence}; a version is only published when every weight is finite.
 *
 * <p>In a group, rows whose partition was lost since they were queued (their generation is older
 * than the partition's) are skipped, not trained, and rows are taken only while the consumer's
 * lease ({@link #leaseNanos}) runs.
 */
final class Trainer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Trainer.class);
  /** Rows taken from the ring before its head is released, so the consumer can refill meanwhile. */
  private static final int CHUNK = 256;

  private final String model;
  private final OnlineLearner learner;
  private final RowRing ring;
  private final int B;
  private final long lingerNanos, publishEveryNanos, publishEverySteps;
  private final List<TensorRef> tensors;
  private final String[] partitionNames; // written by the consumer before a row of the partition is published
  private final AtomicLongArray covered; // next offset covered per partition index, -1 unknown; read by the consumer
  private final AtomicIntegerArray generations; // per partition index; the consumer bumps it on loss
  private final long[] pendingNext; // next offset once the batch in flight completes, -1 none
  private final Sink sink;
  private final long[] taken; // next offset after the last record taken into the learner, -1 none
  /**
   * Per partition index, the lowest offset whose dead letter the broker has not acknowledged
   * ({@link Long#MAX_VALUE} none): a checkpoint must not cover it, or a crash would lose the dead letter.
   */
  java.util.function.IntToLongFunction deadLetterFloor = p -> Long.MAX_VALUE;
  private long deadLetterWaitLogged;
  volatile ModelObserver observer = ModelObserver.NONE;

  // Checkpoints: set before the thread starts (null when off).
  Checkpoints checkpoints;
  long checkpointEverySteps, checkpointEveryNanos;
  /** Offsets of the restored checkpoint: carried into later checkpoints for partitions not seen since. */
  Map<String, Long> restoredOffsets = Map.of();
  private ExecutorService writer;
  private final AtomicBoolean writing = new AtomicBoolean();
  private long lastCheckpointNanos, lastCheckpointTaken = -1, takenCount;
  long lastAttemptStep; // step of the last checkpoint handed to the writer (or restored)
  boolean lastCheckpointPaused; // controlPaused in that checkpoint
  volatile long checkpointLastStep = -1;
  CheckpointHealth health; // with checkpoints
  volatile Map<String, Object> lastCheckpoint;

  // Scale-out: set before the thread starts (sync null: single instance, behaviour as before).
  ReplicaSync sync;
  long syncEverySteps, syncEveryNanos;
  /** Whether versions go to the weights topic: always alone; in a group only the elected member. */
  volatile boolean publisher = true;
  /** Training audit log, null when off. */
  TrainingAudit audit;
  /** Hand-over on rebalance: the consumer raises requested, the trainer answers with done. */
  volatile long handoverRequested, handoverDone;
  /** A checkpoint became durable in a group: its offsets should be committed now. */
  volatile boolean commitSoon;
  /**
   * In a group: rows are taken only until this {@code System.nanoTime()}, which the consumer keeps
   * extending while it knows the group still gives this replica its partitions. After the JVM
   * stood still (a long GC pause, SIGSTOP) the lease has lapsed, and the trainer waits until the
   * group has confirmed the partitions or reported them lost, so it never trains a queued row of a
   * partition the group has already given to another replica.
   */
  volatile long leaseNanos;
  /** Queued rows of lost partitions skipped, not trained (a meter reads it). */
  volatile long rowsDropped;
  private long droppedSinceReport;

  /** Partitions lost by the consumer, reported once the trainer has passed every row queued before. */
  /** Partitions taken away with rows still queued: why, and the ring position after their last row. */
  private record Loss(String partitions, long tail, String why) {}

  private final ConcurrentLinkedQueue<Loss> losses = new ConcurrentLinkedQueue<>();
  volatile long exchanges;
  private long lastExchangeNanos, lastExchangeStep, examplesAtExchange, lastVersion = -1;
  private boolean leaving, foldedSincePublish;

  /** Where published versions go: Kafka (when toTopic) and the listeners; called on this thread. */
  /** The id of the version line (see {@code checkpoint.Identity}): in the metadata and the ETag. */
  String incarnation = "0";

  interface Sink {
    void publish(Published p, long snapshotNanos, boolean toTopic);
  }

  /** A command and the future completed once it was applied. */
  private record Posted(Command command, CompletableFuture<Status> done) {}

  private final ConcurrentLinkedQueue<Posted> commands = new ConcurrentLinkedQueue<>();
  /** Called on this thread per firing of the divergence guard; set before the thread starts. */
  Consumer<Divergence> onDivergence = d -> {};
  /** Called on the trainer thread once per drift the learner detects. */
  Consumer<org.streamlearn.learn.Drift> onDrift = d -> {};
  volatile long drifts;
  private long seenDrifts;
  /** The runner's status, to complete a command with; set before the thread starts. */
  Supplier<Status> status = () -> null;
  private long seenDivergences, divergenceLogNanos = Long.MIN_VALUE, divergencesUnlogged;
  volatile boolean controlPaused;
  volatile long resets, publishSkipped;

  // Figures for status and meters, written once per step (or per publish) by this thread.
  volatile long steps, examples, rowsTrained, divergences, rolledBackExamples, version = -1, lastPublishMillis;
  volatile double learningRate = Double.NaN, gradNorm = Double.NaN, examplesPerSecond;
  volatile Metrics metrics = Metrics.EMPTY;
  volatile boolean stopping, done;
  volatile long drainDeadlineNanos = Long.MAX_VALUE;
  volatile Throwable failure;
  volatile Thread thread;

  private int rowsInBatch;
  private long batchStartNanos, oldestTimestamp = Long.MAX_VALUE, lastPublishNanos, lastPublishedVersion = -1;
  private long rateNanos, rateRows, lastAuditMillis;

  Trainer(String model, OnlineLearner learner, RowRing ring, long lingerMs, long publishEverySteps,
      long publishEveryMs, String[] partitionNames, AtomicLongArray covered,
      AtomicIntegerArray generations, Sink sink) {
    this.model = model;
    this.learner = learner;
    this.ring = ring;
    this.B = learner.config().batchSize();
    this.lingerNanos = lingerMs * 1_000_000L;
    this.publishEverySteps = publishEverySteps;
    this.publishEveryNanos = publishEveryMs * 1_000_000L;
    this.tensors = learner.model().torchTensors().stream().map(t -> t.folded() ? TensorRef.zeros(t.name(), t.shape())
        : new TensorRef(t.name(), t.offset(), t.shape())).toList();
    this.partitionNames = partitionNames;
    this.covered = covered;
    this.generations = generations;
    this.pendingNext = new long[partitionNames.length];
    java.util.Arrays.fill(pendingNext, -1);
    this.taken = new long[partitionNames.length];
    java.util.Arrays.fill(taken, -1);
    this.sink = sink;
  }

  /**
   * Sets the figures from the learner as restored or resumed; called before the thread starts, so a
   * status read right after {@code start()} already shows them.
   */
  void prime() {
    if (learner.step() > 0) { // resumed from a published version or a checkpoint: continue after it
      lastPublishedVersion = learner.step();
      lastVersion = version = steps = learner.step();
      // Served at once (GET /models, weights, predict), not sent to the weights topic again.
      Snapshot snap = learner.snapshot();
      if (allFinite(snap.params())) {
        StringBuilder o = new StringBuilder("{");
        restoredOffsets.forEach((tp, off) -> o.append(o.length() > 1 ? "," : "").append('"').append(tp).append("\":").append(off));
        sink.publish(encode(snap, o.append('}').toString()), System.nanoTime(), false);
      }
    }
    seenDivergences = divergences = learner.divergences();
    rolledBackExamples = learner.rolledBackExamples();
    learningRate = learner.learningRate();
  }

  @Override public void run() {
    thread = Thread.currentThread();
    long now = System.nanoTime();
    lastPublishNanos = now;
    rateNanos = now;
    lastExchangeNanos = now;
    lastExchangeStep = learner.step();
    examplesAtExchange = learner.examples();
    if (learner.pending() > 0) { // restored mid-batch: the rows in flight linger from now
      rowsInBatch = learner.pending();
      batchStartNanos = now;
    }
    lastCheckpointNanos = now;
    lastCheckpointTaken = 0;
    if (checkpoints != null)
      writer = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("sl-" + model + "-checkpoint").daemon(true).unstarted(r));
    try {
      while (true) {
        if (!commands.isEmpty()) applyCommands();
        long h = ring.head(), t = ring.tail();
        boolean stop = stopping;
        if (stop && System.nanoTime() > drainDeadlineNanos) break; // out of time: leave the rest uncommitted
        // Paused by control and stopping: what is in the ring stays uncommitted and is read again.
        if (stop && controlPaused) break;
        if (controlPaused) { // nothing to train, publish or checkpoint: wait for a command (post unparks)
          long req = handoverRequested;
          if (req != handoverDone) { // a rebalance: what this replica holds becomes durable; its queued rows stay untrained
            checkpoint(true);
            awaitWriter();
            handoverDone = req;
          }
          LockSupport.parkNanos(this, 50_000_000L);
          continue;
        }
        boolean held = false;
        if (h < t) {
          long end = Math.min(t, h + CHUNK), seq = h, dropped = 0;
          boolean dated = audit == null;
          for (; seq < end; seq++) {
            int s = ring.slot(seq);
            if (ring.gen[s] != generations.get(ring.partition[s])) { // its partition was lost since: not ours to train
              dropped++;
              continue;
            }
            if (sync != null && System.nanoTime() - leaseNanos > 0) { // ownership unconfirmed: wait for the consumer
              held = true;
              break;
            }
            if (!dated) dated = auditTime();
            take(s);
          }
          ring.release(seq);
          if (dropped > 0) {
            droppedSinceReport += dropped;
            rowsDropped += dropped;
          }
        }
        if (!losses.isEmpty()) reportLosses(false);
        boolean empty = ring.size() == 0;
        now = System.nanoTime();
        if (rowsInBatch > 0 && (stop && empty || now - batchStartNanos >= lingerNanos)) {
          long t0 = System.nanoTime();
          learner.flush();
          stepDone(System.nanoTime() - t0);
        }
        if (syncEveryNanos > 0 && now - lastExchangeNanos >= syncEveryNanos) exchange();
        if (publishEveryNanos > 0 && now - lastPublishNanos >= publishEveryNanos) publish();
        long req = handoverRequested;
        if (req != handoverDone) { // the consumer waits: make what this replica holds durable, then it commits
          checkpoint(true);
          awaitWriter();
          handoverDone = req;
        }
        if (checkpointEveryNanos > 0 && now - lastCheckpointNanos >= checkpointEveryNanos) checkpoint(false);
        // A step-triggered checkpoint skipped while the writer was busy is taken once it is free.
        if (checkpointEverySteps > 0 && learner.step() - lastAttemptStep >= checkpointEverySteps) checkpoint(false);
        if (now - rateNanos >= 1_000_000_000L) {
          examplesPerSecond = (rowsTrained - rateRows) * 1e9 / (now - rateNanos);
          rateNanos = now;
          rateRows = rowsTrained;
        }
        if (stop && empty && rowsInBatch == 0) break;
        if (empty || held) park(now); // held: the consumer unparks once the group has answered
      }
      if (sync != null) { // the group keeps this replica's last contribution
        leaving = true;
        exchange();
      }
      publish(); // the last version, if anything was trained since the previous one
      checkpoint(true); // and the last checkpoint, waited for
    } catch (Throwable e) {
      failure = e;
      log.error("trainer of model {} stopped: {}", model, e.toString(), e);
    } finally {
      learner.closeThreads(); // the step's helper threads (train.threads) stop with the trainer
      if (!losses.isEmpty()) reportLosses(true);
      for (Posted p; (p = commands.poll()) != null; )
        p.done().completeExceptionally(new IllegalStateException("the trainer of model " + model + " has stopped"));
      if (writer != null) {
        writer.shutdown();
        try {
          long wait = drainDeadlineNanos == Long.MAX_VALUE ? 10_000_000_000L : Math.max(1, drainDeadlineNanos - System.nanoTime() + 2_000_000_000L);
          if (!writer.awaitTermination(wait, TimeUnit.NANOSECONDS))
            log.warn("model {}: the last checkpoint did not finish in time", model);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      done = true;
    }
  }

  /**
   * Copies the learner's state with the offsets it covers (every record taken so far, including the
   * rows of the batch being assembled) and writes it on the writer thread; training pauses only for
   * the copy. Skipped when nothing was taken nor trained since the last one, or while a write is still running
   * (unless final, which waits for it).
   */
  private void checkpoint(boolean last) {
    if (checkpoints == null) return;
    lastCheckpointNanos = System.nanoTime();
    boolean paused = controlPaused;
    if (takenCount == lastCheckpointTaken && learner.step() == lastAttemptStep && paused == lastCheckpointPaused)
      return; // nothing new (a lingering batch may have trained)
    int held = heldByDeadLetter();
    if (held >= 0) { // tried again on the next step trigger, or the next interval
      long nowMs = System.currentTimeMillis();
      if (nowMs - deadLetterWaitLogged > 60_000 || last) { // once a minute while it lasts
        deadLetterWaitLogged = nowMs;
        log.warn("model {}: checkpoint {}: the dead letter of {} offset {} is not acknowledged by the broker yet, and a "
            + "checkpoint covering its record would lose it after a crash", model, last ? "not written" : "deferred",
            partitionNames[held], deadLetterFloor.applyAsLong(held));
      }
      return;
    }
    if (!writing.compareAndSet(false, true)) {
      if (!last) return;
      while (!writing.compareAndSet(false, true)) LockSupport.parkNanos(1_000_000L);
    }
    lastCheckpointTaken = takenCount;
    lastCheckpointPaused = paused;
    // In a group what the checkpoint holds goes to the others first: the offsets it lets the group
    // commit are then in the group's model, whatever happens to this replica.
    if (sync != null && learner.examples() != examplesAtExchange) exchange();
    lastAttemptStep = learner.step();
    LearnerState st = learner.exportState(); // may roll back an overflowed update, like a snapshot
    checkDivergence();
    if (audit != null) audit.checkpoint(st.step());
    Map<String, Long> offsets = new LinkedHashMap<>(restoredOffsets);
    for (int p = 0; p < partitionNames.length && partitionNames[p] != null; p++)
      if (taken[p] >= 0) offsets.put(partitionNames[p], taken[p]);
    try {
      writer.execute(() -> write(st, offsets, paused));
    } catch (RuntimeException e) {
      writing.set(false);
      throw e;
    }
  }

  /** The partition index of a record taken whose dead letter is not acknowledged, or -1. */
  private int heldByDeadLetter() {
    for (int p = 0; p < partitionNames.length && partitionNames[p] != null; p++)
      if (taken[p] > deadLetterFloor.applyAsLong(p)) return p;
    return -1;
  }

  private void write(LearnerState st, Map<String, Long> offsets, boolean paused) {
    long t0 = System.nanoTime();
    try {
      Path f = checkpoints.write(st, offsets, paused);
      observer.checkpointWritten(System.nanoTime() - t0);
      // Durable: what it covers need not be trained again, so may be committed.
      for (int p = 0; p < partitionNames.length && partitionNames[p] != null; p++) {
        Long o = offsets.get(partitionNames[p]);
        if (o != null) covered.accumulateAndGet(p, o, Math::max);
      }
      if (sync != null) commitSoon = true;
      if (audit != null) audit.durable(st.step());
      checkpointLastStep = st.step();
      lastCheckpoint = describe(f, st.step(), st.examples(), Instant.now(), offsets, Files.size(f), paused);
      health.written(st.step());
    } catch (IOException | RuntimeException e) {
      health.failed(st.step(), e);
    } finally {
      writing.set(false);
    }
  }

  static Map<String, Object> describe(Path f, long step, long examples, Instant created, Map<String, Long> offsets,
      long size, boolean trainingPaused) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", f.toString());
    m.put("step", step);
    m.put("examples", examples);
    m.put("created", created.toString());
    m.put("offsets", new LinkedHashMap<>(offsets));
    m.put("size_bytes", size);
    m.put("trainingPaused", trainingPaused);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Waits until no checkpoint write is running. */
  private void awaitWriter() {
    while (writing.get()) LockSupport.parkNanos(1_000_000L);
  }

  /**
   * Publishes θ to the other replicas and folds theirs in (see {@link ReplicaSync}); weight: the
   * examples trained since the previous exchange.
   */
  private void exchange() {
    long w = learner.examples() - examplesAtExchange;
    examplesAtExchange = learner.examples();
    lastExchangeNanos = System.nanoTime();
    lastExchangeStep = learner.step();
    var r = sync.exchange(learner.liveParams(), learner.step(), w, learner.examples(), examplesPerSecond, leaving);
    exchanges++;
    if (r.relative() > 1e-6) foldedSincePublish = true; // the served model changed without a step
    observer.exchanged(r.nanos(), r.replicasInAverage(), r.divergence());
  }

  /** Sleeps until rows arrive (the consumer unparks), the linger or publish time is due, or 50 ms. */
  private void park(long now) {
    long wait = 50_000_000L;
    if (syncEveryNanos > 0) wait = Math.min(wait, lastExchangeNanos + syncEveryNanos - now);
    if (rowsInBatch > 0) wait = Math.min(wait, batchStartNanos + lingerNanos - now);
    if (publishEveryNanos > 0) wait = Math.min(wait, lastPublishNanos + publishEveryNanos - now);
    if (wait > 0) LockSupport.parkNanos(this, wait);
  }

  /**
   * Consumer thread: the group took these partitions away without a hand-over; their rows queued
   * before {@code tail} carry an older generation (already bumped) and are skipped.
   */
  void lost(String partitions, long tail) {
    lost(partitions, tail, "this replica's group session expired; the group gave them to another replica");
  }

  /** Consumer thread: as {@link #lost(String, long)}, for another reason ({@code why} goes into the warning). */
  void lost(String partitions, long tail, String why) {
    losses.add(new Loss(partitions, tail, why));
    Thread t = thread;
    if (t != null) LockSupport.unpark(t);
  }

  /**
   * One warning per loss whose queued rows the trainer has passed (or all, when stopping), with
   * the rows dropped since the previous report.
   */
  private void reportLosses(boolean stopping) {
    long head = ring.head();
    for (Loss l; (l = losses.peek()) != null && (stopping || head >= l.tail()); ) {
      losses.poll();
      long n = droppedSinceReport;
      droppedSinceReport = 0;
      if (audit != null) audit.dropped(l.partitions(), n);
      log.warn("model {}: lost partitions {} ({}): dropped {} queued rows of them, not trained{}", model,
          l.partitions(), l.why(), n,
          stopping && head < l.tail() ? " (stopping: rows still queued are not counted)" : "");
    }
  }

  /** A time line in the audit before the first row a chunk takes, at most one per millisecond. */
  private boolean auditTime() {
    long ms = System.currentTimeMillis();
    if (ms != lastAuditMillis) audit.time(ms);
    lastAuditMillis = ms;
    return true;
  }

  private void take(int s) {
    int p = ring.partition[s];
    if (audit != null) {
      if (ring.good[s]) audit.trained(partitionNames[p], ring.offset[s], learner.step() + 1);
      else audit.deadLettered(partitionNames[p], ring.offset[s]);
    }
    pendingNext[p] = ring.offset[s] + 1;
    taken[p] = ring.offset[s] + 1;
    takenCount++;
    if (!ring.good[s]) { // dead-lettered: covered as soon as nothing before it is in flight
      if (rowsInBatch == 0) cover();
      return;
    }
    if (rowsInBatch++ == 0) batchStartNanos = ring.polledNanos[s];
    long ts = ring.timestamp[s];
    if (ts >= 0 && ts < oldestTimestamp) oldestTimestamp = ts;
    if (learner.pending() == B - 1) {
      long t0 = System.nanoTime();
      learner.add(ring.x, s * ring.I, ring.y, s * ring.T);
      stepDone(System.nanoTime() - t0);
    } else {
      learner.add(ring.x, s * ring.I, ring.y, s * ring.T);
    }
  }

  /** Posts a command; it is applied on this thread, which completes {@code done} (never blocks the caller). */
  void post(Command c, CompletableFuture<Status> done) {
    commands.add(new Posted(c, done));
    Thread t = thread;
    if (t != null) LockSupport.unpark(t);
  }

  private void applyCommands() {
    for (Posted p; (p = commands.poll()) != null; ) {
      try {
        switch (p.command().action()) {
          case PAUSE, RESUME -> {
            boolean pause = p.command().action() == Action.PAUSE;
            if (controlPaused != pause) {
              controlPaused = pause;
              // Durable soon: a restart must not train a model an operator paused (nor pause one resumed).
              checkpoint(true);
            }
          }
          case RESET -> {
            learner.reset();
            resets++;
            // The state is that of version 0 again (the seed's): what was trained into it is gone.
            if (audit != null) audit.rolledBack(learner.step(), 0);
            log.info("model {}: reset to the initial parameters (seed {}); versions go on after {}", model,
                learner.config().seed(), learner.step());
          }
          case LR -> learner.setLearningRate(p.command().value());
        }
        learningRate = learner.learningRate();
        gradNorm = learner.lastGradNorm();
        p.done().complete(status.get());
      } catch (RuntimeException e) { // the learner refused the value: the caller's 400
        p.done().completeExceptionally(e);
      }
    }
  }

  /** Reports divergences the learner counted since the last look (a step's, or a snapshot's rollback). */
  private void checkDivergence() {
    long n = learner.divergences();
    if (n == seenDivergences) return;
    seenDivergences = n;
    divergences = n;
    rolledBackExamples = learner.rolledBackExamples();
    learningRate = learner.learningRate();
    Divergence d = learner.lastDivergence();
    if (d == null) return;
    // Looked at after every step, snapshot and state copy: one rollback at a time, before the rows
    // of the next batch are taken, so its line follows exactly the t lines it concerns.
    if (audit != null) audit.rolledBack(d.versionAfter(), d.rolledBackTo());
    long now = System.nanoTime();
    if (divergenceLogNanos == Long.MIN_VALUE || now - divergenceLogNanos >= 10_000_000_000L) { // at most one line per 10 s: bad records can diverge every step
      log.warn("model {}: divergence #{} at version {} ({}: loss {}, gradient norm {}): rolled back to version {} "
          + "(now version {}), learning rate {} -> {}{}", model, d.count(), d.step(), d.cause(), d.loss(), d.gradNorm(),
          d.rolledBackTo(), d.versionAfter(), d.lrBefore(), d.lrAfter(),
          divergencesUnlogged > 0 ? " (" + divergencesUnlogged + " more since the last line)" : "");
      divergenceLogNanos = now;
      divergencesUnlogged = 0;
    } else {
      divergencesUnlogged++;
    }
    try {
      onDivergence.accept(d);
    } catch (RuntimeException e) {
      log.warn("a divergence listener of model {} failed: {}", model, e.toString(), e);
    }
  }

  private void driftDetected() {
    seenDrifts = drifts = learner.drifts();
    var d = learner.lastDrift();
    log.info("model {}: drift #{} detected by {} at version {} (prequential loss {}); action: {}", model, d.count(),
        d.detector(), d.step(), d.lossEwma(), d.action());
    try {
      onDrift.accept(d);
    } catch (RuntimeException e) {
      log.warn("a drift listener of model {} failed: {}", model, e.toString(), e);
    }
  }

  private void stepDone(long nanos) {
    rowsTrained += rowsInBatch;
    rowsInBatch = 0;
    cover();
    steps = learner.step();
    examples = learner.examples();
    checkDivergence();
    if (learner.drifts() != seenDrifts) driftDetected();
    learningRate = learner.learningRate();
    gradNorm = learner.lastGradNorm();
    metrics = learner.metrics();
    observer.step(nanos);
    if (syncEverySteps > 0 && learner.step() - lastExchangeStep >= syncEverySteps) exchange();
    if (publishEverySteps > 0 && learner.step() - Math.max(lastPublishedVersion, 0) >= publishEverySteps) publish();
    if (checkpointEverySteps > 0 && learner.step() - lastAttemptStep >= checkpointEverySteps) checkpoint(false);
  }

  /**
   * Alone, a completed step covers its records (a restart without a newer checkpoint resumes from
   * the published version and the committed offsets). In a group only durable checkpoints cover:
   * the committed offsets hand partitions over to the other replicas, and must not run ahead of
   * what survives this replica.
   */
  private void cover() {
    for (int p = 0; p < pendingNext.length; p++) {
      if (pendingNext[p] < 0) {
        if (partitionNames[p] == null) break; // indices are handed out in order
        continue;
      }
      if (sync == null) covered.accumulateAndGet(p, pendingNext[p], Math::max);
      pendingNext[p] = -1;
    }
  }

  /** Publishes a version if the optimizer has stepped past the last published one. */
  private void publish() {
    lastPublishNanos = System.nanoTime();
    if (learner.step() <= lastPublishedVersion && !foldedSincePublish || learner.step() == 0) return;
    long t0 = System.nanoTime();
    Snapshot snap = learner.snapshot(); // may roll back a non-finite update: check the version again
    checkDivergence();
    if (snap.version() <= lastPublishedVersion && !foldedSincePublish) return;
    if (!allFinite(snap.params())) { // the learner guarantees it; checked anyway, as it is what consumers load
      publishSkipped++;
      log.error("model {}: version {} has a non-finite weight and is not published", model, snap.version());
      return;
    }
    foldedSincePublish = false;
    long stepOfSnap = snap.version();
    if (sync != null) { // one version line across publishers: above every version on the topic
      long v = Math.max(snap.version(), Math.max(sync.topVersion(), lastVersion) + 1);
      snap = snap.withVersion(v);
    }
    Published pub = encode(snap, offsetsJson());
    lastPublishedVersion = stepOfSnap;
    lastVersion = version = snap.version();
    sink.publish(pub, t0, publisher);
    long nowMillis = System.currentTimeMillis();
    lastPublishMillis = nowMillis;
    if (oldestTimestamp != Long.MAX_VALUE) observer.freshness(Math.max(0, nowMillis - oldestTimestamp));
    oldestTimestamp = Long.MAX_VALUE;
  }

  /** The safetensors file of a snapshot, with its metadata (offsets as JSON). */
  private Published encode(Snapshot snap, String offsets) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(SafeTensors.META_MODEL, model);
    meta.put(SafeTensors.META_VERSION, Long.toString(snap.version()));
    meta.put(SafeTensors.META_INCARNATION, incarnation);
    meta.put(SafeTensors.META_CREATED, Instant.ofEpochMilli(snap.createdMillis()).toString());
    meta.put(SafeTensors.META_OFFSETS, offsets);
    meta.put(SafeTensors.META_SPEC, snap.spec());
    meta.put(SafeTensors.META_METRICS, metricsJson(snap));
    return new Published(snap, WeightsFiles.encode(snap, tensors, meta), incarnation);
  }

  /** A plain loop, not a kernel: independent of how SIMD max treats NaN. */
  static boolean allFinite(float[] a) {
    for (float v : a) if (!Float.isFinite(v)) return false;
    return true;
  }

  /** {"topic-partition": next offset covered, ...} */
  String offsetsJson() {
    StringBuilder sb = new StringBuilder("{");
    for (int p = 0; p < partitionNames.length && partitionNames[p] != null; p++) {
      long c = covered.get(p);
      if (c < 0) continue;
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(partitionNames[p]).append("\":").append(c);
    }
    return sb.append('}').toString();
  }

  static String metricsJson(Snapshot s) {
    Metrics m = s.metrics();
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"examples\":").append(m.examples()).append(",\"skipped\":").append(m.skipped())
        .append(",\"window\":").append(m.window());
    num(sb, "loss_ewma", m.lossEwma());
    num(sb, "loss_window", m.lossWindow());
    num(sb, "accuracy_ewma", m.accuracyEwma());
    num(sb, "accuracy_window", m.accuracyWindow());
    num(sb, "mae_window", m.maeWindow());
    num(sb, "rmse_window", m.rmseWindow());
    num(sb, "loss_all", m.all().loss());
    num(sb, "accuracy_all", m.all().accuracy());
    num(sb, "mae_all", m.all().mae());
    num(sb, "rmse_all", m.all().rmse());
    num(sb, "learning_rate", s.learningRate());
    num(sb, "grad_norm", s.gradNorm());
    sb.append(",\"divergences\":").append(s.divergences()).append(",\"trained_examples\":").append(s.examples());
    return sb.append('}').toString();
  }

  private static void num(StringBuilder sb, String k, double v) {
    sb.append(",\"").append(k).append("\":").append(Double.isFinite(v) ? Double.toString(v) : "null");
  }

  static void notify(List<Consumer<Published>> listeners, Published p) {
    for (var l : listeners) {
      try {
        l.accept(p);
      } catch (RuntimeException e) {
        log.warn("a publish listener failed on version {}: {}", p.version(), e.toString(), e);
      }
    }
  }
}
