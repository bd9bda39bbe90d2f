package org.streamlearn.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntToLongFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.Status;
import org.streamlearn.model.TrainingFigures;

/**
 * The trainer of one model, on a one-thread worker pool of its own (the arithmetic keeps a core):
 * each turn takes a bounded chunk of rows from the {@link RowRing} into the learner, then
 * reschedules itself while rows wait (the ingest thread wakes it when it queued some). Its
 * cadences are Vert.x timers on its context: a partial batch trains once its oldest row waited
 * {@code batch.linger.ms}; versions are published, parameters exchanged and checkpoints taken by
 * steps and by time. Control commands arrive on {@link ModelEvents#control} and are applied between
 * turns, so the learner stays single-threaded.
 *
 * <p>While paused by control the trainer takes no rows and trains nothing (a partial batch waits
 * too); the ring then fills and ingest pauses fetching by backpressure, so nothing is dropped. A
 * pause or resume that changes the state is checkpointed at once (a restart restores it paused).
 * In a group, rows of partitions lost since they were queued are skipped, and rows are taken only
 * while the {@link Lease} runs.
 *
 * <p>{@link #drain} (at undeploy) trains every queued row and the partial batch, exchanges a last
 * time in a group, publishes the last version and writes the last checkpoint.
 */
final class TrainerVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(TrainerVerticle.class);
  /** Rows taken per turn before the ring's head is released, so ingest can refill meanwhile. */
  static final int CHUNK = 256;
  /** A partial batch's linger ending within this is waited for on the trainer's thread, not by a timer. */
  private static final long LINGER_PARK_NANOS = 2_000_000L;

  private final ModelConfig mc;
  private final String model;
  private final OnlineLearner learner;
  private final RowRing ring;
  private final OffsetLedger ledger;
  private final ReplicaSync sync;
  private final Lease lease;
  private final TrainingAudit audit;
  private final CheckpointVerticle checkpoints;
  private final PublishVerticle publish;
  private final IntToLongFunction deadLetterFloor;
  private final StartingState start;
  private final Supplier<ModelObserver> observer;
  private final Supplier<Status> status;
  private final Runnable commitSoon;
  private final long lingerNanos, shutdownTimeoutNanos;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Loss> losses = new ConcurrentLinkedQueue<>();
  private final Promise<Void> drained;
  private final java.util.function.BooleanSupplier ingestStarted;
  private RowFeeder feeder;
  private StateWriter writer;
  private VersionLine line;
  private TrainerLog events;
  private MessageConsumer<Command> control;
  private volatile boolean controlPaused, finished;
  private boolean draining;
  private long drainDeadlineNanos, lingerTimer = -1, resets, rateNanos, rateRows;
  private double examplesPerSecond;
  volatile TrainingFigures figures;
  volatile Throwable failure;

  /** Partitions taken away with rows still queued: why, and the ring position after their last row. */
  private record Loss(String partitions, long tail, String why) {}

  TrainerVerticle(ModelConfig mc, OnlineLearner learner, RowRing ring, OffsetLedger ledger, ReplicaSync sync,
      Lease lease, TrainingAudit audit, CheckpointVerticle checkpoints, PublishVerticle publish,
      IntToLongFunction deadLetterFloor, StartingState start, Supplier<ModelObserver> observer,
      Supplier<Status> status, Runnable commitSoon, Promise<Void> drained,
      java.util.function.BooleanSupplier ingestStarted, long shutdownTimeoutMs) {
    this.mc = mc;
    this.model = mc.name();
    this.learner = learner;
    this.ring = ring;
    this.ledger = ledger;
    this.sync = sync;
    this.lease = lease;
    this.audit = audit;
    this.checkpoints = checkpoints;
    this.publish = publish;
    this.deadLetterFloor = deadLetterFloor;
    this.start = start;
    this.observer = observer;
    this.status = status;
    this.commitSoon = commitSoon;
    this.drained = drained;
    this.ingestStarted = ingestStarted;
    this.shutdownTimeoutNanos = shutdownTimeoutMs * 1_000_000L;
    this.lingerNanos = mc.batchLingerMs() * 1_000_000L;
    this.controlPaused = start.trainingPaused();
    long v = learner.step() > 0 ? learner.step() : -1;
    this.figures = new TrainingFigures(learner.step(), learner.examples(), 0, learner.divergences(),
        learner.rolledBackExamples(), v, learner.learningRate(), Double.NaN, learner.metrics(), 0, controlPaused, 0, 0,
        learner.drifts(), 0, 0, 0, learner.activeThreads());
  }

  @Override public void start() {
    ModelEvents.registerCodecs(vertx);
    feeder = new RowFeeder(learner, ring, ledger, sync != null, audit, this::stepDone);
    events = new TrainerLog(model, learner, audit, vertx.eventBus());
    line = new VersionLine(model, start.incarnation(), learner, ledger, feeder, sync, publish, events, observer);
    writer = checkpoints == null ? null : new StateWriter(model, learner, ledger, feeder, checkpoints, deadLetterFloor,
        audit, context, start, mc.checkpoint().everySteps());
    rateNanos = System.nanoTime();
    control = vertx.eventBus().consumer(ModelEvents.control(model), this::command);
    if (mc.publishEveryMs() > 0) vertx.setPeriodic(mc.publishEveryMs(), id -> {
      if (active()) line.publish();
    });
    if (sync != null && mc.scale().syncEveryMs() > 0) vertx.setPeriodic(mc.scale().syncEveryMs(), id -> {
      if (active()) line.exchange(examplesPerSecond, false);
    });
    if (writer != null && mc.checkpoint().everyMs() > 0) vertx.setPeriodic(mc.checkpoint().everyMs(), id -> {
      if (active()) checkpoint(false);
    });
    vertx.setPeriodic(1000, id -> rate());
    publishFigures();
    wake();
  }

  /**
   * Undeployed: waits for the drain ingest asks for once it stopped fetching (or drains at once
   * when ingest never started), so the worker pool stays until the last checkpoint is written.
   */
  @Override public void stop(Promise<Void> stopped) {
    if (!ingestStarted.getAsBoolean()) drain(System.nanoTime() + shutdownTimeoutNanos);
    drained.future().onComplete(stopped);
  }

  private boolean active() {
    return !finished && !controlPaused;
  }

  /** Any thread: a turn runs soon (once, however often it is woken meanwhile). */
  void wake() {
    if (!finished && scheduled.compareAndSet(false, true)) onTrainerThread(v -> turn());
  }

  /**
   * Runs h on the trainer's thread, unless the trainer is undeployed: its pool is then closed (the
   * ingest thread still commits and leaves the group after the drain, and its rebalance listener
   * wakes the trainer), and there is nothing left to run.
   */
  private boolean onTrainerThread(Handler<Void> h) {
    try {
      context.runOnContext(h);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  private void turn() {
    scheduled.set(false);
    if (finished) return;
    try {
      if (draining && (controlPaused || System.nanoTime() > drainDeadlineNanos)) {
        finish(); // paused, or out of time: what is queued stays uncommitted and is read again
        return;
      }
      if (controlPaused) return; // a command wakes it
      boolean free = feeder.feed(CHUNK, lease);
      if (!losses.isEmpty()) reportLosses(false);
      boolean empty = ring.size() == 0;
      if (feeder.rowsInBatch > 0) {
        long now = System.nanoTime(), wait = feeder.batchStartNanos + lingerNanos - now;
        if (draining && empty || wait <= 0) {
          feeder.flush();
        } else if (empty && wait < LINGER_PARK_NANOS) {
          // Vert.x timers fire on the event loop to the millisecond: the last part is waited here,
          // on the trainer's own thread, so a partial batch trains when its linger ends, not up to 2 ms later.
          LockSupport.parkNanos(wait);
          feeder.flush();
        } else {
          armLinger(wait);
        }
      }
      publishFigures();
      if (draining && empty && feeder.rowsInBatch == 0) finish();
      else if (!empty && free) wake();
    } catch (Throwable e) {
      fail(e);
    }
  }

  /**
   * A turn once the linger has less than LINGER_PARK_NANOS left (that turn waits the rest itself):
   * the timer fires on the event loop up to a millisecond late, so it is set a millisecond early.
   */
  private void armLinger(long waitNanos) {
    if (lingerTimer >= 0) return;
    long ms = Math.max(1, (waitNanos - LINGER_PARK_NANOS / 2) / 1_000_000);
    lingerTimer = vertx.setTimer(ms, id -> {
      lingerTimer = -1;
      turn();
    });
  }

  private void stepDone(long nanos) {
    feeder.stepCompleted();
    events.checkDivergence();
    events.checkDrift();
    observer.get().step(nanos);
    if (line.exchangeDue(mc.scale().syncEverySteps())) line.exchange(examplesPerSecond, false);
    if (line.publishDue(mc.publishEverySteps())) line.publish();
    if (writer != null && writer.stepsDue()) checkpoint(false);
  }

  private Future<Void> checkpoint(boolean last) {
    // In a group what the checkpoint holds goes to the others first: the offsets it lets the group
    // commit are then in the group's model, whatever happens to this replica.
    Future<Void> f = writer.checkpoint(last, controlPaused, () -> {
      if (line.unexchanged()) line.exchange(examplesPerSecond, false);
    });
    events.checkDivergence(); // copying the state may roll back an overflowed update
    return f.andThen(r -> {
      if (sync != null && r.succeeded()) commitSoon.run();
      // A step-triggered checkpoint skipped while the writer was busy is taken once it is free.
      if (active() && !writer.busy() && writer.stepsDue()) checkpoint(false);
    });
  }

  private void command(Message<Command> msg) {
    if (finished) {
      msg.fail(ModelEvents.NOT_RUNNING, "model " + model + " is not running"
          + (failure != null ? " (trainer stopped: " + failure + ")" : ""));
      return;
    }
    Command c = msg.body();
    try {
      switch (c.action()) {
        case PAUSE, RESUME -> {
          boolean pause = c.action() == Action.PAUSE;
          if (controlPaused != pause) {
            controlPaused = pause;
            // Durable soon: a restart must not train a model an operator paused (nor pause one resumed).
            if (writer != null) checkpoint(true);
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
        case LR -> learner.setLearningRate(c.value());
      }
      publishFigures();
      msg.reply(status.get());
      if (!controlPaused) wake();
    } catch (IllegalArgumentException e) { // the learner refused the value: the caller's 400
      msg.fail(ModelEvents.INVALID, e.getMessage());
    } catch (RuntimeException e) {
      msg.fail(ModelEvents.FAILED, e.toString());
    }
  }

  /**
   * Any thread: trains what is queued and the partial batch, then the last exchange, version and
   * checkpoint, within the deadline (System.nanoTime); the future completes when that is done (or
   * the trainer failed). Ingest must have stopped fetching.
   */
  Future<Void> drain(long deadlineNanos) {
    context.runOnContext(v -> {
      if (draining || finished) return;
      draining = true;
      drainDeadlineNanos = deadlineNanos;
      vertx.setTimer(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L + 1), id -> turn());
      turn();
    });
    return drained.future();
  }

  private void finish() {
    finished = true;
    try {
      if (sync != null) line.exchange(examplesPerSecond, true); // the group keeps this replica's last contribution
      line.publish(); // the last version, if anything was trained since the previous one
      Future<Void> last = writer == null ? Future.succeededFuture() : checkpoint(true);
      last.onComplete(r -> closeDown());
    } catch (Throwable e) {
      fail(e);
    }
  }

  private void closeDown() {
    learner.closeThreads(); // the step's helper threads (train.threads) stop with the trainer
    if (!losses.isEmpty()) reportLosses(true);
    publishFigures();
    drained.tryComplete();
  }

  private void fail(Throwable e) {
    failure = e;
    finished = true;
    log.error("trainer of model {} stopped: {}", model, e.toString(), e);
    closeDown();
  }

  String incarnation() {
    return start.incarnation();
  }

  /** The trainer stopped (drained, or failed). */
  boolean finished() {
    return finished;
  }

  boolean controlPaused() {
    return controlPaused;
  }

  /**
   * Ingest thread, in a rebalance: makes what this replica holds durable (a checkpoint of every
   * row taken), so the commit that follows hands the partitions over exactly where it ends.
   */
  CompletableFuture<Void> handOver() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (finished) {
      done.complete(null);
      return done;
    }
    boolean queued = onTrainerThread(v -> {
      if (finished || writer == null) {
        done.complete(null);
        return;
      }
      checkpoint(true).onComplete(r -> done.complete(null));
    });
    if (!queued) done.complete(null);
    return done;
  }

  /**
   * Ingest thread: the group took these partitions away; their rows queued before {@code tail}
   * carry an older generation (already bumped) and are skipped.
   */
  void lost(String partitions, long tail, String why) {
    if (audit != null) audit.lost(partitions); // after the t lines of every row of them taken (RowRing.giveUp)
    losses.add(new Loss(partitions, tail, why));
    wake();
  }

  /**
   * One warning per loss whose queued rows the trainer has passed (or all, when stopping), with
   * the rows dropped since the previous report.
   */
  private void reportLosses(boolean stopping) {
    long head = ring.head();
    for (Loss l; (l = losses.peek()) != null && (stopping || head >= l.tail()); ) {
      losses.poll();
      long n = feeder.droppedSinceReport;
      feeder.droppedSinceReport = 0;
      if (audit != null) audit.dropped(n);
      log.warn("model {}: lost partitions {} ({}): dropped {} queued rows of them, not trained{}", model,
          l.partitions(), l.why(), n,
          stopping && head < l.tail() ? " (stopping: rows still queued are not counted)" : "");
    }
  }

  /** Ingest thread: whether this instance writes the weights topic (the lead partition's owner in a group). */
  void publisher(boolean p) {
    line.publisher = p;
  }

  private void rate() {
    long now = System.nanoTime();
    examplesPerSecond = (feeder.rowsTrained - rateRows) * 1e9 / (now - rateNanos);
    rateNanos = now;
    rateRows = feeder.rowsTrained;
    publishFigures();
  }

  private void publishFigures() {
    figures = new TrainingFigures(learner.step(), learner.examples(), feeder.rowsTrained, learner.divergences(),
        learner.rolledBackExamples(), line.version, learner.learningRate(), learner.lastGradNorm(), learner.metrics(),
        examplesPerSecond, controlPaused, resets, line.publishSkipped, learner.drifts(), line.exchanges,
        feeder.rowsDropped, line.lastPublishMillis, learner.activeThreads());
  }
}
