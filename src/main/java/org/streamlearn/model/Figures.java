package org.streamlearn.model;

/**
 * The figures of one model at one moment, as the meters, the status and the progress line read
 * them: the trainer's (per step), the ingest loop's (per poll), the checkpoints', the publisher's
 * and the group's. Each part is immutable and replaced as a whole by the one thread that owns it.
 *
 * @param checkpointLastStep step of the newest durable checkpoint, -1 none
 * @param checkpointFailures checkpoint writes that failed
 * @param publishFailures weights versions the broker refused
 */
public record Figures(TrainingFigures training, IngestFigures ingest, GroupFigures group, long checkpointLastStep,
    long checkpointFailures, long publishFailures) {

  /** Seconds since the consumer last had an answer from the broker, as of now. */
  public double brokerSilenceSeconds() {
    return (System.currentTimeMillis() - ingest.lastBrokerContactMillis()) / 1000.0;
  }

  /** This replica's examples/s plus the live others' as they last reported. */
  public double groupExamplesPerSecond() {
    return training.examplesPerSecond() + group.othersExamplesPerSecond();
  }
}
