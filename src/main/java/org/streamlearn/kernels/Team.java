package org.streamlearn.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for one trainer: the calling thread plus {@code size − 1} daemon workers
 * that live as long as the team. {@link #run} splits a task into {@code size} numbered parts, which
 * the members claim and run, and returns when all parts are done. Nothing is allocated per run (no executor, no
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

  /**
   * A waiting thread spins this many times (Thread.onSpinWait, a few µs), then yields the core this
   * many times more (a thread of the team, or anyone's, that shares the core runs meanwhile: a spinning
   * helper must not slow the trainer it waits for), then parks.
   */
  private static final int SPINS = 1_000, YIELDS = 200;

  private static void pause(int spin, Object blocker) {
    if (spin < SPINS) Thread.onSpinWait();
    else if (spin < SPINS + YIELDS) Thread.yield();
    else LockSupport.park(blocker);
  }

  private final int size;
  private final Thread[] workers;
  private final AtomicInteger pending = new AtomicInteger(); // parts not finished
  private final AtomicInteger next = new AtomicInteger(Integer.MAX_VALUE); // the next part to claim
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
      workers[i] = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(this::work);
      workers[i].start();
    }
  }

  public int size() {
    return size;
  }

  /**
   * Where part {@code part} of {@code parts} starts when [0, n) is cut into whole units of
   * {@code unit} elements (a GEMM's column panels, an optimizer's vector blocks); n for part ≥ parts,
   * so part p covers [cut(p), cut(p + 1)) and the last part also takes the remainder past the last
   * whole unit.
   */
  public static int cut(int n, int unit, int part, int parts) {
    if (part >= parts) return n;
    return (int) ((long) (n / unit) * part / parts) * unit;
  }

  /**
   * Runs task.run(p, size) for every p in [0, size) and returns when all are done. The caller runs
   * part 0 itself, first, and the workers claim the others (with one worker, as on 2 cores, it runs
   * part 1 whenever it is awake): the same thread then touches the same data run after run (a
   * layer's forward rows, their weight gradient, their optimizer update), which stays in that core's
   * caches instead of crossing to the other core (measured on 2 vCPUs: an Adam
   * sweep over fixed halves 39 µs, over halves that swap cores every run 55 µs, one thread 66 µs).
   * The other parts are claimed, not assigned: once done with part 0 the caller claims what is left,
   * so a worker the OS has not scheduled yet (a loaded machine) costs no waiting, its part simply
   * runs on the caller. Which thread runs a part never changes what the part computes. A part's
   * exception is rethrown here (the first one), after all parts finished.
   */
  public void run(Task t) {
    if (size == 1 || closed) { // closed: the same parts, one after the other, on the caller
      for (int p = 0; p < size; p++) t.run(p, size);
      return;
    }
    task = t;
    failure = null;
    caller = Thread.currentThread();
    pending.set(size);
    next.set(1);       // from here workers may claim parts 1.. (task and pending are set before)
    epoch = epoch + 1; // wakes spinning workers; parked ones are unparked
    for (Thread w : workers) LockSupport.unpark(w);
    runPart(0);
    claimParts();
    for (int spin = 0; pending.get() > 0; spin++) pause(spin, this);
    task = null;
    Throwable f = failure;
    if (f instanceof RuntimeException r) throw r;
    if (f instanceof Error e) throw e;
    if (f != null) throw new IllegalStateException(f);
  }

  /** Runs unclaimed parts of the current run until none is left. */
  private void claimParts() {
    for (int p; (p = next.getAndIncrement()) < size; ) runPart(p);
  }

  private void runPart(int p) {
    try {
      task.run(p, size);
    } catch (Throwable e) {
      if (failure == null) failure = e;
    }
    if (pending.decrementAndGet() == 0 && Thread.currentThread() != caller) LockSupport.unpark(caller);
  }

  private void work() {
    long seen = 0;
    while (true) {
      int spin = 0;
      while (epoch == seen && !closed) pause(spin++, this);
      if (closed) return;
      seen = epoch;
      claimParts();
    }
  }

  /** Stops the workers (they finish a run in progress first); idempotent. */
  @Override
  public void close() {
    closed = true;
    for (Thread w : workers) LockSupport.unpark(w);
  }
}
