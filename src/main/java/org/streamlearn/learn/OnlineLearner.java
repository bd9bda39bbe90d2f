package org.streamlearn.learn;

import java.util.Arrays;
import org.streamlearn.kernels.Kernels;
import org.streamlearn.kernels.ParallelGemm;
import org.streamlearn.nn.Loss;
import org.streamlearn.nn.Model;
import org.streamlearn.nn.Workspace;
import org.streamlearn.optim.ClipSpec;
import org.streamlearn.optim.GradClip;
import org.streamlearn.optim.Optimizer;
import org.streamlearn.optim.Schedule;

/**
 * Trains one model online: examples arrive one at a time or in blocks, are gathered into
 * mini-batches of the configured size, and each full batch is first scored by the current model
 * (test-then-train, so the prequential metrics are honest) and then trained on in one optimizer
 * step.
 *
 * <p>Divergence guard: a non-finite loss or gradient norm means the step is not taken; parameters
 * and optimizer state roll back to the newest good copy (taken every {@code backupEvery} steps),
 * the learning rate is multiplied by {@code divergenceLrFactor}, and the event is counted
 * ({@link #lastDivergence()}). A non-finite gradient never reaches the parameters, since the norm
 * is checked before the update; an update that overflows finite weights to infinity is caught
 * before the next backup or snapshot, whichever comes first, so neither ever holds a non-finite
 * weight.
 *
 * <p>Versions: {@link #step()} (the weights version) never goes back, and a version number names one
 * set of weights. A rollback or a {@link #reset()} rewinds the optimizer's own step count (its bias
 * corrections and the schedule's position go with the restored state), and the steps it discarded
 * are kept in an origin, so the next step still gets the next version. A batch whose loss or
 * gradient is not finite takes a version number although no update is made: the rolled-back state
 * is that version (the one before it may have been published or checkpointed with the weights that
 * were discarded). A rollback for cause {@code parameters} keeps the version at which the overflow
 * was found, since the overflowed weights were never seen outside the learner. Examples discarded
 * by rollbacks (those of the steps after the good copy and of a batch that failed) are counted:
 * {@link #rolledBackExamples()}.
 *
 * <p>After construction the training path allocates nothing: batch, gradient and workspace
 * buffers are sized once for the batch size. Single-threaded: call from one thread (the trainer's);
 * other threads get {@link Snapshot}s.
 */
public final class OnlineLearner {
  private final LearnerConfig cfg;
  private final Model model;
  private final Loss loss;
  private final Optimizer opt;
  private final Schedule schedule;
  private final ClipSpec clip;
  private final int I, O, T, B;
  private final boolean classification, crossEntropy;

  private final float[] params, grads;
  private final Workspace ws;
  private final ThreadTuner tuner; // null: the team size is fixed
  private final int[][] sweepRanges; // each thread's share of the optimizer sweep (Model.sweepRanges), or null
  private final float[] xBatch; // [B × I]
  private final float[] yBatch; // [B × T]
  private final float[] dOut; // [B × O]
  private final float[] perExample; // [B]
  private int pending;

  // Divergence guard: last good state.
  private final float[] goodParams;
  private final float[][] goodState;
  private long goodT;
  private long goodVersion; // step() when the good copy was taken
  private long goodExamples; // examples when the good copy was taken (or the last rollback)
  private long rolledBackExamples;
  private float lrFactor = 1f;
  private long divergences;
  private long lastDivergenceStep = -1;
  private Divergence lastDivergence;
  /** Optimizer steps discarded by rollbacks and resets: step() = stepOrigin + opt.t(). */
  private long stepOrigin;

  /**
   * Plain SGD (no L2, no clipping) with batches of at most {@value #DIRECT_SGD_MAX_BATCH} on a
   * dense model: updates go straight from activations to parameters (Model.directSgdStep), with
   * the same result and the same guard as the general path but one pass over the weights.
   */
  private final boolean directSgd;

  static final int DIRECT_SGD_MAX_BATCH = 32;

