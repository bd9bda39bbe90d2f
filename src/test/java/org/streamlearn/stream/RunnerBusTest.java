package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.model;
import static org.streamlearn.stream.StreamTestKit.produce;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;
import org.streamlearn.model.Figures;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * A {@link ModelRunner} given a Vert.x instance speaks the contract's event bus: every version it
 * publishes arrives on {@code streamlearn.<m>.weights} (the same objects, in the same order, as its
 * own listeners see), commands on {@code streamlearn.<m>.control} are applied by the trainer and
 * answered with the status, and a runner that is not running answers "not running" (503). Its
 * figures() agree with what it trained. Seed 61.
 */
@Timeout(120)
class RunnerBusTest extends BrokerPerClass {
  static final Duration WAIT = Duration.ofSeconds(60);
  static Vertx vertx;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception { // before the broker stops (the superclass's @AfterAll runs last)
    if (vertx != null) vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void versionsGoOutOnTheBusAndCommandsComeInFromIt() throws Exception {
    String name = "bus";
    var mc = model(ControlEndToEndTest.yaml(name, """
                batch.size: 8
                batch.linger.ms: 60000
                publish.every.steps: 5
                publish.every.ms: 0
            """));
    List<Published> heard = new CopyOnWriteArrayList<>(), onBus = new CopyOnWriteArrayList<>();
    ModelEvents.registerCodecs(vertx);
    MessageConsumer<Published> consumer = vertx.eventBus().localConsumer(ModelEvents.weights(name),
        m -> onBus.add(m.body()));
    var runner = new ModelRunner(mc, KafkaClients.of(bootstrap), 10_000, vertx);
    try {
      runner.onPublish(heard::add);
      assertThatThrownBy(() -> ModelEvents.control(vertx, name, Command.of(Action.PAUSE), 5_000).await())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("not running");

      runner.start();
      int n = 400;
      produce(bootstrap, name + ".train", ControlEndToEndTest.lines(new SplittableRandom(61), n, null));
      await().atMost(WAIT).until(() -> runner.rowsTrained() == n);
      assertThat(runner.steps()).isEqualTo(n / 8);
      await().atMost(WAIT).until(() -> !heard.isEmpty() && heard.getLast().version() == n / 8);
      await().atMost(WAIT).until(() -> onBus.size() == heard.size());
      assertThat(onBus).as("the bus carries the listeners' objects, by reference and in order")
          .containsExactlyElementsOf(heard);
      assertThat(onBus.stream().map(Published::version).toList()).isSorted().doesNotHaveDuplicates()
          .contains(5L, 10L, (long) n / 8);

      Figures f = runner.figures();
      assertThat(f.training().rowsTrained()).isEqualTo(n);
      assertThat(f.training().steps()).isEqualTo(n / 8);
      assertThat(f.training().version()).isEqualTo(n / 8);
      assertThat(f.training().trainingPaused()).isFalse();
      assertThat(f.ingest().recordsIn()).isEqualTo(n);
      assertThat(f.ingest().deadLetteredTotal()).isZero();
      assertThat(f.ingest().partitionsOwned()).isEqualTo(1);
      // Lag is measured every second: the owned partition appears, caught up.
      await().atMost(WAIT).until(() -> runner.figures().ingest().lagByPartition().getOrDefault(name + ".train-0", -1L) == 0);
      assertThat(runner.figures().ingest().lagByPartition()).containsOnlyKeys(name + ".train-0");
      assertThat(f.group().replicated()).isFalse();

      Status lr = ModelEvents.control(vertx, name, new Command(Action.LR, 0.002), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(lr.learningRate()).isCloseTo(0.002, org.assertj.core.data.Offset.offset(1e-9));
      Status paused = ModelEvents.control(vertx, name, Command.of(Action.PAUSE), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(paused.trainingPaused()).isTrue();
      assertThat(paused.step()).isEqualTo(n / 8);
      assertThat(runner.figures().training().trainingPaused()).isTrue();
      Status resumed = ModelEvents.control(vertx, name, Command.of(Action.RESUME), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(resumed.trainingPaused()).isFalse();
    } finally {
      runner.close();
      consumer.unregister().await(10, TimeUnit.SECONDS);
    }
    assertThatThrownBy(() -> ModelEvents.control(vertx, name, Command.of(Action.RESUME), 5_000).await())
        .as("a closed runner no longer takes commands").isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not running");
  }
}
