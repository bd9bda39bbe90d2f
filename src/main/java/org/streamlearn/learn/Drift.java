package org.streamlearn.learn;

/**
 * A drift detected on a model's prequential loss (see {@link DriftSpec}).
 *
 * @param count drifts detected so far, this one included
 * @param step weights version at which it was detected (the action applies from that batch's step on)
 * @param examples examples trained before the batch in which it was detected
 * @param detector the detector's spec text
 * @param action what was done: none, lr, reset_optimizer
 * @param lossEwma the prequential loss (EWMA) at that moment
 */
public record Drift(long count, long step, long examples, String detector, String action, double lossEwma,
    long timeMillis) {}