  /**
   * Direct SGD at batch 1 without plasticity (which edits the weights after each step): each step's
   * update is left pending and applied by the next forward in the same pass over the weights
   * (Model.directSgdStepDeferred), or before anything reads the parameters: backups, snapshots,
   * exported states, {@link #liveParams()}. The same bits as applying it at once.
   */
  private final boolean deferSgd;

  private final PrequentialMetrics metrics;
  /** Running statistics of the inputs and (regression) targets; null when not standardized. */
  private final Standardizer inputScaler, labelScaler;
  /** Drift detection on each example's prequential loss; null when off. */
  private final DriftDetector drift;
  private final DriftSpec driftSpec;
  private long drifts, lastDriftStep = -1, lastDriftExamples = -1, boostSteps;
  private boolean driftInBatch;
  /** Continual backprop or shrink-and-perturb; null when off. */
  private final Plasticity plasticity;
  private long examples;
  private float lastGradNorm = Float.NaN, lastLoss = Float.NaN;

  /** A learner whose steps run on the calling thread alone. */
  public OnlineLearner(LearnerConfig cfg) {
    this(cfg, 1);
  }

  /**
   * A learner whose steps split their GEMMs across {@code threads} threads (the caller and
   * threads − 1 parked workers of its own; see {@link Model#newWorkspace(int, int)}). The results are
   * bit-identical for every thread count, so the thread count is not part of the learner's state:
   * a checkpoint resumes exactly under another count.
   */
  public OnlineLearner(LearnerConfig cfg, int threads) {
    this(cfg, threads, false);
  }

  /**
   * As {@link #OnlineLearner(LearnerConfig, int)}; with {@code tuneThreads} the learner times its
   * steps and runs them on the team only while that is measured faster than on the caller alone
   * ({@link ThreadTuner}; {@code train.threads = auto}). Results are the same bits either way.
   */
  public OnlineLearner(LearnerConfig cfg, int threads, boolean tuneThreads) {
    this.cfg = cfg;
    this.model = Model.of(cfg.spec());
    this.loss = Loss.of(cfg.loss());
    this.I = model.inputSize();
    this.O = model.outputSize();
    this.T = loss.targetSize(O);
    this.B = cfg.batchSize();
    this.classification = loss.classification();
    this.crossEntropy = loss.name().equals("cross_entropy");
    this.opt = Optimizer.create(cfg.optimizer(), model.paramCount());
    this.schedule = Schedule.parse(cfg.schedule(), cfg.optimizer().lr());
    this.clip = cfg.clip();
    int n = model.paramCount();
    params = new float[n];
    grads = new float[n];
    model.init(params, cfg.seed());
    // Under auto, a model too small for anything to split gets no team (and no helper threads).
    if (tuneThreads && !splits(model, B, threads)) threads = 1;
    ws = model.newWorkspace(B, threads);
    sweepRanges = threads > 1 ? model.sweepRanges(threads, Optimizer.CUT) : null;
    tuner = tuneThreads && threads > 1 ? new ThreadTuner() : null;
    if (tuner != null) ws.useTeam(tuner.useTeam());
    xBatch = new float[B * I];
    yBatch = new float[B * T];
    dOut = new float[B * O];
    perExample = new float[B];
    goodParams = params.clone();
    float[][] st = opt.stateBuffers();
    goodState = new float[st.length][];
    for (int i = 0; i < st.length; i++) goodState[i] = st[i].clone();
    goodT = opt.t();
    metrics = new PrequentialMetrics(classification, cfg.metricsWindow(), cfg.ewmaHalfLife());
    Adaptation ad = cfg.adaptation();
    inputScaler = ad.inputStandard() ? new Standardizer(I, ad.halfLife()) : null;
    if (ad.labelStandard() && classification)
      throw new IllegalArgumentException("label standardization is for regression, not for " + loss.name());
    labelScaler = ad.labelStandard() ? new Standardizer(T, ad.halfLife()) : null;
    driftSpec = ad.drift();
    drift = DriftSpec.newDetector(driftSpec.detector());
    plasticity = ad.plasticity().kind() == PlasticitySpec.Kind.NONE ? null
        : new Plasticity(ad.plasticity(), model, cfg.seed());
    directSgd = cfg.optimizer().name().equals("sgd") && cfg.optimizer().l2() == 0f
        && clip.kind() == ClipSpec.Kind.NONE && B <= DIRECT_SGD_MAX_BATCH && model.supportsDirectSgd()
        && !Boolean.getBoolean("streamlearn.directSgd.off");
    deferSgd = directSgd && B == 1 && plasticity == null && !Boolean.getBoolean("streamlearn.deferSgd.off");
  }

