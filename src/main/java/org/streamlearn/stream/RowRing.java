package org.streamlearn.stream;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded hand-off between a model's consumer thread (the only writer of rows) and its trainer
 * thread (the only reader): a preallocated ring of {@code capacity} decoded rows, so the memory of
 * the queue is fixed by {@code queue.max.records} and nothing is allocated per record.
 *
 * <p>Each slot holds one record: features {@code x[slot·I ..]} [I], label {@code y[slot·T ..]} [T],
 * its partition index and offset, its Kafka timestamp, the time it was polled, and whether it
 * decoded (a rejected record keeps its slot as a marker, so its offset is committed in order, only
 * after every earlier record of its partition has been trained on). The writer fills slot
 * {@code tail} and then advances {@code tail}; the reader processes {@code [head, tail)} and then
 * advances {@code head}: the volatile writes of the two counters order the plain array accesses.
 *
 * <p>Each slot also holds the generation of its partition when it was written: the writer bumps a
 * partition's generation when the group takes the partition away without a hand-over (its session
 * expired), and the reader skips the slots of older generations instead of training them. The
 * reader checks a slot's generation and takes the row in one step with respect to such a bump: it
 * holds {@link #taking} while it takes rows, and {@link #giveUp} holds it too, so the rows a bump
 * finds still queued are exactly those the reader will skip. (Without it a reader that had checked
 * rows before the bump, and not yet released them, trained rows the writer counted as dropped; the
 * replica, given the partition back, read them again from its older commit: ScaleOutTest in CI, a
 * survivor's offsets 30–199 of one partition twice in its own state.)
 */
final class RowRing {
  final int capacity, I, T;
  final float[] x; // [capacity × I]
  final float[] y; // [capacity × T]
  final int[] partition, gen;
  final long[] offset, timestamp, polledNanos;
  final boolean[] good;
  private final AtomicLong head = new AtomicLong(), tail = new AtomicLong();
  /** Held by the reader while it checks generations and takes rows, and by {@link #giveUp}. */
  final ReentrantLock taking = new ReentrantLock();

  RowRing(int capacity, int I, int T) {
    this.capacity = capacity;
    this.I = I;
    this.T = T;
    x = new float[capacity * I];
    y = new float[capacity * T];
    partition = new int[capacity];
    gen = new int[capacity];
    offset = new long[capacity];
    timestamp = new long[capacity];
    polledNanos = new long[capacity];
    good = new boolean[capacity];
  }

  int slot(long seq) {
    return (int) (seq % capacity);
  }

  /** Rows waiting for the trainer (at most capacity). */
  int size() {
    return (int) (tail.get() - head.get());
  }

  long head() {
    return head.get();
  }

  long tail() {
    return tail.get();
  }

  /** Writer: makes slots up to {@code newTail} visible to the reader. */
  void publish(long newTail) {
    tail.set(newTail);
  }

  /** Reader: frees slots up to {@code newHead} for the writer. */
  void release(long newHead) {
    head.set(newHead);
  }

  /**
   * Writer: partition {@code p} is no longer this replica's to train. Bumps its generation (after
   * the reader's rows in hand, if it is taking: waits for it), so the reader takes none of its rows
   * still queued, and returns the smallest offset among those, i.e. the end of what the reader took,
   * or -1 when none is queued.
   */
  long giveUp(int p, AtomicIntegerArray generation) {
    taking.lock();
    try {
      generation.incrementAndGet(p);
      long first = -1;
      for (long seq = head(), t = tail(); seq < t; seq++) {
        int s = slot(seq);
        if (partition[s] == p && (first < 0 || offset[s] < first)) first = offset[s];
      }
      return first;
    } finally {
      taking.unlock();
    }
  }
}
