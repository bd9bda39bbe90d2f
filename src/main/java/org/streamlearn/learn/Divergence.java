package org.streamlearn.learn;

/**
 * One firing of the divergence guard, as reported to listeners (the SSE stream, logs).
 *
 * @param count divergences so far, this one included
 * @param step the weights version (steps taken) when it was detected; the version line does not go
 *     back on a rollback: the rolled-back state is version {@link #versionAfter()}
 * @param cause {@code loss} (non-finite loss: a batch of bad records or an overflowing model),
 *     {@code gradient} (finite loss, non-finite gradient norm) or {@code parameters} (an update left a
 *     non-finite weight, found before a backup or a snapshot)
 * @param loss mean loss of the offending batch (NaN or infinite for cause {@code loss}), NaN when
 *     the cause is {@code parameters}
 * @param gradNorm global gradient norm of the offending step, NaN when not computed (cause {@code loss})
 * @param lrBefore learning rate the offending step used
 * @param lrAfter learning rate of the next step (lowered by {@code divergence.lr.factor})
 * @param rolledBackTo weights version whose parameters and optimizer state were restored
 * @param timeMillis wall-clock time of the event
 */
public record Divergence(long count, long step, String cause, float loss, float gradNorm, float lrBefore,
    float lrAfter, long rolledBackTo, long timeMillis) {

  /**
   * The version of the rolled-back state: {@code step + 1} when a batch's loss or gradient was not
   * finite (the failed batch takes a version, so no version names two sets of weights), {@code step}
   * for cause {@code parameters} (the overflowed weights of that version were never seen). The
   * steps after {@code rolledBackTo} up to this version are discarded; the next step is this + 1.
   */
  public long versionAfter() {
    return cause.equals("parameters") ? step : step + 1;
  }
}