  /**
   * Whether a step at batch B gives a team of {@code threads} anything to split: the largest layer's
   * products (about B × its parameters multiply-adds) or the optimizer sweep past the sizes below
   * which they stay on the caller. If neither, the step runs the same on one thread.
   */
  static boolean splits(Model model, int B, int threads) {
    return threads > 1 && ((long) model.paramCount() >= (long) Optimizer.MIN_PER_THREAD * threads
        || (long) model.largestLayerParams() * B >= ParallelGemm.MIN_FMAS_PER_THREAD * threads);
  }

  /** Threads a step may run on (the caller included). */
  public int threads() { return ws.threads(); }

  /** Threads the next step runs on: {@link #threads()}, or 1 while auto measures the team slower. */
  public int activeThreads() { return ws.activeThreads(); }

  /**
   * Threads the last auto probe chose ({@link #threads()} or 1; between probes, what steps run on);
   * {@link #threads()} with fixed threads or before the first probe.
   */
  public int chosenThreads() { return tuner == null || tuner.chosenTeam() ? ws.threads() : 1; }

  /** True when the learner chooses between its team and the caller alone by measurement. */
  public boolean tunesThreads() { return tuner != null; }

  /**
   * Under auto threads: the team's time per example over the caller alone's in the last probe (below
   * {@link ThreadTuner#MARGIN}: the team is used); NaN before the first probe or with fixed threads.
   */
  public double teamTimeRatio() { return tuner == null ? Double.NaN : tuner.lastRatio(); }

  /** Stops the step's worker threads (steps then run on the caller alone, with the same results). */
  public void closeThreads() { ws.close(); }

  /** True when steps take the direct-SGD path (see the field's doc). */
  public boolean usesDirectSgd() { return directSgd; }

  /** True when each direct-SGD step's update is applied by the next forward (see the field's doc). */
  public boolean defersSgd() { return deferSgd; }

  /** Applies a deferred update: before anything outside the step reads or writes the parameters. */
  private void settle() {
    if (deferSgd) model.applyDeferred(ws);
  }

  public LearnerConfig config() { return cfg; }
  public Model model() { return model; }
  public Loss loss() { return loss; }
  /** Features per example. */
  public int inputSize() { return I; }
  /** Target floats per example (1 for a class index). */
  public int targetSize() { return T; }
  public int outputSize() { return O; }
  public boolean classification() { return classification; }
  /** Examples waiting for the batch to fill. */
  public int pending() { return pending; }
  /**
   * Steps taken: the weights version. Never decreases (a rollback or reset keeps it and the next
   * step is the next version); the optimizer's own count may be lower.
   */
  public long step() { return stepOrigin + opt.t(); }
  /** Examples trained on (in steps that were taken). */
  public long examples() { return examples; }
  public long divergences() { return divergences; }
  /**
   * Examples whose training rollbacks discarded: those of the steps after the good copy each
   * rollback restored, and those of each batch whose loss or gradient was not finite. Not
   * subtracted from {@link #examples()}.
   */
  public long rolledBackExamples() { return rolledBackExamples; }
  public float lastGradNorm() { return lastGradNorm; }
  public float lastLoss() { return lastLoss; }
  /** The learning rate the next step will use (schedule × divergence factor). */
  public float learningRate() {
    float lr = schedule.lr(opt.t()) * lrFactor;
    return boostSteps > 0 ? lr * (float) driftSpec.lrFactor() : lr;
  }
  public Metrics metrics() { return metrics.read(); }

