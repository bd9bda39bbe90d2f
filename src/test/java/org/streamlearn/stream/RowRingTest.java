package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.learn.OnlineLearner;

/** The ring's hand-off of a partition taken away while the trainer has rows of it in hand. */
@Timeout(60)
class RowRingTest {
  static final int FEATURES = 4, B = 4, BASE = 30;

  /**
   * The trainer has checked its rows' generation and is training them (held inside its first
   * step) when the group takes the partition away: the give-up waits for it, and reports as the first
   * row not taken exactly the end of what it took. Before, the give-up read the ring's head (not yet
   * released), counted rows being trained as dropped, and the replica, given the partition back,
   * trained them again (ScaleOutTest in CI: offsets 30–199 of one partition twice in one state).
   */
  @Test
  void giveUpWaitsForTheRowsInHand() throws Exception {
    var mc = StreamTestKit.model("""
        models:
          ring:
            topics: [ring.train]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(3)
            batch.size: 4
        """);
    OnlineLearner learner = new OnlineLearner(mc.learnerConfig());
    RowRing ring = new RowRing(512, FEATURES, 1);
    OffsetLedger ledger = new OffsetLedger();
    int p = ledger.indexOf(new TopicPartition("ring.train", 0));
    int rows = TrainerVerticle.CHUNK + 44; // one feed takes CHUNK of them
    for (int k = 0; k < rows; k++) {
      int s = ring.slot(k);
      for (int j = 0; j < FEATURES; j++) ring.x[s * FEATURES + j] = (k * 7 + j) % 5 - 2f;
      ring.y[s] = k % 3;
      ring.partition[s] = p;
      ring.gen[s] = ledger.generation.get(p);
      ring.offset[s] = BASE + k;
      ring.timestamp[s] = -1;
      ring.good[s] = true;
    }
    ring.publish(rows);

    CountDownLatch inStep = new CountDownLatch(1), release = new CountDownLatch(1);
    RowFeeder feeder = new RowFeeder(learner, ring, ledger, true, null, nanos -> {
      inStep.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Thread trainer = Thread.ofPlatform().start(() -> feeder.feed(TrainerVerticle.CHUNK, null));
    try {
      assertThat(inStep.await(10, TimeUnit.SECONDS)).as("the trainer is inside its first step").isTrue();
      CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> ring.giveUp(p, ledger.generation));
      Thread.sleep(300);
      assertThat(first.isDone()).as("the give-up waits while the trainer has rows in hand").isFalse();
      release.countDown();
      long firstNotTaken = first.get(10, TimeUnit.SECONDS);
      trainer.join(10_000);
      assertThat(feeder.taken[p]).as("the trainer took one chunk").isEqualTo(BASE + TrainerVerticle.CHUNK);
      assertThat(firstNotTaken).as("the first row the give-up found queued is the end of what was taken")
          .isEqualTo(feeder.taken[p]);
      // The rest carries the old generation: dropped, not trained.
      long trained = learner.examples();
      feeder.feed(TrainerVerticle.CHUNK, null);
      assertThat(ring.size()).isZero();
      assertThat(feeder.rowsDropped).isEqualTo(44);
      assertThat(feeder.taken[p]).isEqualTo(BASE + TrainerVerticle.CHUNK);
      assertThat(learner.examples()).isEqualTo(trained);
      // Nothing queued: nothing to report as the first row not taken.
      assertThat(ring.giveUp(p, ledger.generation)).isEqualTo(-1);
    } finally {
      release.countDown();
      trainer.join(10_000);
    }
  }
}
