package org.streamlearn.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for one trainer: the calling thread plus {@code size − 1} daemon workers
 * that live as long as the team. {@link #run} hands the same task to every member, each with its own
 * part number, and returns when all parts are done. Nothing is allocated per run (no executor, no
 * futures): the task is an object the caller keeps and refills, a run is a volatile epoch bump plus
 * unparks, and workers spin briefly before parking so the gaps between the GEMMs of one training
 * step do not pay a futex wake-up each.
 *
 * <p>Not for concurrent use: one caller at a time (a trainer thread). {@link #close} stops the
 * workers; a team that becomes unreachable is closed by whoever owns it (see {@code Workspace}).
 */
public final class Team implements AutoCloseable {
  /** One part of a parallel run: part in [0, parts), parts = {@link #size()}. */
  public interface Task {
    void run(int part, int parts);
  }

  /** Spin iterations (Thread.onSpinWait, well under a millisecond) before a waiting thread parks. */
  private static final int SPINS = 20_000;

  private final int size;
  private final Thread[] workers;
  private final AtomicInteger pending = new AtomicInteger();
  private volatile long epoch;
  private volatile boolean closed;
  private volatile Thread caller;
  private Task task;
  private volatile Throwable failure;

  /** A team of {@code size} threads in all (size ≥ 1; 1 runs every task on the caller alone). */
  public Team(int size, String name) {
    if (size < 1) throw new IllegalArgumentException("team size must be >= 1, got " + size);
    this.size = size;
    workers = new Thread[size - 1];
    for (int i = 0; i < workers.length; i++) {
      int part = i + 1;
      workers[i] = Thread.ofPlatform().daemon().name(name + "-" + part).unstarted(() -> work(part));
      workers[i].start();
    }
  }

  public int size() {
    return size;
  }

  /**
   * Runs task.run(p, size) for every p in [0, size), part 0 on the calling thread, and returns when
   * all are done. A part's exception is rethrown here (the first one), after all parts finished.
   */
  public void run(Task t) {
    if (size == 1) {
      t.run(0, 1);
      return;
    }
    if (closed) { // the same parts, one after the other: the same result without the workers
      for (int p = 0; p < size; p++) t.run(p, size);
      return;
    }
    task = t;
    failure = null;
    caller = Thread.currentThread();
    pending.set(size - 1);
    epoch = epoch + 1; // volatile write: publishes task to the workers
    for (Thread w : workers) LockSupport.unpark(w);
    Throwable mine = null;
    try {
      t.run(0, size);
    } catch (Throwable e) {
      mine = e;
    }
    for (int spin = 0; pending.get() > 0; spin++) {
      if (spin < SPINS) Thread.onSpinWait();
      else LockSupport.park(this);
    }
    task = null;
    Throwable f = mine != null ? mine : failure;
    if (f instanceof RuntimeException r) throw r;
    if (f instanceof Error e) throw e;
    if (f != null) throw new IllegalStateException(f);
  }

  private void work(int part) {
    long seen = 0;
    while (true) {
      int spin = 0;
      while (epoch == seen && !closed) {
        if (spin++ < SPINS) Thread.onSpinWait();
        else LockSupport.park(this);
      }
      if (closed) return;
      seen = epoch;
      try {
        task.run(part, size);
      } catch (Throwable e) {
        if (failure == null) failure = e;
      }
      if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
    }
  }

  /** Stops the workers (they finish a run in progress first); idempotent. */
  @Override
  public void close() {
    closed = true;
    for (Thread w : workers) LockSupport.unpark(w);
  }
}
