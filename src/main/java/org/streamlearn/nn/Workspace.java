package org.streamlearn.nn;

import java.lang.ref.Cleaner;
import org.streamlearn.kernels.ParallelGemm;
import org.streamlearn.kernels.Team;

/**
 * Every activation, gradient and scratch buffer of one model for batches up to {@link #maxBatch()},
 * allocated once by {@link Model#newWorkspace(int)} so forward and backward allocate nothing.
 * Not thread-safe: one workspace per thread. Its GEMM team (threads − 1 parked workers) stops with
 * {@link #close()}, or when the workspace becomes unreachable.
 */
public final class Workspace implements AutoCloseable {
  /** GEMMs on the calling thread alone (a team of one has no state to share). */
  static final ParallelGemm SERIAL = new ParallelGemm(new Team(1, "serial"));

  private static final Cleaner CLEANER = Cleaner.create(Thread.ofPlatform().daemon().name("streamlearn-workspace-cleaner").factory());

  final Model model;
  final int maxBatch;
  final float[][] out;     // out[i]: output of layer i, [maxBatch × out_i]
  final float[][] dOut;    // dOut[i]: gradient w.r.t. out[i] (the last one is the caller's dOut)
  final float[][] scratch; // per-layer scratch
  final float[] dInput;    // [maxBatch × inputSize], written only by backward(..., inputGrad = true)
  final double[] normBlocks; // Σ g² of each NORM_BLOCK floats of the gradient, for Model.backwardSet
  final float[][] kept;      // kept[i]: layer i's deferred batch-1 update (Layer.keep)
  float[] keptFor;           // the parameters a deferred update is pending for, or null
  float keptLr;              // its learning rate
  ParallelGemm gemm; // the GEMMs of forward and backward: teamGemm, or SERIAL while the team is off
  private final ParallelGemm teamGemm;
  private final Cleaner.Cleanable stopTeam;

  Workspace(Model model, int maxBatch, Layer[] layers, int threads) {
    this.model = model;
    this.maxBatch = maxBatch;
    int n = layers.length;
    out = new float[n][];
    dOut = new float[n][];
    scratch = new float[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new float[maxBatch * layers[i].out()];
      dOut[i] = i < n - 1 ? new float[maxBatch * layers[i].out()] : null;
      scratch[i] = new float[layers[i].scratchSize(maxBatch)];
    }
    dInput = new float[maxBatch * layers[0].in()];
    kept = new float[n][];
    for (int i = 0; i < n; i++) kept[i] = new float[layers[i].keptSize()];
    normBlocks = new double[(model.paramCount() + Model.NORM_BLOCK - 1) / Model.NORM_BLOCK];
    if (threads == 1) {
      teamGemm = SERIAL;
      stopTeam = null;
    } else {
      Team team = new Team(threads, "streamlearn-gemm");
      teamGemm = new ParallelGemm(team);
      stopTeam = CLEANER.register(this, team::close); // the action holds the team, never the workspace
    }
    gemm = teamGemm;
  }

  /** Threads of the team, the caller included (what the workspace was made with). */
  public int threads() {
    return teamGemm.team().size();
  }

  /** Threads the next GEMMs run on: {@link #threads()}, or 1 while the team is off. */
  public int activeThreads() {
    return gemm.team().size();
  }

  /**
   * Turns the team on (the default) or off (every product on the caller alone) from the next call
   * on. Never changes a result: the split is bit-identical to the caller alone.
   */
  public void useTeam(boolean on) {
    gemm = on ? teamGemm : SERIAL;
  }

  /** The team the GEMMs split across now (size 1: the caller alone); an optimizer step shares it. */
  public Team team() {
    return gemm.team();
  }

  /** Stops the team's worker threads; the workspace then runs its GEMMs on the caller alone. */
  @Override
  public void close() {
    if (stopTeam != null) stopTeam.clean();
  }

  public int maxBatch() {
    return maxBatch;
  }

  /**
   * Gradient of the loss w.r.t. the model input, {@code [B × inputSize]} at 0, valid after
   * {@link Model#backward(int, float[], float[], float[], int, float[], Workspace, boolean)} with
   * {@code inputGrad = true} (overwritten by each such call).
   */
  public float[] inputGrad() {
    return dInput;
  }
}
