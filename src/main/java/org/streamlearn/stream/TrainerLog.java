package org.streamlearn.stream;

import io.vertx.core.eventbus.EventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.model.ModelEvents;

/**
 * What the learner reports between steps, told to the log (rate-limited) and to the event bus:
 * divergences (a rollback) and drifts on the prequential loss. Trainer thread only.
 */
final class TrainerLog {
  private static final Logger log = LoggerFactory.getLogger(TrainerLog.class);
  private final String model;
  private final OnlineLearner learner;
  private final TrainingAudit audit;
  private final EventBus bus;
  private long seenDivergences, seenDrifts, divergenceLogNanos = Long.MIN_VALUE, divergencesUnlogged;

  TrainerLog(String model, OnlineLearner learner, TrainingAudit audit, EventBus bus) {
    this.model = model;
    this.learner = learner;
    this.audit = audit;
    this.bus = bus;
    this.seenDivergences = learner.divergences();
    this.seenDrifts = learner.drifts();
  }

  /** Reports divergences the learner counted since the last look (a step's, or a snapshot's rollback). */
  void checkDivergence() {
    long n = learner.divergences();
    if (n == seenDivergences) return;
    seenDivergences = n;
    Divergence d = learner.lastDivergence();
    if (d == null) return;
    // Looked at after every step, snapshot and state copy: one rollback at a time, before the rows
    // of the next batch are taken, so its line follows exactly the t lines it concerns.
    if (audit != null) audit.rolledBack(d.versionAfter(), d.rolledBackTo());
    long now = System.nanoTime();
    if (divergenceLogNanos == Long.MIN_VALUE || now - divergenceLogNanos >= 10_000_000_000L) { // bad records can diverge every step
      log.warn("model {}: divergence #{} at version {} ({}: loss {}, gradient norm {}): rolled back to version {} "
          + "(now version {}), learning rate {} -> {}{}", model, d.count(), d.step(), d.cause(), d.loss(), d.gradNorm(),
          d.rolledBackTo(), d.versionAfter(), d.lrBefore(), d.lrAfter(),
          divergencesUnlogged > 0 ? " (" + divergencesUnlogged + " more since the last line)" : "");
      divergenceLogNanos = now;
      divergencesUnlogged = 0;
    } else {
      divergencesUnlogged++;
    }
    bus.publish(ModelEvents.divergence(model), d);
  }

  /** After a step: a drift the learner detected is logged and published. */
  void checkDrift() {
    if (learner.drifts() == seenDrifts) return;
    seenDrifts = learner.drifts();
    var d = learner.lastDrift();
    log.info("model {}: drift #{} detected by {} at version {} (prequential loss {}); action: {}", model, d.count(),
        d.detector(), d.step(), d.lossEwma(), d.action());
    bus.publish(ModelEvents.drift(model), d);
  }
}
