package org.streamlearn.stream;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.streamlearn.codec.DecodeResult;
import org.streamlearn.codec.RecordDecoder;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.model.RecordIntake;

/**
 * {@code POST /models/{m}/records} for one model: records checked by the model's own decoder, then
 * produced to its first topic with the runner's producer (acks=all, idempotent), so they are
 * trained like any other record and Kafka stays the log.
 */
final class PostedRecords implements RecordIntake {
  private final ModelConfig mc;
  private final RecordDecoder decoder;
  /** The runner's producer while it runs, else null. */
  private final Supplier<KafkaProducer<byte[], byte[]>> producer;

  PostedRecords(ModelConfig mc, RecordDecoder decoder, Supplier<KafkaProducer<byte[], byte[]>> producer) {
    this.mc = mc;
    this.decoder = decoder;
    this.producer = producer;
  }

  @Override public String format() {
    return mc.input().format().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override public int recordBytes() {
    return mc.input().format() == org.streamlearn.config.InputConfig.Format.F32
        ? 4 * (decoder.features() + decoder.labelWidth()) : 0;
  }

  @Override public String topic() {
    return mc.topics().getFirst();
  }

  @Override public String check(byte[] value) {
    DecodeResult r = decoder.decode(value, new float[decoder.features()], 0, new float[decoder.labelWidth()], 0);
    return r.ok() ? null : r.toString();
  }

  @Override public CompletionStage<Integer> produce(List<byte[]> values) {
    var p = producer.get();
    if (p == null)
      return CompletableFuture.failedFuture(new IllegalStateException("model " + mc.name() + " is not running"));
    var done = new CompletableFuture<Integer>();
    var left = new AtomicInteger(values.size());
    try {
      for (byte[] v : values) {
        p.send(new ProducerRecord<>(topic(), v), (md, e) -> {
          if (e != null) done.completeExceptionally(e);
          else if (left.decrementAndGet() == 0) done.complete(values.size());
        });
      }
    } catch (RuntimeException e) { // closed meanwhile, or metadata not available within max.block.ms
      done.completeExceptionally(e);
    }
    return done;
  }
}