  /**
   * Live parameters, for checkpoints and tests on the trainer thread only, with every step taken so
   * far applied (a deferred batch-1 update is applied first). Never hand them to another thread: use
   * {@link #snapshot()}.
   */
  public float[] liveParams() {
    settle();
    return params;
  }

  /**
   * Adds one example (features x[xOff .. xOff+I), target y[yOff .. yOff+T)); trains when the batch
   * is full. Returns true when a full batch was processed by this call.
   */
  public boolean add(float[] x, int xOff, float[] y, int yOff) {
    System.arraycopy(x, xOff, xBatch, pending * I, I);
    System.arraycopy(y, yOff, yBatch, pending * T, T);
    if (++pending == B) {
      trainPending();
      return true;
    }
    return false;
  }

  /** Adds n examples laid out row after row; returns the number of batches processed. */
  public int addBlock(int n, float[] x, int xOff, float[] y, int yOff) {
    int steps = 0;
    for (int i = 0; i < n; i++) if (add(x, xOff + i * I, y, yOff + i * T)) steps++;
    return steps;
  }

  /**
   * The batch buffer row the next example would go into: decoders may write features straight into
   * {@code batchX()} at {@code nextRow() * inputSize()} and targets into {@code batchY()}, then call
   * {@link #commitRow()}.
   */
  public int nextRow() { return pending; }
  public float[] batchX() { return xBatch; }
  public float[] batchY() { return yBatch; }

  /** Accepts the row written in place at {@link #nextRow()}; trains when the batch is full. */
  public boolean commitRow() {
    if (++pending == B) {
      trainPending();
      return true;
    }
    return false;
  }

  /** Trains on a partial batch now (a slow stream's linger time ran out). True if there was one. */
  public boolean flush() {
    if (pending == 0) return false;
    trainPending();
    return true;
  }

  private void trainPending() {
    int b = pending;
    pending = 0;
    trainRows(b, xBatch, 0, yBatch, 0);
  }

  /**
   * Trains one full batch laid out row after row in the caller's block (features x[xOff ..] [B × I],
   * targets y[yOff ..] [B × T]) without copying it: the same step as {@link #add} B times, bit for
   * bit. Standardization scales the rows in place, so the block is consumed. Only with no rows
   * pending (a partial batch would be trained out of order).
   */
  public void trainBatch(float[] x, int xOff, float[] y, int yOff) {
    if (pending != 0) throw new IllegalStateException(pending + " rows pending: trainBatch takes whole batches only");
    trainRows(B, x, xOff, y, yOff);
  }

  private void trainRows(int b, float[] X, int xOff, float[] Y, int yOff) {
    if (tuner == null) {
      trainStep(b, X, xOff, Y, yOff);
      return;
    }
    long t0 = System.nanoTime();
    trainStep(b, X, xOff, Y, yOff);
    ws.useTeam(tuner.observe(System.nanoTime() - t0, b));
  }

