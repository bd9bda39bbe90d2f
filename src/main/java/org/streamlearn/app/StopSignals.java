package org.streamlearn.app;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT (Ctrl-C) as a request for a clean stop that ends with exit status 0.
 *
 * <p>The JVM's own handling of these signals runs the shutdown hooks and then exits with 128 + the
 * signal (143, 130), which {@code mvn exec:exec}, systemd and scripts report as a failure although
 * the stop was orderly. So the service handles them itself: the first one starts the stop on a
 * thread of its own, {@code run} returns 0 once the service has stopped, and {@code main} exits
 * with it. A second signal while stopping halts at once with 128 + signal, for someone who will not
 * wait. With {@code -Xrs}, or for a signal the parent process made the JVM ignore ({@code nohup}),
 * the JVM's defaults stay in force; the shutdown hook still stops the service then.
 */
final class StopSignals {
  private static final Logger log = LoggerFactory.getLogger(StopSignals.class);
  static final List<String> NAMES = List.of("TERM", "INT");

  private StopSignals() {}

  /** Routes SIGTERM and SIGINT to {@code stop}; returns the signals that are now handled. */
  static List<String> install(Runnable stop) {
    AtomicBoolean stopping = new AtomicBoolean();
    List<String> handled = new ArrayList<>();
    for (String name : NAMES) {
      try {
        Signal.handle(new Signal(name), sig -> {
          if (stopping.compareAndSet(false, true)) {
            log.info("SIG{} received: stopping", sig.getName());
            Thread.ofPlatform().name("sl-stop-on-signal").start(stop);
          } else {
            log.warn("SIG{} again while stopping: halting now, without waiting for the stop to finish", sig.getName());
            Runtime.getRuntime().halt(128 + sig.getNumber());
          }
        });
        handled.add(name);
      } catch (IllegalArgumentException e) { // -Xrs, or the signal is taken on this platform
        log.info("SIG{} keeps the JVM's default handling (shutdown hook, exit status 128 + signal): {}", name, e.getMessage());
      }
    }
    return handled;
  }
}
