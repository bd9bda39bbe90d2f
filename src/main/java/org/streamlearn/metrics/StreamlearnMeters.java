package org.streamlearn.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.learn.Metrics;
import org.streamlearn.model.Figures;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.ModelView;

/**
 * The meters of Streamlearn, named {@code streamlearn.<area>.<name>} and tagged {@code model}.
 * Counters and gauges read the model's {@link Figures} (immutable records its threads replace once
 * per step or per poll), so scraping costs the hot path nothing; timers are fed through a
 * {@link ModelObserver}. Knows a model only as a {@link ModelView}. src/site/markdown/metrics.md lists the Prometheus names.
 */
public final class StreamlearnMeters {
  public static final String PREFIX = "streamlearn.";

  private StreamlearnMeters() {}

  /** A Prometheus registry with the JVM's memory, GC, thread and processor meters bound. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(r);
    new JvmGcMetrics().bindTo(r); // AutoCloseable; lives as long as the process
    new JvmThreadMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    return r;
  }

  /**
   * Registers the meters of one model and makes it report its timings to them; call before it
   * starts. Counters and gauges read {@link ModelView#figures()}: one immutable record per read.
   */
  public static void bind(MeterRegistry reg, ModelView m) {
    Tags t = Tags.of("model", m.name());
    counter(reg, "train.examples", t, m, f -> f.training().rowsTrained(), "Examples trained on (in completed steps)");
    counter(reg, "train.steps", t, m, f -> f.training().steps(), "Optimizer steps taken");
    counter(reg, "train.divergences", t, m, f -> f.training().divergences(),
        "Divergences (non-finite loss or gradient): rolled back, learning rate lowered");
    counter(reg, "train.examples.rolled.back", t, m, f -> f.training().examplesRolledBack(),
        "Examples whose training divergence rollbacks discarded: the steps after the good copy and the failed batch");
    counter(reg, "ingest.records", t, m, f -> f.ingest().recordsIn(), "Records consumed from the training topics");
    for (DecodeResult.Reason r : DecodeResult.Reason.values()) {
      counter(reg, "ingest.dead.lettered", t.and("reason", r.name().toLowerCase(Locale.ROOT)), m,
          f -> f.ingest().deadLettered(r), "Records sent to <model>.dlq, by reason");
    }
    counter(reg, "weights.publish.failures", t, m, Figures::publishFailures,
        "Weights versions the broker did not accept within delivery.timeout.ms (the next version replaces them)");
    gauge(reg, "ingest.dead.letters.pending", t, m, f -> f.ingest().deadLettersPending(),
        "Dead letters not yet acknowledged by the broker; their records are neither committed nor checkpointed");
    counter(reg, "ingest.dead.letters.given.up", t, m, f -> f.ingest().deadLettersGivenUp(),
        "Dead letters given up after an error no retry mends (logged as errors; their records are lost)");
    counter(reg, "weights.publish.skipped", t, m, f -> f.training().publishSkipped(),
        "Weights versions withheld because a weight was not finite (the divergence guard keeps this at 0)");
    counter(reg, "train.resets", t, m, f -> f.training().resets(), "Resets through POST /models/{m}/control");

    counter(reg, "checkpoint.failures", t, m, Figures::checkpointFailures,
        "Checkpoint writes that failed (disk full, read-only...); training went on");
    gauge(reg, "checkpoint.last.step", t, m, Figures::checkpointLastStep,
        "Optimizer step of the newest durable checkpoint, -1 none");

    gauge(reg, "prequential.loss", t.and("average", "ewma"), m, f -> metrics(f).lossEwma(),
        "Prequential (test-then-train) loss, exponentially weighted");
    gauge(reg, "prequential.loss", t.and("average", "window"), m, f -> metrics(f).lossWindow(),
        "Prequential loss, mean over the last metrics.window examples");
    gauge(reg, "prequential.loss", t.and("average", "all"), m, f -> metrics(f).all().loss(),
        "Prequential loss, mean over every example since the model started (whole stream)");
    gauge(reg, "prequential.loss", t.and("average", "since_reset"), m, f -> metrics(f).sinceReset().loss(),
        "Prequential loss, mean over every example since the last control reset");
    counter(reg, "drift.detected", t, m, f -> f.training().drifts(),
        "Drifts detected on the prequential loss (drift.detector); each may trigger drift.action");
    if (m.classification()) {
      gauge(reg, "prequential.accuracy", t.and("average", "ewma"), m, f -> metrics(f).accuracyEwma(),
          "Prequential accuracy, exponentially weighted");
      gauge(reg, "prequential.accuracy", t.and("average", "window"), m, f -> metrics(f).accuracyWindow(),
          "Prequential accuracy over the last metrics.window examples");
      gauge(reg, "prequential.accuracy", t.and("average", "all"), m, f -> metrics(f).all().accuracy(),
          "Prequential accuracy over every example since the model started (whole stream)");
      gauge(reg, "prequential.accuracy", t.and("average", "since_reset"), m, f -> metrics(f).sinceReset().accuracy(),
          "Prequential accuracy over every example since the last control reset");
    } else {
      gauge(reg, "prequential.rmse", t.and("average", "window"), m, f -> metrics(f).rmseWindow(),
          "Prequential RMSE over the last metrics.window examples");
      gauge(reg, "prequential.mae", t.and("average", "window"), m, f -> metrics(f).maeWindow(),
          "Prequential mean absolute error over the last metrics.window examples");
      for (String span : new String[] {"all", "since_reset"}) {
        boolean all = span.equals("all");
        String what = all ? "since the model started (whole stream)" : "since the last control reset";
        gauge(reg, "prequential.rmse", t.and("average", span), m,
            f -> (all ? metrics(f).all() : metrics(f).sinceReset()).rmse(), "Prequential RMSE " + what);
        gauge(reg, "prequential.mae", t.and("average", span), m,
            f -> (all ? metrics(f).all() : metrics(f).sinceReset()).mae(), "Prequential mean absolute error " + what);
      }
    }
    gauge(reg, "train.learning.rate", t, m, f -> f.training().learningRate(), "Learning rate of the next step");
    gauge(reg, "train.threads", t, m, f -> f.training().trainThreads(),
        "Threads the steps run on now (train.threads; under auto, 1 while the team measured slower)");
    gauge(reg, "train.gradient.norm", t, m, f -> f.training().gradNorm(),
        "Global gradient L2 norm of the last step, before clipping");
    gauge(reg, "weights.version", t, m, f -> f.training().version(), "Newest published weights version (optimizer step)");
    Gauge.builder(PREFIX + "model.ready", m, x -> x.status().ready() ? 1 : 0).tags(t)
        .description("1 while GET /ready counts the model ready (partitions assigned, broker answering)")
        .strongReference(true).register(reg);
    gauge(reg, "ingest.broker.silence.seconds", t, m, Figures::brokerSilenceSeconds,
        "Seconds since the consumer last had an answer from the broker");
    gauge(reg, "ingest.paused", t, m, f -> f.ingest().paused() ? 1 : 0, "1 while fetching is paused by backpressure");
    gauge(reg, "train.paused", t, m, f -> f.training().trainingPaused() ? 1 : 0,
        "1 while training is paused through POST /models/{m}/control");
    gauge(reg, "ingest.queue.depth", t, m, f -> f.ingest().queueDepth(), "Decoded records waiting for the trainer");
    gauge(reg, "ingest.queue.capacity", t, m, f -> f.ingest().queueCapacity(), "queue.max.records");
    gauge(reg, "ingest.examples.rate", t, m, f -> f.training().examplesPerSecond(),
        "Examples trained per second (last second)");

    Timer step = Timer.builder(PREFIX + "train.step.latency").tags(t).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .description("Time of one optimizer step (forward, backward, update)").register(reg);
    Timer publish = Timer.builder(PREFIX + "weights.publish.latency").tags(t).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
        .description("Snapshot, encoding and broker acknowledgement of one weights version").register(reg);
    Timer freshness = Timer.builder(PREFIX + "weights.freshness").tags(t).publishPercentiles(0.5, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(2))
        .description("Publish time minus the oldest record timestamp trained into the version").register(reg);
    Tags g = t.and("replica", m.replica());
    gauge(reg, "group.partitions.owned", g, m, f -> f.ingest().partitionsOwned(), "Input partitions this instance owns");
    counter(reg, "group.partitions.revoked", g, m, f -> f.ingest().partitionsRevoked(),
        "Input partitions rebalances took from this instance (cooperative: only those that moved)");
    gauge(reg, "group.publisher", g, m, f -> f.ingest().publisher() ? 1 : 0,
        "1 if this instance writes <model>.weights (alone always; in a group the owner of input partition 0)");
    gauge(reg, "group.replicas", g, m, f -> f.group().replicasInAverage(),
        "Replicas (this one included) in the last parameter average; 1 alone");
    gauge(reg, "group.replicas.live", g, m, f -> f.group().liveOthers() + 1,
        "Replicas heard from within sync.stale.ms, this one included");
    gauge(reg, "group.divergence", g, m, f -> f.group().divergence(),
        "‖θ_replica − θ_avg‖ (L2) at the last exchange that folded others in; NaN none");
    gauge(reg, "group.divergence.relative", g, m, f -> f.group().relativeDivergence(),
        "‖θ_replica − θ_avg‖ / ‖θ_avg‖ at the last exchange that folded others in; NaN none");
    gauge(reg, "group.examples.rate", g, m, Figures::groupExamplesPerSecond,
        "Examples/s of the group: this replica's plus the live others' as they last reported");
    counter(reg, "group.exchanges", g, m, f -> f.training().exchanges(), "Parameter exchanges with the other replicas");
    counter(reg, "group.rows.dropped", g, m, f -> f.training().rowsDropped(),
        "Queued rows of partitions lost to a session expiry, dropped untrained (the new owner trains them)");
    Timer exchange = Timer.builder(PREFIX + "group.exchange.latency").tags(g).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .description("One parameter exchange on the trainer thread: encode and send θ, fold in the others").register(reg);
    Timer checkpoint = Timer.builder(PREFIX + "checkpoint.write").tags(t).publishPercentiles(0.5, 0.99)
        .description("Encoding, writing and fsyncing one checkpoint (off the training thread)").register(reg);
    m.observe(new ModelObserver() {
      @Override public void checkpointWritten(long nanos) {
        checkpoint.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override public void exchanged(long nanos, int replicas, double divergence) {
        exchange.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override public void step(long nanos) {
        step.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override public void published(long nanos) {
        publish.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override public void freshness(long millis) {
        freshness.record(millis, TimeUnit.MILLISECONDS);
      }

      @Override public void partitionAssigned(String tp) {
        gauge(reg, "consumer.lag", t.and("partition", tp), m, f -> f.ingest().lag(tp),
            "Records behind the end of the partition");
      }
    });
  }

  private static Metrics metrics(Figures f) {
    return f.training().metrics();
  }

  /** Reads one figures record per call; NaN for a model that keeps none. */
  private static ToDoubleFunction<ModelView> read(ToDoubleFunction<Figures> f) {
    return m -> {
      Figures x = m.figures();
      return x == null ? Double.NaN : f.applyAsDouble(x);
    };
  }

  private static void counter(MeterRegistry reg, String name, Tags t, ModelView m, ToDoubleFunction<Figures> f,
      String doc) {
    FunctionCounter.builder(PREFIX + name, m, read(f)).tags(t).description(doc).register(reg);
  }

  private static void gauge(MeterRegistry reg, String name, Tags t, ModelView m, ToDoubleFunction<Figures> f,
      String doc) {
    Gauge.builder(PREFIX + name, m, read(f)).tags(t).description(doc).strongReference(true).register(reg);
  }
}
