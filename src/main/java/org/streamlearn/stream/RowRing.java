package org.streamlearn.stream;

import java.util.concurrent.atomic.AtomicLong;

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
 * expired), and the reader skips the slots of older generations instead of training them.
 */
final class RowRing {
  final int capacity, I, T;
  final float[] x; // [capacity × I]
  final float[] y; // [capacity × T]
  final int[] partition, gen;
  final long[] offset, timestamp, polledNanos;
  final boolean[] good;
  private final AtomicLong head = new AtomicLong(), tail = new AtomicLong();

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
}