  private void trainStep(int b, float[] X, int xOff, float[] Y, int yOff) {
    // The batch's own rows enter the statistics before it is scored: the first batch is centred too.
    if (inputScaler != null) {
      inputScaler.update(b, X, xOff, I);
      inputScaler.apply(b, X, xOff, I);
    }
    if (labelScaler != null) {
      labelScaler.update(b, Y, yOff, T);
      labelScaler.apply(b, Y, yOff, T);
    }
    float[] out = model.forward(b, params, X, xOff, ws);
    float meanLoss = loss.lossAndGrad(b, O, out, 0, Y, yOff, dOut, perExample);
    lastLoss = meanLoss;
    if (!Float.isFinite(meanLoss)) {
      metrics.skip(b);
      diverged("loss", b);
      return;
    }
    score(b, out, Y, yOff);
    if (plasticity != null) plasticity.afterForward(b, model, ws, params);
    if (driftInBatch) onDrift();
    if (directSgd) {
      float norm = deferSgd ? model.directSgdStepDeferred(params, X, xOff, dOut, ws, learningRate())
          : model.directSgdStep(b, params, X, xOff, dOut, ws, learningRate());
      lastGradNorm = norm;
      if (!Float.isFinite(norm)) {
        diverged("gradient", b);
        return;
      }
      opt.setT(opt.t() + 1);
      if (plasticity != null) plasticity.afterStep(params, opt.stateBuffers());
      if (boostSteps > 0) boostSteps--;
      examples += b;
      if (opt.t() % cfg.backupEvery() == 0) backup();
      return;
    }
    float norm = model.backwardSet(b, params, grads, X, xOff, dOut, ws); // writes grads, no zeroing pass
    lastGradNorm = norm;
    if (!Float.isFinite(norm)) {
      diverged("gradient", b);
      return;
    }
    if (clip.kind() == ClipSpec.Kind.NORM) {
      if (norm > clip.limit()) Kernels.scale(grads.length, clip.limit() / norm, grads, 0);
    } else if (clip.kind() == ClipSpec.Kind.VALUE) {
      GradClip.clipByValue(grads, grads.length, clip.limit());
    }
    // The sweep splits across the GEMMs' team (one thread while auto has it off), each thread
    // updating the rows its GEMMs touched.
    opt.step(params, grads, learningRate(), ws.team(), sweepRanges);
    if (plasticity != null) plasticity.afterStep(params, opt.stateBuffers());
    if (boostSteps > 0) boostSteps--;
    examples += b;
    if (opt.t() % cfg.backupEvery() == 0) backup();
  }

  /**
   * A drift was detected in this batch's losses: counted, and the configured action taken before
   * the batch's step (lr: that step and the next ones use the raised rate).
   */
  private void onDrift() {
    driftInBatch = false;
    drifts++;
    lastDriftStep = step();
    lastDriftExamples = examples; // examples trained before this batch
    switch (driftSpec.action()) {
      case LR -> boostSteps = driftSpec.lrSteps();
      case RESET_OPTIMIZER -> {
        // Moments zeroed and bias corrections from the start, as a control reset does, weights kept;
        // the discarded optimizer steps go to the origin so the version line goes on.
        stepOrigin = step();
        opt.setT(0);
        for (float[] s : opt.stateBuffers()) Arrays.fill(s, 0f);
      }
      case NONE -> { }
    }
  }

  /** Hidden units continual backprop has replaced so far (0 without it). */
  public long unitsReplaced() { return plasticity == null ? 0 : plasticity.replaced(); }

  /** Drifts detected so far (kept in checkpoints). */
  public long drifts() { return drifts; }

  /** The last drift detected, or null (allocates: call when {@link #drifts()} changed). */
  public Drift lastDrift() {
    if (drifts == 0) return null;
    return new Drift(drifts, lastDriftStep, lastDriftExamples, driftSpec.detector(),
        driftSpec.action().name().toLowerCase(java.util.Locale.ROOT), metrics.read().lossEwma(), System.currentTimeMillis());
  }
  /** Weights version at the last detected drift, or -1. */
  public long lastDriftStep() { return lastDriftStep; }
  /** Steps left with the drift action's raised learning rate. */
  public long boostSteps() { return boostSteps; }

  /** Prequential scoring of the b examples just forwarded (out holds the model's outputs). */
  private void score(int b, float[] out, float[] Y, int yOff) {
    for (int r = 0; r < b; r++) {
      float l = perExample[r];
      if (drift != null && drift.update(l)) driftInBatch = true;
      if (crossEntropy) {
        int label = (int) Y[yOff + r * T];
        metrics.add(l, Predictor.argmax(out, r * O, O) == label ? 1f : 0f, 0f);
      } else if (classification) { // bce_with_logits: one binary decision per output
        int hits = 0;
        for (int j = 0; j < O; j++) if ((out[r * O + j] > 0f) == (Y[yOff + r * T + j] > 0.5f)) hits++;
        metrics.add(l, hits / (float) O, 0f);
      } else { // errors in label units: a standardized target's error times its std
        float abs = 0f, sq = 0f;
        for (int j = 0; j < O; j++) {
          float e = out[r * O + j] - Y[yOff + r * T + j];
          if (labelScaler != null) e *= labelScaler.std()[j];
          abs += Math.abs(e);
          sq += e * e;
        }
        metrics.add(l, abs / O, sq / O);
      }
    }
  }

