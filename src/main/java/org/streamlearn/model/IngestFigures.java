package org.streamlearn.model;

import java.util.Map;
import org.streamlearn.codec.DecodeResult;

/**
 * What the ingest loop knows after a poll: one immutable record, replaced as a whole.
 *
 * @param recordsIn records consumed (decoded or dead-lettered)
 * @param deadLettered records dead-lettered, indexed by {@link DecodeResult.Reason#ordinal()}
 * @param deadLettersPending dead letters handed to the producer and not yet acknowledged
 * @param deadLettersGivenUp dead letters given up after an error no retry mends
 * @param pauses times fetching paused for backpressure
 * @param paused fetching paused by backpressure now
 * @param queueDepth decoded rows waiting for the trainer
 * @param queueCapacity queue.max.records
 * @param maxQueueDepth deepest the queue has been
 * @param lag records behind the end of the owned partitions (sum), -1 unknown
 * @param lagByPartition records behind the end per owned partition ("topic-partition")
 * @param partitionsOwned input partitions this instance owns
 * @param partitionsRevoked input partitions rebalances took from this instance
 * @param lastBrokerContactMillis wall-clock time of the last answer from the broker
 * @param brokerConnected whether the consumer holds an open broker connection
 * @param publisher whether this instance writes the weights topic: alone always, in a group while it
 *     owns the lead partition (partition 0 of the first topic); in the same snapshot as
 *     partitionsOwned, so the two never disagree
 */
public record IngestFigures(long recordsIn, long[] deadLettered, long deadLettersPending, long deadLettersGivenUp,
    long pauses, boolean paused, int queueDepth, int queueCapacity, int maxQueueDepth, long lag,
    Map<String, Long> lagByPartition, int partitionsOwned, long partitionsRevoked, long lastBrokerContactMillis,
    boolean brokerConnected, boolean publisher) {
  public IngestFigures {
    deadLettered = deadLettered.clone();
    lagByPartition = Map.copyOf(lagByPartition);
  }

  public static IngestFigures none(int queueCapacity, boolean publisher) {
    return new IngestFigures(0, new long[DecodeResult.Reason.values().length], 0, 0, 0, false, 0, queueCapacity, 0,
        -1, Map.of(), 0, 0, System.currentTimeMillis(), true, publisher);
  }

  public long deadLettered(DecodeResult.Reason r) {
    return deadLettered[r.ordinal()];
  }

  public long deadLetteredTotal() {
    long s = 0;
    for (long v : deadLettered) s += v;
    return s;
  }

  /** Records behind the end of one owned partition, 0 when not owned. */
  public long lag(String topicPartition) {
    return lagByPartition.getOrDefault(topicPartition, 0L);
  }
}
