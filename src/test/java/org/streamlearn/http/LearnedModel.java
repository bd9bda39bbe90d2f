package org.streamlearn.http;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.codec.TensorRef;
import org.streamlearn.learn.LearnerConfig;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.Command;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelView;
import org.streamlearn.model.Published;
import org.streamlearn.model.Status;
import org.streamlearn.optim.OptimizerSpec;

/**
 * A real {@link ModelView} for the HTTP tests: an {@link OnlineLearner} trained on its own thread
 * (as the trainer is) on synthetic data, publishing snapshots and their safetensors encoding on its
 * event-bus address from that thread ({@link ModelEvents}). Not a mock: it is the contract
 * implemented without Kafka, control commands (a consumer of its control address) and divergence
 * events included (applied and reported on the trainer thread).
 *
 * <p>Data: three Gaussian blobs in 4 dimensions (class = blob, seed fixed) for cross_entropy, or
 * y = w·x + noise for mse.
 */
final class LearnedModel implements ModelView {
  private final String name;
  private final String loss;
  private final OnlineLearner learner;
  private final List<TensorRef> refs;
  private final ExecutorService trainer;
  private final SplittableRandom rnd;
  private final Vertx vertx;
  private final MessageConsumer<Command> control;
  private volatile boolean trainingPaused;
  private long seenDivergences;
  private volatile Published latest;
  private volatile Status status = new Status(true, false, 0, 0, null);
  volatile Map<String, Object> checkpoint;

  @Override public Map<String, Object> checkpoint() {
    return checkpoint;
  }

  static LearnedModel classifier(Vertx vertx, String name, long seed) {
    return new LearnedModel(vertx, name, "input(4) dense(8) relu dense(3)", "cross_entropy", seed);
  }

  static LearnedModel regressor(Vertx vertx, String name, long seed) {
    return new LearnedModel(vertx, name, "input(4) dense(2)", "mse", seed);
  }

  private LearnedModel(Vertx vertx, String name, String spec, String loss, long seed) {
    this.vertx = vertx;
    this.name = name;
    this.loss = loss;
    this.learner = new OnlineLearner(LearnerConfig.of(spec, loss, OptimizerSpec.defaults("adam", 0.01f), 16).withSeed(seed));
    this.refs = learner.model().tensors().stream().map(t -> new TensorRef(t.name(), t.offset(), t.shape())).toList();
    this.rnd = new SplittableRandom(seed);
    this.trainer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "trainer-" + name);
      t.setDaemon(true);
      return t;
    });
    ModelEvents.registerCodecs(vertx);
    this.control = vertx.eventBus().consumer(ModelEvents.control(name), m -> control(m.body()).whenComplete((st, e) -> {
      if (e == null) m.reply(st);
      else m.fail(e instanceof IllegalArgumentException ? ModelEvents.INVALID : ModelEvents.NOT_RUNNING, e.getMessage());
    }));
  }

  /**
   * Trains on n more examples on the trainer thread (none while paused), reports divergences, then
   * publishes one version if the step moved; waits for it and returns the latest version.
   */
  Published trainAndPublish(int n) throws Exception {
    Future<Published> f = trainer.submit(() -> {
      if (trainingPaused) return latest;
      float[] x = new float[4];
      float[] y = new float[learner.targetSize()];
      for (int i = 0; i < n; i++) {
        example(x, y);
        learner.add(x, 0, y, 0);
        reportDivergence();
      }
      if (latest != null && learner.step() <= latest.version()) return latest;
      Snapshot s = learner.snapshot();
      reportDivergence();
      byte[] bytes = SafeTensors.write(s.params(), refs, Map.of(SafeTensors.META_MODEL, name,
          SafeTensors.META_VERSION, Long.toString(s.version()), SafeTensors.META_SPEC, s.spec()));
      Published p = new Published(s, bytes);
      latest = p;
      vertx.eventBus().publish(ModelEvents.weights(name), p);
      return p;
    });
    return f.get();
  }

  private void reportDivergence() {
    if (learner.divergences() == seenDivergences) return;
    seenDivergences = learner.divergences();
    vertx.eventBus().publish(ModelEvents.divergence(name), learner.lastDivergence());
  }

  /** Occupies the trainer thread until the latch opens (a command then waits behind it). */
  void blockTrainer(CountDownLatch release) {
    trainer.submit(() -> {
      release.await();
      return null;
    });
  }

  long divergences() throws Exception {
    return trainer.submit(learner::divergences).get();
  }

  private void example(float[] x, float[] y) {
    if (loss.equals("cross_entropy")) {
      int c = rnd.nextInt(3);
      for (int j = 0; j < 4; j++) x[j] = (float) (rnd.nextGaussian() * 0.5 + (j == c ? 2 : 0));
      y[0] = c;
    } else {
      for (int j = 0; j < 4; j++) x[j] = (float) rnd.nextGaussian();
      y[0] = x[0] - 2 * x[1] + 0.1f * (float) rnd.nextGaussian();
      y[1] = 0.5f * x[2] + x[3];
    }
  }

  void setStatus(Status s) {
    status = s;
  }

  void shutdown() {
    try {
      control.unregister();
    } catch (java.util.concurrent.RejectedExecutionException closed) { // Vert.x closed first: gone with it
    }
    trainer.shutdownNow();
  }

  @Override public String name() { return name; }

  @Override public String spec() { return learner.config().spec().toString(); }

  @Override public Map<String, Object> describe() {
    return Map.of("loss", loss, "classification", learner.classification(), "batchSize", 16,
        "optimizer", "adam(lr=0.01)", "topics", List.of("examples-" + name));
  }

  @Override public Published latest() { return latest; }

  @Override public Status status() {
    Status s = status;
    return new Status(s.ready(), s.paused(), s.examplesPerSecond(), s.lag(), s.problem(), trainingPaused,
        learner.step(), learner.learningRate()); // step and rate: plain reads of the trainer's figures, fine for a test
  }

  /** Applies a command on the trainer thread (what the control consumer calls). */
  CompletionStage<Status> control(Command c) {
    var done = new CompletableFuture<Status>();
    trainer.submit(() -> {
      try {
        switch (c.action()) {
          case PAUSE -> trainingPaused = true;
          case RESUME -> trainingPaused = false;
          case RESET -> learner.reset();
          case LR -> learner.setLearningRate(c.value());
        }
        done.complete(status());
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }
}
