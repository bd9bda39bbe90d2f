package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.checkpoint.Checkpoints;
import org.streamlearn.learn.OnlineLearner;

/**
 * The trainer's checkpoint requests against a real {@link CheckpointVerticle} whose worker is held
 * busy, so a write stays in flight for as long as the test likes.
 */
@Timeout(60)
class StateWriterTest {
  static final String POOL = "sl-statewriter-test-checkpoint";

  /**
   * A hand-over (or the last checkpoint of a stop) that finds nothing new since a write still in
   * flight must complete only once that write is durable: the commit that follows reads the offsets
   * it covers, and committing less than the state holds makes the next owner train the tail again
   * (SessionExpiryTest on a loaded machine: a partition handed back with 100 records in both states).
   */
  @Test
  void nothingNewWaitsForTheWriteInFlight(@TempDir Path dir) throws Exception {
    var mc = StreamTestKit.model("""
        models:
          sw:
            topics: [sw.train]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(3)
            batch.size: 2
        """);
    Vertx vertx = Vertx.vertx();
    CountDownLatch release = new CountDownLatch(1), holding = new CountDownLatch(1);
    try {
      OnlineLearner learner = new OnlineLearner(mc.learnerConfig());
      OffsetLedger ledger = new OffsetLedger();
      RowFeeder feeder = new RowFeeder(learner, new RowRing(8, 4, 1), ledger, false, null, nanos -> {});
      StartingState start = new StartingState(-1, Map.of(), false, null, "1", null);
      Checkpoints checkpoints = new Checkpoints(dir.resolve("sw"), "sw", 3);
      CheckpointVerticle cv = new CheckpointVerticle("sw", checkpoints, ledger, null, start, Future.succeededFuture());
      vertx.deployVerticle(cv, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setWorkerPoolName(POOL)
          .setWorkerPoolSize(1)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      // The writer's only thread waits on a latch: writes queue behind it.
      var pool = vertx.createSharedWorkerExecutor(POOL, 1);
      pool.executeBlocking(() -> {
        holding.countDown();
        return release.await(30, TimeUnit.SECONDS);
      }, false);
      assertThat(holding.await(10, TimeUnit.SECONDS)).as("the writer's thread is held").isTrue();

      Context trainer = vertx.getOrCreateContext();
      StateWriter writer = onContext(trainer, () -> new StateWriter("sw", learner, ledger, feeder, cv, p -> -1, null,
          trainer, start, 0));
      // Something new (training paused): a write, held in flight.
      Future<Void> first = onContext(trainer, () -> writer.checkpoint(true, true, () -> {}));
      // Nothing new since: before the fix this completed at once, before the first was durable.
      Future<Void> again = onContext(trainer, () -> writer.checkpoint(true, true, () -> {}));
      Thread.sleep(300);
      assertThat(first.isComplete()).as("the first write is held").isFalse();
      assertThat(again.isComplete()).as("nothing new completes with the write in flight, not before").isFalse();
      assertThat(cv.lastStep).isEqualTo(-1);

      release.countDown();
      again.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(first.succeeded()).isTrue();
      assertThat(cv.lastStep).as("durable when the second completed").isEqualTo(0);
      assertThat(checkpoints.files()).hasSize(1);
      // And with nothing in flight, nothing new completes at once.
      Future<Void> idle = onContext(trainer, () -> writer.checkpoint(true, true, () -> {}));
      assertThat(idle.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isNull();
      assertThat(checkpoints.files()).hasSize(1);
      pool.close();
    } finally {
      release.countDown(); // a failed assertion must not leave the writer's thread held
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static <T> T onContext(Context c, java.util.concurrent.Callable<T> f) throws Exception {
    CompletableFuture<T> r = new CompletableFuture<>();
    c.runOnContext(v -> {
      try {
        r.complete(f.call());
      } catch (Throwable e) {
        r.completeExceptionally(e);
      }
    });
    return r.get(10, TimeUnit.SECONDS);
  }
}
