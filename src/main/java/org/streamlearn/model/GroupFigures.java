package org.streamlearn.model;

/**
 * Scale-out figures of one replica (alone: {@link #ALONE}).
 *
 * @param replicated whether the model exchanges parameters with other replicas
 * @param replicasInAverage replicas (this one included) in the last average; 1 alone
 * @param liveOthers other replicas heard from within sync.stale.ms
 * @param divergence ‖θ − θ_avg‖ at the last exchange that folded something in; NaN none
 * @param relativeDivergence ‖θ − θ_avg‖ / ‖θ_avg‖ at that exchange; NaN none
 * @param othersExamplesPerSecond the live others' training rates as they last reported
 */
public record GroupFigures(boolean replicated, int replicasInAverage, int liveOthers, double divergence,
    double relativeDivergence, double othersExamplesPerSecond) {
  public static final GroupFigures ALONE = new GroupFigures(false, 1, 0, Double.NaN, Double.NaN, 0);
}
