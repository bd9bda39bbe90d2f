package org.streamlearn.learn;

/**
 * One firing of the divergence guard, as reported to listeners (the SSE stream, logs).
 *
 * @param count divergences so far, this one included
 * @param step the weights version (steps taken) when it was detected; the version line does not go
 *     back on a rollback, so the next step is {@code step + 1}
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
    float lrAfter, long rolledBackTo, long timeMillis) {}
