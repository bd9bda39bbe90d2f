package org.streamlearn.stream;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.Drift;
import org.streamlearn.model.Command;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;

/**
 * A {@link ModelRunner}'s side of the event bus ({@link ModelEvents}): publishes every version,
 * divergence and drift (from the trainer's thread: publishing is thread-safe and passes the
 * immutable object by reference), and answers commands on the control address with the status once
 * the trainer applied them, or with a failure code. Temporary, until the model's verticles replace
 * the runner.
 */
final class RunnerBus implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunnerBus.class);

  private final Vertx vertx;
  private final String model;
  private final MessageConsumer<Command> control;
  private volatile boolean closed;

  RunnerBus(Vertx vertx, String model, Function<Command, CompletionStage<Status>> apply) {
    this.vertx = vertx;
    this.model = model;
    ModelEvents.registerCodecs(vertx);
    this.control = vertx.eventBus().consumer(ModelEvents.control(model), m -> control(m, apply));
  }

  private static void control(Message<Command> m, Function<Command, CompletionStage<Status>> apply) {
    CompletionStage<Status> applied;
    try {
      applied = apply.apply(m.body());
    } catch (RuntimeException e) {
      fail(m, e);
      return;
    }
    applied.whenComplete((s, t) -> {
      if (t == null) m.reply(s);
      else fail(m, t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
    });
  }

  private static void fail(Message<Command> m, Throwable t) {
    int code = switch (t) {
      case IllegalArgumentException e -> ModelEvents.INVALID;
      case UnsupportedOperationException e -> ModelEvents.UNSUPPORTED;
      case IllegalStateException e -> ModelEvents.NOT_RUNNING;
      default -> 500;
    };
    m.fail(code, String.valueOf(t.getMessage()));
  }

  void published(Published p) {
    publish(ModelEvents.weights(model), p);
  }

  void divergence(Divergence d) {
    publish(ModelEvents.divergence(model), d);
  }

  void drift(Drift d) {
    publish(ModelEvents.drift(model), d);
  }

  private void publish(String address, Object o) {
    try {
      vertx.eventBus().publish(address, o);
    } catch (RuntimeException e) { // Vert.x closing under a trainer still draining: the bus is not the model
      LOG.debug("model {}: not published on {}: {}", model, address, e.toString());
    }
  }

  /**
   * Unregisters the control consumer (commands then fail with no handlers: "not running"); the
   * versions of the drain still go out. Idempotent.
   */
  @Override public void close() {
    if (closed) return;
    closed = true;
    try {
      control.unregister();
    } catch (RuntimeException e) {
      LOG.debug("model {}: unregistering the control consumer: {}", model, e.toString());
    }
  }
}
