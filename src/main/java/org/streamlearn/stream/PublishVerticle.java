package org.streamlearn.stream;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.codec.TensorRef;
import org.streamlearn.learn.Metrics;
import org.streamlearn.learn.OnlineLearner;
import org.streamlearn.learn.Snapshot;
import org.streamlearn.model.ModelEvents;
import org.streamlearn.model.ModelObserver;
import org.streamlearn.model.Published;

/**
 * Publishes a model's weights versions: each snapshot the trainer hands over goes on the event bus
 * at once, from the trainer's thread ({@link ModelEvents#weights}: the HTTP API, the page's updates
 * and embedding applications take it from there, by reference); then, on a worker thread of its
 * own, its safetensors bytes are built and sent to {@code <model>.weights} (when this instance is
 * the group's publisher). Owns the model's producer, which posted records use too.
 */
final class PublishVerticle extends AbstractVerticle {
  private static final Logger log = LoggerFactory.getLogger(PublishVerticle.class);

  private final String model, weightsTopic;
  private final byte[] key;
  private final KafkaClients kafka;
  private final int paramBytes;
  private final List<TensorRef> tensors;
  private final Published primed;
  private final long closeTimeoutMs;
  private final Future<Void> trainerDrained;
  private final AtomicLong failures = new AtomicLong();
  private volatile KafkaProducer<byte[], byte[]> producer;
  volatile Published latest;
  volatile ModelObserver observer = ModelObserver.NONE;

  /**
   * @param primed the restored version, served at once and not sent to the topic again; null none
   */
  PublishVerticle(String model, OnlineLearner learner, KafkaClients kafka, Published primed, long closeTimeoutMs,
      Future<Void> trainerDrained) {
    this.trainerDrained = trainerDrained;
    this.model = model;
    this.weightsTopic = Topics.weights(model);
    this.key = model.getBytes(StandardCharsets.UTF_8);
    this.kafka = kafka;
    this.paramBytes = learner.model().paramCount() * 4;
    this.tensors = tensors(learner);
    this.primed = primed;
    this.latest = primed;
    this.closeTimeoutMs = closeTimeoutMs;
  }

  static List<TensorRef> tensors(OnlineLearner learner) {
    return learner.model().torchTensors().stream().map(t -> t.folded() ? TensorRef.zeros(t.name(), t.shape())
        : new TensorRef(t.name(), t.offset(), t.shape())).toList();
  }

  @Override public void start() {
    ModelEvents.registerCodecs(vertx);
    producer = new KafkaProducer<>(kafka.config(Map.of(
        ProducerConfig.CLIENT_ID_CONFIG, "streamlearn-" + model + "-out",
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 5,
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.maxMessageBytes(paramBytes))),
        new ByteArraySerializer(), new ByteArraySerializer());
    if (primed != null) vertx.eventBus().publish(ModelEvents.weights(model), primed);
  }

  /** Undeployed: once the trainer handed its last version, sends what is queued and closes the producer. */
  @Override public void stop(Promise<Void> stopped) {
    trainerDrained.onComplete(d -> context.runOnContext(v -> {
      var p = producer;
      producer = null;
      try {
        if (p != null) p.close(Duration.ofMillis(closeTimeoutMs));
      } catch (RuntimeException e) {
        log.warn("closing the producer of model {}: {}", model, e.toString());
      }
      stopped.complete();
    }));
  }

  /** The producer, null when not running (posted records get a 503). */
  KafkaProducer<byte[], byte[]> producer() {
    return producer;
  }

  /** Weights versions the broker refused. */
  long failures() {
    return failures.get();
  }

  /**
   * Trainer thread: publishes one version on the event bus at once (its bytes are encoded on first
   * use), then this verticle's thread encodes it and sends it to the weights topic; the trainer goes
   * on at once (the snapshot is immutable).
   *
   * @param snapshotNanos when the snapshot was taken (the publish timer starts there)
   * @param oldestTimestamp oldest record timestamp trained into it, Long.MAX_VALUE none (freshness)
   */
  void publish(Snapshot snap, String offsetsJson, String incarnation, long snapshotNanos, long oldestTimestamp,
      boolean toTopic) {
    Published p = new Published(snap, incarnation, () -> safetensors(model, tensors, snap, offsetsJson, incarnation));
    latest = p;
    vertx.eventBus().publish(ModelEvents.weights(model), p);
    if (oldestTimestamp != Long.MAX_VALUE) observer.freshness(Math.max(0, System.currentTimeMillis() - oldestTimestamp));
    if (toTopic) context.runOnContext(v -> send(p, snapshotNanos));
  }

  private void send(Published p, long snapshotNanos) {
    var out = producer;
    if (out == null) return;
    var rec = new ProducerRecord<>(weightsTopic, null, p.snapshot().createdMillis(), key, p.safetensors());
    try {
      out.send(rec, (md, e) -> {
        if (e == null) observer.published(System.nanoTime() - snapshotNanos);
        else failed(p, e);
      });
    } catch (RuntimeException e) { // e.g. max.block.ms ran out while the broker is away
      failed(p, e);
    }
  }

  private void failed(Published p, Exception e) {
    if (failures.getAndIncrement() == 0)
      log.warn("publishing weights version {} to {} failed (later failures only counted): {}", p.version(),
          weightsTopic, e.toString());
  }

  /** The safetensors file of a snapshot, with its metadata (offsets as JSON). */
  static byte[] safetensors(String model, List<TensorRef> tensors, Snapshot snap, String offsets, String incarnation) {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put(SafeTensors.META_MODEL, model);
    meta.put(SafeTensors.META_VERSION, Long.toString(snap.version()));
    meta.put(SafeTensors.META_INCARNATION, incarnation);
    meta.put(SafeTensors.META_CREATED, Instant.ofEpochMilli(snap.createdMillis()).toString());
    meta.put(SafeTensors.META_OFFSETS, offsets);
    meta.put(SafeTensors.META_SPEC, snap.spec());
    meta.put(SafeTensors.META_METRICS, metricsJson(snap));
    return WeightsFiles.encode(snap, tensors, meta);
  }

  static String metricsJson(Snapshot s) {
    Metrics m = s.metrics();
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"examples\":").append(m.examples()).append(",\"skipped\":").append(m.skipped())
        .append(",\"window\":").append(m.window());
    num(sb, "loss_ewma", m.lossEwma());
    num(sb, "loss_window", m.lossWindow());
    num(sb, "accuracy_ewma", m.accuracyEwma());
    num(sb, "accuracy_window", m.accuracyWindow());
    num(sb, "mae_window", m.maeWindow());
    num(sb, "rmse_window", m.rmseWindow());
    num(sb, "loss_all", m.all().loss());
    num(sb, "accuracy_all", m.all().accuracy());
    num(sb, "mae_all", m.all().mae());
    num(sb, "rmse_all", m.all().rmse());
    num(sb, "learning_rate", s.learningRate());
    num(sb, "grad_norm", s.gradNorm());
    sb.append(",\"divergences\":").append(s.divergences()).append(",\"trained_examples\":").append(s.examples());
    return sb.append('}').toString();
  }

  private static void num(StringBuilder sb, String k, double v) {
    sb.append(",\"").append(k).append("\":").append(Double.isFinite(v) ? Double.toString(v) : "null");
  }
}
