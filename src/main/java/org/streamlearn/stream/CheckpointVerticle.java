package org.streamlearn.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.learn.LearnerState;
import org.streamlearn.model.ModelObserver;

/**
 * Writes a model's checkpoints, one at a time, on a worker thread of its own (an fsync never holds
 * up the arithmetic), and replies with what became durable: the trainer copies its state and hands
 * it here, training goes on meanwhile. A durable checkpoint raises the covered offsets of the
 * {@link OffsetLedger}: what it holds need not be trained again, so may be committed.
 */
final class CheckpointVerticle extends AbstractVerticle {
  /** The learner's state with the offsets it covers, and whether training is paused by control. */
  record Job(LearnerState state, Map<String, Long> offsets, boolean trainingPaused) {}

  private final Checkpoints checkpoints;
  private final OffsetLedger ledger;
  private final TrainingAudit audit;
  final CheckpointHealth health;
  private final Future<Void> trainerDrained;
  volatile ModelObserver observer = ModelObserver.NONE;
  /** Step of the newest durable checkpoint, -1 none. */
  volatile long lastStep;
  /** The newest durable checkpoint as ModelView.checkpoint() shows it, null none. */
  volatile Map<String, Object> last;

  CheckpointVerticle(String model, Checkpoints checkpoints, OffsetLedger ledger, TrainingAudit audit,
      StartingState start, Future<Void> trainerDrained) {
    this.trainerDrained = trainerDrained;
    this.checkpoints = checkpoints;
    this.ledger = ledger;
    this.audit = audit;
    this.health = new CheckpointHealth(model, checkpoints.dir());
    this.lastStep = start.restoredStep();
    this.last = start.checkpoint();
  }

  /** Undeployed: stays until the trainer's last checkpoint is written. */
  @Override public void stop(Promise<Void> stopped) {
    trainerDrained.onComplete(stopped);
  }

  /**
   * Queues a write (behind any running one); the future completes on {@code replyOn} once the file
   * is durable, or fails with why it is not (the health counts it, the model goes on degraded).
   */
  Future<Void> write(Job job, Context replyOn) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      Throwable failure = null;
      try {
        write(job);
      } catch (IOException | RuntimeException e) {
        health.failed(job.state().step(), e);
        failure = e;
      }
      Throwable f = failure;
      replyOn.runOnContext(x -> {
        if (f == null) done.complete();
        else done.fail(f);
      });
    });
    return done.future();
  }

  private void write(Job job) throws IOException {
    long t0 = System.nanoTime();
    LearnerState st = job.state();
    Path f = checkpoints.write(st, job.offsets(), job.trainingPaused());
    observer.checkpointWritten(System.nanoTime() - t0);
    for (int p = 0, n = ledger.size(); p < n; p++) {
      Long o = job.offsets().get(ledger.name(p));
      if (o != null) ledger.cover(p, o);
    }
    if (audit != null) audit.durable(st.step());
    lastStep = st.step();
    last = StartingState.describe(f, st.step(), st.examples(), Instant.now(), job.offsets(), Files.size(f),
        job.trainingPaused());
    health.written(st.step());
  }
}
