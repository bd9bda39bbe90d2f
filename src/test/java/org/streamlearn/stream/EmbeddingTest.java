package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.streamlearn.stream.StreamTestKit.produce;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.model.Action;
import org.streamlearn.model.Command;
import org.streamlearn.model.Figures;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * What README's "In your own Vert.x application" shows, done by a plain Vert.x application: it loads
 * a configuration naming a broker, deploys {@code new ModelVerticle(cfg, name)} on its own Vert.x
 * instance and receives every version on {@code streamlearn.<m>.weights} (immutable objects by
 * reference, in order, the last one the model's latest), steers the trainer over
 * {@code streamlearn.<m>.control} (lr, pause, resume), and after undeploying hears "not running".
 * Seed 61.
 */
@Timeout(120)
class EmbeddingTest extends BrokerPerClass {
  static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aPlainVertxApplicationDeploysAModelAndHearsItsVersionsOnTheBus() throws Exception {
    String name = "embedded";
    AppConfig cfg = ConfigLoader.parse("""
        kafka:
          bootstrap.servers: %s
        %s""".formatted(bootstrap, ControlEndToEndTest.yaml(name, """
                batch.size: 8
                batch.linger.ms: 60000
                publish.every.steps: 5
                publish.every.ms: 0
                checkpoint.dir: "%s"
            """.formatted(dir.resolve("ckpt").toString().replace("\\", "/")))), "embedding test", Map.of());
    Vertx vertx = Vertx.vertx();
    try {
      ModelEvents.registerCodecs(vertx); // the application listens before the model is deployed
      List<Published> onBus = new CopyOnWriteArrayList<>();
      MessageConsumer<Published> consumer = vertx.eventBus().localConsumer(ModelEvents.weights(name),
          m -> onBus.add(m.body()));
      assertThatThrownBy(() -> ModelEvents.control(vertx, name, Command.of(Action.PAUSE), 5_000).await())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("not running");

      var model = new ModelVerticle(cfg, name);
      String id = vertx.deployVerticle(model).await(60, TimeUnit.SECONDS);
      int n = 400;
      produce(bootstrap, name + ".train", ControlEndToEndTest.lines(new SplittableRandom(61), n, null));
      await().atMost(WAIT).until(() -> model.figures().training().rowsTrained() == n);
      await().atMost(WAIT).until(() -> !onBus.isEmpty() && onBus.getLast().version() == n / 8);
      assertThat(onBus.getLast()).as("the bus carries the model's own object").isSameAs(model.latest());
      assertThat(onBus.stream().map(Published::version).toList()).isSorted().doesNotHaveDuplicates()
          .contains(5L, 10L, (long) n / 8);
      assertThat(onBus.getLast().safetensors()).isNotEmpty();

      Figures f = model.figures();
      assertThat(f.training().rowsTrained()).isEqualTo(n);
      assertThat(f.training().steps()).isEqualTo(n / 8);
      assertThat(f.training().version()).isEqualTo(n / 8);
      assertThat(f.training().trainingPaused()).isFalse();
      assertThat(f.ingest().recordsIn()).isEqualTo(n);
      assertThat(f.ingest().deadLetteredTotal()).isZero();
      assertThat(f.ingest().partitionsOwned()).isEqualTo(1);
      // Lag is measured every second: the owned partition appears, caught up.
      await().atMost(WAIT).until(() -> model.figures().ingest().lagByPartition().getOrDefault(name + ".train-0", -1L) == 0);
      assertThat(model.figures().ingest().lagByPartition()).containsOnlyKeys(name + ".train-0");
      assertThat(f.group().replicated()).isFalse();

      Status lr = ModelEvents.control(vertx, name, new Command(Action.LR, 0.002), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(lr.learningRate()).isCloseTo(0.002, Offset.offset(1e-9));
      Status paused = ModelEvents.control(vertx, name, Command.of(Action.PAUSE), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(paused.trainingPaused()).isTrue();
      assertThat(paused.step()).isEqualTo(n / 8);
      assertThat(model.figures().training().trainingPaused()).isTrue();
      produce(bootstrap, name + ".train", ControlEndToEndTest.lines(new SplittableRandom(62), 16, null));
      await().atMost(WAIT).until(() -> model.figures().ingest().recordsIn() == n + 16);
      assertThat(model.figures().training().rowsTrained()).as("paused: nothing trained").isEqualTo(n);
      Status resumed = ModelEvents.control(vertx, name, Command.of(Action.RESUME), 5_000).await(10, TimeUnit.SECONDS);
      assertThat(resumed.trainingPaused()).isFalse();
      await().atMost(WAIT).until(() -> model.figures().training().rowsTrained() == n + 16);
      assertThatThrownBy(() -> ModelEvents.control(vertx, name, new Command(Action.LR, -1), 5_000).await())
          .as("a refused value").isInstanceOf(IllegalArgumentException.class);

      vertx.undeploy(id).await(60, TimeUnit.SECONDS);
      assertThatThrownBy(() -> ModelEvents.control(vertx, name, Command.of(Action.RESUME), 5_000).await())
          .as("an undeployed model no longer takes commands").isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not running");
      consumer.unregister().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
