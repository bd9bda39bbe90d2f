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
import org.streamlearn.stream.ModelRunner;
import org.streamlearn.stream.RunnerObserver;

/**
 * The meters of Streamlearn, named {@code streamlearn.<area>.<name>} and tagged {@code model}.
 * Counters and gauges read figures the runner's threads already keep (volatile fields written once
 * per step or per poll), so scraping costs the hot path nothing; timers are fed through a
 * {@link RunnerObserver}. src/site/markdown/metrics.md lists the Prometheus names.
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

  /** Registers the meters of one model and makes the runner report its timings; call before start(). */
  public static void bind(MeterRegistry reg, ModelRunner m) {
    Tags t = Tags.of("model", m.name());
    counter(reg, "train.examples", t, m, ModelRunner::rowsTrained, "Examples trained on (in completed steps)");
    counter(reg, "train.steps", t, m, ModelRunner::steps, "Optimizer steps taken");
    counter(reg, "train.divergences", t, m, ModelRunner::divergences,
        "Divergences (non-finite loss or gradient): rolled back, learning rate lowered");
    counter(reg, "train.examples.rolled.back", t, m, ModelRunner::examplesRolledBack,
        "Examples whose training divergence rollbacks discarded: the steps after the good copy and the failed batch");
    counter(reg, "ingest.records", t, m, ModelRunner::recordsIn, "Records consumed from the training topics");
    for (DecodeResult.Reason r : DecodeResult.Reason.values()) {
      counter(reg, "ingest.dead.lettered", t.and("reason", r.name().toLowerCase(Locale.ROOT)), m,
          x -> x.deadLettered(r), "Records sent to <model>.dlq, by reason");
    }
    counter(reg, "weights.publish.failures", t, m, ModelRunner::publishFailures,
        "Weights versions the broker did not accept within delivery.timeout.ms (the next version replaces them)");
    gauge(reg, "ingest.dead.letters.pending", t, m, ModelRunner::deadLettersPending,
        "Dead letters not yet acknowledged by the broker; their records are neither committed nor checkpointed");
    counter(reg, "ingest.dead.letters.given.up", t, m, ModelRunner::deadLettersGivenUp,
        "Dead letters given up after an error no retry mends (logged as errors; their records are lost)");
    counter(reg, "weights.publish.skipped", t, m, ModelRunner::publishSkipped,
        "Weights versions withheld because a weight was not finite (the divergence guard keeps this at 0)");
    counter(reg, "train.resets", t, m, ModelRunner::resets, "Resets through POST /models/{m}/control");

    counter(reg, "checkpoint.failures", t, m, ModelRunner::checkpointFailures,
        "Checkpoint writes that failed (disk full, read-only...); training went on");
    gauge(reg, "checkpoint.last.step", t, m, ModelRunner::checkpointLastStep,
        "Optimizer step of the newest durable checkpoint, -1 none");

    gauge(reg, "prequential.loss", t.and("average", "ewma"), m, x -> x.metrics().lossEwma(),
        "Prequential (test-then-train) loss, exponentially weighted");
    gauge(reg, "prequential.loss", t.and("average", "window"), m, x -> x.metrics().lossWindow(),
        "Prequential loss, mean over the last metrics.window examples");
    gauge(reg, "prequential.loss", t.and("average", "all"), m, x -> x.metrics().all().loss(),
        "Prequential loss, mean over every example since the model started (whole stream)");
    gauge(reg, "prequential.loss", t.and("average", "since_reset"), m, x -> x.metrics().sinceReset().loss(),
        "Prequential loss, mean over every example since the last control reset");
    counter(reg, "drift.detected", t, m, ModelRunner::driftsDetected,
        "Drifts detected on the prequential loss (drift.detector); each may trigger drift.action");
    if (m.classification()) {
      gauge(reg, "prequential.accuracy", t.and("average", "ewma"), m, x -> x.metrics().accuracyEwma(),
          "Prequential accuracy, exponentially weighted");
      gauge(reg, "prequential.accuracy", t.and("average", "window"), m, x -> x.metrics().accuracyWindow(),
          "Prequential accuracy over the last metrics.window examples");
      gauge(reg, "prequential.accuracy", t.and("average", "all"), m, x -> x.metrics().all().accuracy(),
          "Prequential accuracy over every example since the model started (whole stream)");
      gauge(reg, "prequential.accuracy", t.and("average", "since_reset"), m, x -> x.metrics().sinceReset().accuracy(),
          "Prequential accuracy over every example since the last control reset");
    } else {
      gauge(reg, "prequential.rmse", t.and("average", "window"), m, x -> x.metrics().rmseWindow(),
          "Prequential RMSE over the last metrics.window examples");
      gauge(reg, "prequential.mae", t.and("average", "window"), m, x -> x.metrics().maeWindow(),
          "Prequential mean absolute error over the last metrics.window examples");
      for (String span : new String[] {"all", "since_reset"}) {
        boolean all = span.equals("all");
        String what = all ? "since the model started (whole stream)" : "since the last control reset";
        gauge(reg, "prequential.rmse", t.and("average", span), m,
            x -> (all ? x.metrics().all() : x.metrics().sinceReset()).rmse(), "Prequential RMSE " + what);
        gauge(reg, "prequential.mae", t.and("average", span), m,
            x -> (all ? x.metrics().all() : x.metrics().sinceReset()).mae(), "Prequential mean absolute error " + what);
      }
    }
    gauge(reg, "train.learning.rate", t, m, ModelRunner::learningRate, "Learning rate of the next step");
    gauge(reg, "train.gradient.norm", t, m, ModelRunner::gradNorm, "Global gradient L2 norm of the last step, before clipping");
    gauge(reg, "weights.version", t, m, ModelRunner::version, "Newest published weights version (optimizer step)");
    gauge(reg, "model.ready", t, m, x -> x.status().ready() ? 1 : 0,
        "1 while GET /ready counts the model ready (partitions assigned, broker answering)");
    gauge(reg, "ingest.broker.silence.seconds", t, m, x -> x.brokerSilenceMillis() / 1000.0,
        "Seconds since the consumer last had an answer from the broker");
    gauge(reg, "ingest.paused", t, m, x -> x.paused() ? 1 : 0, "1 while fetching is paused by backpressure");
    gauge(reg, "train.paused", t, m, x -> x.trainingPaused() ? 1 : 0,
        "1 while training is paused through POST /models/{m}/control");
    gauge(reg, "ingest.queue.depth", t, m, ModelRunner::queueDepth, "Decoded records waiting for the trainer");
    gauge(reg, "ingest.queue.capacity", t, m, ModelRunner::queueCapacity, "queue.max.records");
    gauge(reg, "ingest.examples.rate", t, m, x -> x.status().examplesPerSecond(), "Examples trained per second (last second)");

    Timer step = Timer.builder(PREFIX + "train.step.latency").tags(t).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .description("Time of one optimizer step (forward, backward, update)").register(reg);
    Timer publish = Timer.builder(PREFIX + "weights.publish.latency").tags(t).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
        .description("Snapshot, encoding and broker acknowledgement of one weights version").register(reg);
    Timer freshness = Timer.builder(PREFIX + "weights.freshness").tags(t).publishPercentiles(0.5, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(2))
        .description("Publish time minus the oldest record timestamp trained into the version").register(reg);
    Tags g = t.and("replica", m.config().scale().replicaId());
    gauge(reg, "group.partitions.owned", g, m, ModelRunner::partitionsOwned, "Input partitions this instance owns");
    counter(reg, "group.partitions.revoked", g, m, ModelRunner::partitionsRevoked,
        "Input partitions rebalances took from this instance (cooperative: only those that moved)");
    gauge(reg, "group.publisher", g, m, x -> x.publisher() ? 1 : 0,
        "1 if this instance writes <model>.weights (alone always; in a group the owner of input partition 0)");
    gauge(reg, "group.replicas", g, m, ModelRunner::replicasInAverage,
        "Replicas (this one included) in the last parameter average; 1 alone");
    gauge(reg, "group.replicas.live", g, m, x -> x.liveOtherReplicas() + 1,
        "Replicas heard from within sync.stale.ms, this one included");
    gauge(reg, "group.divergence", g, m, ModelRunner::divergence,
        "‖θ_replica − θ_avg‖ (L2) at the last exchange that folded others in; NaN none");
    gauge(reg, "group.divergence.relative", g, m, ModelRunner::relativeDivergence,
        "‖θ_replica − θ_avg‖ / ‖θ_avg‖ at the last exchange that folded others in; NaN none");
    gauge(reg, "group.examples.rate", g, m, ModelRunner::groupExamplesPerSecond,
        "Examples/s of the group: this replica's plus the live others' as they last reported");
    counter(reg, "group.exchanges", g, m, ModelRunner::exchanges, "Parameter exchanges with the other replicas");
    counter(reg, "group.rows.dropped", g, m, ModelRunner::rowsDropped,
        "Queued rows of partitions lost to a session expiry, dropped untrained (the new owner trains them)");
    Timer exchange = Timer.builder(PREFIX + "group.exchange.latency").tags(g).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .description("One parameter exchange on the trainer thread: encode and send θ, fold in the others").register(reg);
    Timer checkpoint = Timer.builder(PREFIX + "checkpoint.write").tags(t).publishPercentiles(0.5, 0.99)
        .description("Encoding, writing and fsyncing one checkpoint (off the training thread)").register(reg);
    m.observe(new RunnerObserver() {
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
        Gauge.builder(PREFIX + "consumer.lag", m, x -> x.lag(tp)).tags(t.and("partition", tp))
            .description("Records behind the end of the partition").strongReference(true).register(reg);
      }
    });
  }

  private static void counter(MeterRegistry reg, String name, Tags t, ModelRunner m, ToDoubleFunction<ModelRunner> f,
      String doc) {
    FunctionCounter.builder(PREFIX + name, m, f).tags(t).description(doc).register(reg);
  }

  private static void gauge(MeterRegistry reg, String name, Tags t, ModelRunner m, ToDoubleFunction<ModelRunner> f,
      String doc) {
    Gauge.builder(PREFIX + name, m, f).tags(t).description(doc).strongReference(true).register(reg);
  }
}