  /**
   * Copies the current state as the last good one, unless a finite gradient's update overflowed a
   * weight (lr × g or a momentum past float range, or ∞ − ∞ = NaN): then the guard fires instead,
   * so a non-finite weight never becomes the state rolled back to.
   */
  private void backup() {
    settle();
    if (!allFinite(params)) {
      diverged("parameters", 0);
      return;
    }
    System.arraycopy(params, 0, goodParams, 0, params.length);
    float[][] st = opt.stateBuffers();
    for (int i = 0; i < st.length; i++) System.arraycopy(st[i], 0, goodState[i], 0, st[i].length);
    goodT = opt.t();
    goodVersion = step();
    goodExamples = examples;
  }

  /** True when every element is finite (NaN fails every comparison, so it is caught too). */
  static boolean allFinite(float[] a) {
    return Float.isFinite(Kernels.maxAbs(a.length, a, 0));
  }

  /**
   * Rolls back to the good copy. {@code failed}: rows of the batch whose loss or gradient was not
   * finite (0 when an update already made, cause {@code parameters}, is discarded); such a batch
   * takes the next version number, which becomes the rolled-back state's.
   */
  private void diverged(String cause, int failed) {
    float lrBefore = learningRate();
    long at = step();
    divergences++;
    lastDivergenceStep = at;
    rolledBackExamples += examples - goodExamples + failed;
    goodExamples = examples;
    model.dropDeferred(ws);
    System.arraycopy(goodParams, 0, params, 0, params.length);
    float[][] st = opt.stateBuffers();
    for (int i = 0; i < st.length; i++) System.arraycopy(goodState[i], 0, st[i], 0, st[i].length);
    // The version line goes on: the rolled-back weights get a version no other weights had.
    stepOrigin = (failed > 0 ? at + 1 : at) - goodT;
    opt.setT(goodT);
    lrFactor *= cfg.divergenceLrFactor();
    // Rare by construction (each one lowers the rate): the record is the only allocation here.
    lastDivergence = new Divergence(divergences, at, cause, cause.equals("parameters") ? Float.NaN : lastLoss,
        cause.equals("loss") ? Float.NaN : lastGradNorm, lrBefore, learningRate(), goodVersion, System.currentTimeMillis());
  }

  /** The weights version at which the last divergence was detected, or -1. */
  public long lastDivergenceStep() { return lastDivergenceStep; }

  /** The last firing of the guard, or null (not kept across checkpoints). */
  public Divergence lastDivergence() { return lastDivergence; }

  /**
   * Sets the base learning rate: from the next step on the rate is {@code value} scaled by the
   * schedule (for {@code constant}: exactly {@code value}). Replaces the divergence guard's earlier
   * reductions; later divergences lower it again. Kept in checkpoints (it is the state's lr factor).
   *
   * @return the learning rate of the next step
   * @throws IllegalArgumentException unless value is finite and &gt; 0 and the factor to the
   *     configured base is a finite float
   */
  public float setLearningRate(double value) {
    if (!(value > 0) || !Double.isFinite(value))
      throw new IllegalArgumentException("value = " + value + ": must be a finite number > 0");
    double f = value / schedule.base();
    if (!(f > 0) || (float) f == 0f || !Float.isFinite((float) f) || !Float.isFinite((float) value))
      throw new IllegalArgumentException("value = " + value + ": out of float range against the configured base "
          + schedule.base());
    lrFactor = (float) f;
    return learningRate();
  }

