package org.streamlearn.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.data.Datasets;

/**
 * Streams a bundled data set into a topic as CSV lines at a steady rate, looping forever, on its own
 * thread. The lines match the demo models' configuration (format csv, label in the last column):
 *
 * <ul>
 *   <li>{@code digits}: the 64 pixels scaled from 0–16 to [0, 1] (divided by 16, so the model sees
 *       inputs of unit scale without a normalisation layer), then the class 0–9; each pass over the
 *       1,797 images in a fresh order (seeded).
 *   <li>{@code co2}: windows of 52 weekly values relative to the window's last value in units of
 *       2 ppm, then the target: the value 4 weeks after the window minus the last value, same units
 *       (the transform with which the LSTM beats persistence in ConvergenceTest). Windows go in time
 *       order; missing weeks are interpolated for inputs, and windows whose target week is missing
 *       are left out.
 * </ul>
 */
public final class DemoProducer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoProducer.class);
  public static final int CO2_WINDOW = 52, CO2_HORIZON = 4;
  public static final float CO2_SCALE = 2f;

  private final String topic;
  private final List<byte[]> lines;
  private final double rate;
  private final long seed;
  private final boolean shuffle; // digits: a fresh order per pass; co2: time order
  private final KafkaProducer<byte[], byte[]> producer;
  private volatile boolean running = true;
  private volatile long sent;
  private final Thread thread;

  /** @param source digits or co2; @param rate records per second */
  public DemoProducer(KafkaClients kafka, String source, String topic, double rate, long seed) {
    this.topic = topic;
    this.rate = rate;
    this.seed = seed;
    this.shuffle = source.equals("digits");
    this.lines = switch (source) {
      case "digits" -> digitsLines();
      case "co2" -> co2Lines();
      default -> throw new IllegalArgumentException("no demo stream for data set '" + source + "'; have digits, co2");
    };
    this.producer = new KafkaProducer<>(kafka.config(Map.of(ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.CLIENT_ID_CONFIG, "streamlearn-demo-" + topic)), new ByteArraySerializer(), new ByteArraySerializer());
    this.thread = Thread.ofPlatform().name("sl-demo-" + topic).daemon(true).start(this::run);
    log.info("demo stream {} → topic {} at {} records/s", source, topic, rate);
  }

  public long sent() {
    return sent;
  }

  private void run() {
    Random order = new Random(seed);
    int[] idx = new int[lines.size()];
    for (int i = 0; i < idx.length; i++) idx[i] = i;
    long start = System.nanoTime(), n = 0;
    try {
      while (running) {
        if (shuffle) for (int i = idx.length - 1; i > 0; i--) {
          int j = order.nextInt(i + 1), t = idx[i];
          idx[i] = idx[j];
          idx[j] = t;
        }
        for (int k = 0; k < idx.length && running; k++) {
          long due = start + (long) (n * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 0) LockSupport.parkNanos(wait);
          producer.send(new ProducerRecord<>(topic, lines.get(idx[k])));
          sent = ++n;
        }
      }
    } catch (RuntimeException e) {
      if (running) log.warn("demo stream into {} stopped: {}", topic, e.toString());
    }
  }

  @Override public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(java.time.Duration.ofSeconds(2));
  }

  /** One digits CSV line: pixels / 16 then the label. */
  public static byte[] digitsLine(float[] pixels, int label) {
    StringBuilder sb = new StringBuilder(64 * 7);
    for (float p : pixels) sb.append(fmt(p / 16f)).append(',');
    return sb.append(label).toString().getBytes(StandardCharsets.US_ASCII);
  }

  public static List<byte[]> digitsLines() {
    Datasets.Digits d = Datasets.digits();
    List<byte[]> out = new ArrayList<>(d.size());
    for (int i = 0; i < d.size(); i++) out.add(digitsLine(d.pixels()[i], d.labels()[i]));
    return out;
  }

  /** Every co2 window whose target week was observed, in time order. */
  public static List<byte[]> co2Lines() {
    Datasets.Series s = Datasets.co2();
    double[] v = s.filled();
    List<byte[]> out = new ArrayList<>();
    for (int t = CO2_WINDOW - 1; t + CO2_HORIZON < v.length; t++) {
      if (Double.isNaN(s.raw()[t + CO2_HORIZON])) continue;
      StringBuilder sb = new StringBuilder(CO2_WINDOW * 8);
      for (int i = 0; i < CO2_WINDOW; i++) sb.append(fmt((float) ((v[t - CO2_WINDOW + 1 + i] - v[t]) / CO2_SCALE))).append(',');
      sb.append(fmt((float) ((v[t + CO2_HORIZON] - v[t]) / CO2_SCALE)));
      out.add(sb.toString().getBytes(StandardCharsets.US_ASCII));
    }
    return out;
  }

  private static String fmt(float f) {
    return f == 0f ? "0" : Float.toString(f);
  }
}
