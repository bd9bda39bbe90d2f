package org.streamlearn.stream;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.ModelObserver;

/**
 * The versions a model publishes, and in a group the parameter exchanges that shape them: a version
 * is published when the optimizer stepped past the last one (or an exchange folded the others in),
 * only when every weight is finite; in a group the versions of all publishers form one line above
 * every version on the topic. Trainer thread only (figures read elsewhere are volatile).
 */
final class VersionLine {
  private static final Logger log = LoggerFactory.getLogger(VersionLine.class);
  private final String model, incarnation;
  private final OnlineLearner learner;
  private final OffsetLedger ledger;
  private final RowFeeder feeder;
  private final ReplicaSync sync;
  private final PublishVerticle out;
  private final TrainerLog events;
  private final Supplier<ModelObserver> observer;
  /** Whether versions go to the weights topic: always alone; in a group only the lead partition's owner. */
  volatile boolean publisher;
  /** Newest published version, -1 none; wall-clock time of the last publish, 0 none. */
  long version = -1, lastPublishMillis;
  long publishSkipped, exchanges;
  private long lastPublishedVersion = -1, lastVersion = -1, examplesAtExchange, lastExchangeStep;
  private boolean foldedSincePublish;

  VersionLine(String model, String incarnation, OnlineLearner learner, OffsetLedger ledger, RowFeeder feeder,
      ReplicaSync sync, PublishVerticle out, TrainerLog events, Supplier<ModelObserver> observer) {
    this.model = model;
    this.incarnation = incarnation;
    this.learner = learner;
    this.ledger = ledger;
    this.feeder = feeder;
    this.sync = sync;
    this.out = out;
    this.events = events;
    this.observer = observer;
    this.publisher = sync == null; // in a group: once this member owns the lead partition
    if (learner.step() > 0) // resumed from a published version or a checkpoint: continue after it
      lastPublishedVersion = lastVersion = version = learner.step();
    this.examplesAtExchange = learner.examples();
    this.lastExchangeStep = learner.step();
  }

  /** Whether a step-triggered exchange is due. */
  boolean exchangeDue(long everySteps) {
    return sync != null && everySteps > 0 && learner.step() - lastExchangeStep >= everySteps;
  }

  /** Whether the examples trained since the last exchange are not in the group yet. */
  boolean unexchanged() {
    return sync != null && learner.examples() != examplesAtExchange;
  }

  /**
   * Publishes θ to the other replicas and folds theirs in (see {@link ReplicaSync}); weight: the
   * examples trained since the previous exchange.
   */
  void exchange(double examplesPerSecond, boolean leaving) {
    long w = learner.examples() - examplesAtExchange;
    examplesAtExchange = learner.examples();
    lastExchangeStep = learner.step();
    var r = sync.exchange(learner.liveParams(), learner.step(), w, learner.examples(), examplesPerSecond, leaving);
    exchanges++;
    if (r.relative() > 1e-6) foldedSincePublish = true; // the served model changed without a step
    observer.get().exchanged(r.nanos(), r.replicasInAverage(), r.divergence());
  }

  /** Whether a step-triggered publish is due. */
  boolean publishDue(long everySteps) {
    return everySteps > 0 && learner.step() - Math.max(lastPublishedVersion, 0) >= everySteps;
  }

  /** Publishes a version if the optimizer has stepped past the last published one. */
  void publish() {
    if (learner.step() <= lastPublishedVersion && !foldedSincePublish || learner.step() == 0) return;
    long t0 = System.nanoTime();
    Snapshot snap = learner.snapshot(); // may roll back a non-finite update: check the version again
    events.checkDivergence();
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
    lastPublishedVersion = stepOfSnap;
    lastVersion = version = snap.version();
    out.publish(snap, ledger.coveredJson(), incarnation, t0, feeder.oldestTimestamp, publisher);
    lastPublishMillis = System.currentTimeMillis();
    feeder.oldestTimestamp = Long.MAX_VALUE;
  }

  /** A plain loop, not a kernel: independent of how SIMD max treats NaN. */
  static boolean allFinite(float[] a) {
    for (float v : a) if (!Float.isFinite(v)) return false;
    return true;
  }
}