  /**
   * Starts the model again: parameters re-initialised from the configured seed, optimizer state
   * zeroed and its step count (bias corrections, schedule position) back to 0, the learning rate
   * back to the configured one (earlier divergence reductions and overrides dropped), the good copy
   * of the guard set to the new start. Kept: the version line ({@link #step()} is unchanged, the
   * next step is the next version), the examples count, the prequential metrics (a reset shows as
   * the loss jumping back up), the divergence count, and the rows of the batch being assembled
   * (they were taken from the input and are trained on by the new model).
   */
  public void reset() {
    stepOrigin = step();
    opt.setT(0);
    model.dropDeferred(ws);
    model.init(params, cfg.seed());
    for (float[] s : opt.stateBuffers()) Arrays.fill(s, 0f);
    System.arraycopy(params, 0, goodParams, 0, params.length);
    for (float[] s : goodState) Arrays.fill(s, 0f);
    goodT = 0;
    goodVersion = step();
    goodExamples = examples;
    lrFactor = 1f;
    boostSteps = 0;
    lastGradNorm = Float.NaN;
    metrics.markReset();
  }

  /**
   * An immutable copy of the current parameters with step and metrics. If the live parameters are
   * not all finite (an update overflowed), the guard rolls back first: no snapshot ever carries a
   * non-finite weight.
   */
  public Snapshot snapshot() {
    settle();
    if (!allFinite(params)) diverged("parameters", 0);
    return new Snapshot(cfg.spec().toString(), step(), examples, System.currentTimeMillis(), params.clone(),
        metrics.read(), divergences, learningRate(), lastGradNorm, scaling());
  }

  /** A copy of the standardization the current weights expect. */
  public Scaling scaling() {
    if (inputScaler == null && labelScaler == null) return Scaling.NONE;
    return new Scaling(inputScaler == null ? null : inputScaler.mean().clone(),
        inputScaler == null ? null : inputScaler.std().clone(), inputScaler == null ? 0 : inputScaler.count(),
        labelScaler == null ? null : labelScaler.mean().clone(), labelScaler == null ? null : labelScaler.std().clone(),
        labelScaler == null ? 0 : labelScaler.count());
  }

  /**
   * Starts the statistics from published ones (a weights file read back on a restart without
   * checkpoint); a side that is not standardized here is ignored.
   */
  public void restoreScaling(Scaling s) {
    if (inputScaler != null && s.input()) inputScaler.restore(s.inputCount(), s.inputMean(), s.inputStd());
    if (labelScaler != null && s.label()) labelScaler.restore(s.labelCount(), s.labelMean(), s.labelStd());
  }

  /** Number of state arrays of the adaptive parts: input and label standardizers, drift detector. */
  private int adaptiveParts() {
    return (inputScaler != null ? 1 : 0) + (labelScaler != null ? 1 : 0) + (drift != null ? 1 : 0)
        + (plasticity != null ? 1 : 0);
  }

  private double[][] exportScalers() {
    double[][] a = new double[adaptiveParts()][];
    int i = 0;
    if (inputScaler != null) a[i++] = inputScaler.export();
    if (labelScaler != null) a[i++] = labelScaler.export();
    if (drift != null) {
      double[] d = drift.export(), s = new double[d.length + 4];
      s[0] = drifts;
      s[1] = lastDriftStep;
      s[2] = boostSteps;
      s[3] = lastDriftExamples;
      System.arraycopy(d, 0, s, 4, d.length);
      a[i++] = s;
    }
    if (plasticity != null) a[i] = plasticity.export();
    return a;
  }

  /** Optimizer, for checkpoints (state buffers and step count). */
  public Optimizer optimizer() { return opt; }

  /**
   * A deep copy of the complete state (see {@link LearnerState}); trainer thread only. Like a
   * snapshot, it rolls back first if an update left a non-finite weight, so no checkpoint holds one.
   */
  public LearnerState exportState() {
    settle();
    if (!allFinite(params)) diverged("parameters", 0);
    float[][] st = opt.stateBuffers(), state = new float[st.length][], good = new float[goodState.length][];
    for (int i = 0; i < st.length; i++) state[i] = st[i].clone();
    for (int i = 0; i < goodState.length; i++) good[i] = goodState[i].clone();
    float[][] rings = metrics.rings(), ringCopy = new float[rings.length][];
    for (int i = 0; i < rings.length; i++) ringCopy[i] = rings[i].clone();
    return new LearnerState(cfg.spec().toString(), step(), examples, lrFactor, divergences, lastDivergenceStep,
        lastGradNorm, lastLoss, params.clone(), state, goodParams.clone(), good, goodT, pending,
        java.util.Arrays.copyOf(xBatch, pending * I), java.util.Arrays.copyOf(yBatch, pending * T),
        metrics.exportScalars(), ringCopy, stepOrigin, goodVersion, goodExamples, rolledBackExamples, exportScalers());
  }

