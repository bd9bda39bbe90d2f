package org.streamlearn.model;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.streamlearn.learn.Divergence;
import org.streamlearn.learn.Drift;

/**
 * The event-bus addresses of a model and what travels on them. Records never do: only control
 * (request/reply), every published version, and divergence and drift events. All of it is local
 * to the Vert.x instance: the codecs pass the immutable objects by reference and refuse the wire.
 *
 * <ul>
 *   <li>{@link #control}: a {@link Command}; the reply is the {@link Status} once the trainer applied
 *       it, or a failure with {@link #INVALID} (the value was refused), {@link #NOT_RUNNING},
 *       {@link #UNSUPPORTED} or {@link #FAILED} (applying it threw).
 *   <li>{@link #weights}: every {@link Published} version, published (to every consumer).
 *   <li>{@link #divergence}: a {@link Divergence} per firing of the divergence guard.
 *   <li>{@link #drift}: a {@link Drift} per drift detected on the prequential loss.
 * </ul>
 */
public final class ModelEvents {
  /** Failure codes of a control reply, as HTTP status codes. */
  public static final int INVALID = 400, FAILED = 500, UNSUPPORTED = 501, NOT_RUNNING = 503;

  private static final Map<Vertx, Boolean> REGISTERED = Collections.synchronizedMap(new WeakHashMap<>());

  private ModelEvents() {}

  public static String control(String model) {
    return "streamlearn." + model + ".control";
  }

  public static String weights(String model) {
    return "streamlearn." + model + ".weights";
  }

  public static String divergence(String model) {
    return "streamlearn." + model + ".divergence";
  }

  public static String drift(String model) {
    return "streamlearn." + model + ".drift";
  }

  /** Registers the local codecs of the contract's types on this Vert.x instance, once. */
  public static void registerCodecs(Vertx vertx) {
    synchronized (REGISTERED) {
      if (REGISTERED.containsKey(vertx)) return;
      EventBus bus = vertx.eventBus();
      for (Class<?> c : new Class<?>[] {Command.class, Status.class, Published.class, Divergence.class, Drift.class}) {
        try {
          register(bus, c);
        } catch (IllegalStateException alreadyRegistered) { // by another copy of this class (a second class loader)
        }
      }
      REGISTERED.put(vertx, true);
    }
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    bus.registerDefaultCodec(type, new Local<>(type));
  }

  /**
   * Sends a command to the model's trainer; the future completes with the status once it applied
   * it. A refused value fails with IllegalArgumentException, a model that is not running (or not
   * answering within timeoutMs) with IllegalStateException, one that cannot be controlled with
   * UnsupportedOperationException, and a command the trainer failed to apply with
   * {@link ControlFailedException}.
   */
  public static Future<Status> control(Vertx vertx, String model, Command command, long timeoutMs) {
    registerCodecs(vertx);
    return vertx.eventBus().<Status>request(control(model), command, new DeliveryOptions().setSendTimeout(timeoutMs))
        .map(m -> m.body())
        .recover(t -> Future.failedFuture(asException(model, t)));
  }

  private static Throwable asException(String model, Throwable t) {
    if (!(t instanceof ReplyException r)) return t;
    return switch (r.failureType()) {
      case TIMEOUT -> new java.util.concurrent.TimeoutException("the trainer of model " + model
          + " did not answer in time: " + r.getMessage());
      case NO_HANDLERS -> new IllegalStateException("model " + model + " is not running");
      default -> switch (r.failureCode()) {
        case INVALID -> new IllegalArgumentException(r.getMessage());
        case UNSUPPORTED -> new UnsupportedOperationException(r.getMessage());
        case FAILED -> new ControlFailedException(r.getMessage());
        default -> new IllegalStateException(r.getMessage());
      };
    };
  }

  /** A command the trainer took but failed to apply (a bug, not a refused value): HTTP 500. */
  public static final class ControlFailedException extends RuntimeException {
    public ControlFailedException(String message) {
      super(message);
    }
  }

  /** Passes an immutable object by reference inside one Vert.x instance; never on the wire. */
  private record Local<T>(Class<T> type) implements MessageCodec<T, T> {
    @Override public void encodeToWire(Buffer buffer, T t) {
      throw new UnsupportedOperationException(type.getSimpleName() + " travels on the local event bus only");
    }

    @Override public T decodeFromWire(int pos, Buffer buffer) {
      throw new UnsupportedOperationException(type.getSimpleName() + " travels on the local event bus only");
    }

    @Override public T transform(T t) {
      return t;
    }

    @Override public String name() {
      return "streamlearn-local-" + type.getName();
    }

    @Override public byte systemCodecID() {
      return -1;
    }
  }
}
