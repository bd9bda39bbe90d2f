package org.streamlearn.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A control reply's failure code becomes the exception the HTTP API maps to its status: 400 refused
 * value, 500 failed to apply, 501 unsupported, 503 not running (no consumer, or another code), and a
 * trainer that does not answer in time a timeout. The codecs pass objects by reference and refuse
 * the wire.
 */
class ModelEventsTest {
  Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void failureCodesBecomeTheirExceptions() throws Exception {
    assertThatThrownBy(() -> ModelEvents.control(vertx, "m", Command.of(Action.PAUSE), 2_000).await())
        .isInstanceOf(IllegalStateException.class).hasMessage("model m is not running");
    int[] code = {0};
    vertx.eventBus().<Command>localConsumer(ModelEvents.control("m"), msg -> {
      if (code[0] == 0) return; // never answers
      msg.fail(code[0], "code " + code[0]);
    }).completion().await(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> ModelEvents.control(vertx, "m", Command.of(Action.PAUSE), 200).await())
        .isInstanceOf(TimeoutException.class).hasMessageContaining("did not answer in time");
    Object[][] cases = {{ModelEvents.INVALID, IllegalArgumentException.class},
        {ModelEvents.FAILED, ModelEvents.ControlFailedException.class},
        {ModelEvents.UNSUPPORTED, UnsupportedOperationException.class},
        {ModelEvents.NOT_RUNNING, IllegalStateException.class}, {418, IllegalStateException.class}};
    for (Object[] c : cases) {
      code[0] = (int) c[0];
      assertThatThrownBy(() -> ModelEvents.control(vertx, "m", Command.of(Action.RESUME), 2_000).await())
          .as("code %s", c[0]).isExactlyInstanceOf((Class<?>) c[1]).hasMessage("code " + c[0]);
    }
  }

  @Test
  void objectsTravelByReference() throws Exception {
    ModelEvents.registerCodecs(vertx);
    ModelEvents.registerCodecs(vertx); // once per instance, however often asked
    Command sent = new Command(Action.LR, 0.01);
    var got = new java.util.concurrent.CompletableFuture<Command>();
    vertx.eventBus().<Command>localConsumer("x", m -> got.complete(m.body())).completion().await(5, TimeUnit.SECONDS);
    vertx.eventBus().send("x", sent);
    assertThat(got.get(5, TimeUnit.SECONDS)).isSameAs(sent);
  }
}