  /**
   * Makes this learner continue exactly as the one the state was exported from. The configuration
   * must be the same; a different model spec or shape is refused with both named.
   */
  public void importState(LearnerState s) {
    if (!s.spec().equals(cfg.spec().toString()))
      throw new IllegalArgumentException("state is of model spec '" + s.spec() + "', this learner's is '" + cfg.spec() + "'");
    float[][] st = opt.stateBuffers();
    if (s.params().length != params.length || s.optimizerState().length != st.length
        || s.goodState().length != goodState.length || s.pending() > B || s.pendingX().length != s.pending() * I
        || s.pendingY().length != s.pending() * T || s.stepOrigin() < 0 || s.stepOrigin() > s.step())
      throw new IllegalArgumentException("state shapes do not match this learner (" + cfg.optimizer().name()
          + ", batch " + B + "): " + s.params().length + " params, " + s.optimizerState().length + " state arrays, "
          + s.pending() + " pending rows");
    int want = adaptiveParts();
    if (s.scalers().length != want)
      throw new IllegalArgumentException("state has " + s.scalers().length + " adaptive part(s) (standardizers, drift "
          + "detector, plasticity), this learner " + want + " (input.normalize, label.normalize, drift.detector or plasticity changed?)");
    for (int i = 0; i < st.length; i++) {
      if (s.optimizerState()[i].length != st[i].length) throw new IllegalArgumentException("optimizer state " + i + " has "
          + s.optimizerState()[i].length + " floats, expected " + st[i].length);
      System.arraycopy(s.optimizerState()[i], 0, st[i], 0, st[i].length);
      System.arraycopy(s.goodState()[i], 0, goodState[i], 0, goodState[i].length);
    }
    model.dropDeferred(ws);
    System.arraycopy(s.params(), 0, params, 0, params.length);
    System.arraycopy(s.goodParams(), 0, goodParams, 0, goodParams.length);
    stepOrigin = s.stepOrigin();
    opt.setT(s.step() - s.stepOrigin());
    goodT = s.goodStep();
    goodVersion = s.goodVersion();
    examples = s.examples();
    goodExamples = s.goodExamples();
    rolledBackExamples = s.rolledBackExamples();
    lrFactor = s.lrFactor();
    divergences = s.divergences();
    lastDivergenceStep = s.lastDivergenceStep();
    lastGradNorm = s.lastGradNorm();
    lastLoss = s.lastLoss();
    pending = s.pending();
    System.arraycopy(s.pendingX(), 0, xBatch, 0, s.pendingX().length);
    System.arraycopy(s.pendingY(), 0, yBatch, 0, s.pendingY().length);
    float[][] rings = metrics.rings();
    if (s.metricRings().length != rings.length) throw new IllegalArgumentException("metrics state does not match");
    for (int i = 0; i < rings.length; i++) {
      if (s.metricRings()[i].length != rings[i].length)
        throw new IllegalArgumentException("metrics window is " + s.metricRings()[i].length + ", this learner's " + rings[i].length);
      System.arraycopy(s.metricRings()[i], 0, rings[i], 0, rings[i].length);
    }
    metrics.restore(s.metricScalars());
    int k = 0;
    if (inputScaler != null) inputScaler.restore(s.scalers()[k++]);
    if (labelScaler != null) labelScaler.restore(s.scalers()[k++]);
    if (drift != null) {
      double[] d = s.scalers()[k];
      drifts = (long) d[0];
      lastDriftStep = (long) d[1];
      boostSteps = (long) d[2];
      lastDriftExamples = (long) d[3];
      drift.restore(Arrays.copyOfRange(d, 4, d.length));
    }
    if (plasticity != null) plasticity.restore(s.scalers()[s.scalers().length - 1]);
  }
}
