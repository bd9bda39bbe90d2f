package org.streamlearn.stream;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.common.TopicPartition;

/**
 * The offsets of one model's input partitions, one name per notion. Partitions get a dense index
 * in the order they are first seen (the ingest thread hands them out; the index is what a ring
 * slot carries). Per index:
 *
 * <ul>
 *   <li>{@link #fetched}: next offset after the last record put into the ring (ingest thread; -1 none);
 *   <li>{@link #covered}: next offset the model's state covers (by a completed step when alone, by a
 *       durable checkpoint in a group): what may be committed (trainer and checkpoint writer raise it,
 *       ingest reads it; -1 unknown);
 *   <li>{@link #committed}: what the group last accepted from this member (ingest thread; -1 none);
 *   <li>{@link #generation}: bumped when the partition is taken away with rows still queued; the
 *       trainer skips rows of an older generation.
 * </ul>
 */
final class OffsetLedger {
  static final int MAX_PARTITIONS = 4096;

  private final Map<TopicPartition, Integer> index = new HashMap<>();
  private final TopicPartition[] partitions = new TopicPartition[MAX_PARTITIONS];
  /** Written by the ingest thread before any row of the partition is published to the ring. */
  private final String[] names = new String[MAX_PARTITIONS];
  private volatile int count;
  final long[] fetched = new long[MAX_PARTITIONS];
  final long[] committed = new long[MAX_PARTITIONS];
  final AtomicLongArray covered = new AtomicLongArray(MAX_PARTITIONS);
  final AtomicIntegerArray generation = new AtomicIntegerArray(MAX_PARTITIONS);

  OffsetLedger() {
    Arrays.fill(fetched, -1);
    Arrays.fill(committed, -1);
    for (int i = 0; i < MAX_PARTITIONS; i++) covered.set(i, -1);
  }

  /** Ingest thread: the index of a partition, handed out on first sight (then true in {@code isNew}). */
  int indexOf(TopicPartition tp) {
    Integer i = index.get(tp);
    if (i != null) return i;
    int n = index.size();
    if (n == MAX_PARTITIONS) throw new IllegalStateException("more than " + MAX_PARTITIONS + " partitions");
    partitions[n] = tp;
    names[n] = tp.toString();
    index.put(tp, n);
    count = n + 1;
    return n;
  }

  /** Ingest thread: the index of a partition seen before, or null. */
  Integer find(TopicPartition tp) {
    return index.get(tp);
  }

  /** Partitions seen so far (any thread). */
  int size() {
    return count;
  }

  /** "topic-partition" of an index below {@link #size()} (any thread). */
  String name(int i) {
    return names[i];
  }

  TopicPartition partition(int i) {
    return partitions[i];
  }

  /** Raises what the model covers of partition i to at least next. */
  void cover(int i, long next) {
    covered.accumulateAndGet(i, next, Math::max);
  }

  /** {"topic-partition": next offset covered, ...}, for the metadata of a weights version. */
  String coveredJson() {
    StringBuilder sb = new StringBuilder("{");
    for (int p = 0, n = count; p < n; p++) {
      long c = covered.get(p);
      if (c < 0) continue;
      if (sb.length() > 1) sb.append(',');
      sb.append('"').append(names[p]).append("\":").append(c);
    }
    return sb.append('}').toString();
  }
}
