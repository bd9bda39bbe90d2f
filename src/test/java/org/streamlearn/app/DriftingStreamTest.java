package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.learn.Drift;
import org.streamlearn.stream.EmbeddedKafka;
import org.streamlearn.stream.RunningModel;

/**
 * A stream whose concept changes at a known offset, through the running service and a real broker:
 * two passes over the raw digits, then two passes whose labels are moved by 3 (y → (y + 3) mod 10).
 * Two models see the same records, both with Page-Hinkley (River's defaults) on the prequential loss;
 * one takes no action, the other raises the learning rate threefold for 100 steps. The drift must be
 * detected within 100 records of the change, not before it, be sent as an SSE drift event and counted
 * on /metrics, and the model with the action must recover faster: its prequential accuracy over the
 * first 1008 records after the change must beat the other's by 10 points (in process, seeds 1 and 2:
 * 0.688 / 0.679 against 0.444 / 0.418).
 */
class DriftingStreamTest {
  static final int FIRST = 1008; // 63 batches of 16

  @Test
  @Timeout(240)
  void driftIsDetectedAndTheLrActionRecoversFaster(@TempDir Path dir) throws Exception {
    var d = org.streamlearn.data.Datasets.digits();
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < d.size(); i++) idx.add(i);
    Random r = new Random(1);
    List<byte[]> before = new ArrayList<>(), after = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      Collections.shuffle(idx, r);
      for (int i : idx) {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < 64; j++) sb.append((int) d.pixels()[i][j]).append(',');
        int y = p < 2 ? d.labels()[i] : (d.labels()[i] + 3) % 10;
        (p < 2 ? before : after).add(sb.append(y).toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"))) {
      String bootstrap = kafka.start();
      StringBuilder yaml = new StringBuilder("""
          kafka.bootstrap.servers: "%s"
          http: {host: 127.0.0.1, port: 0}
          progress.interval.ms: 0
          models:
          """.formatted(bootstrap));
      for (String m : new String[] {"plain", "boost"}) {
        yaml.append("""
              %s:
                topics: [%s.train]
                format: csv
                features: 64
                label: {type: class, classes: 10}
                layers: input(64) dense(32) relu dense(10)
                optimizer: {name: adam, lr: 0.003}
                batch.size: 16
                seed: 1
                drift.detector: page_hinkley
                drift.action: %s
                checkpoint.dir: "%s"
            """.formatted(m, m, m.equals("plain") ? "none" : "lr(factor=3, steps=100)",
            dir.resolve("ckpt").toString().replace('\\', '/')));
      }
      Path cfgFile = dir.resolve("drift.yaml");
      Files.writeString(cfgFile, yaml.toString());
      try (Service s = Service.start(ConfigLoader.load(cfgFile, Map.of()))) {
        RunningModel plain = RawFeaturesEndToEndTest.runner(s, "plain"), boost = RawFeaturesEndToEndTest.runner(s, "boost");
        List<Drift> drifts = new CopyOnWriteArrayList<>();
        boost.onDrift(drifts::add);
        for (String m : new String[] {"plain", "boost"}) RawFeaturesEndToEndTest.produce(bootstrap, m + ".train", before);
        int change = before.size();
        await().atMost(Duration.ofSeconds(90)).until(() -> trained(plain) == change && trained(boost) == change);
        assertThat(plain.driftsDetected()).as("drifts before the change").isZero();
        assertThat(boost.driftsDetected()).as("drifts before the change").isZero();
        double hitsPlain = hits(plain), hitsBoost = hits(boost);

        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + s.httpPort();
        var sse = http.send(HttpRequest.newBuilder(URI.create(base + "/models/boost/updates")).build(),
            HttpResponse.BodyHandlers.ofLines());
        // Read the endless stream on a thread of its own until the drift event's data line.
        CompletableFuture<String> driftEvent = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
          try (var lines = sse.body()) {
            boolean next = false;
            for (var it = lines.iterator(); it.hasNext(); ) {
              String line = it.next();
              if (next && line.startsWith("data: ")) {
                driftEvent.complete(line.substring(6));
                return;
              }
              next = line.equals("event: drift");
            }
          } catch (RuntimeException e) {
            driftEvent.completeExceptionally(e);
          }
        });

        for (String m : new String[] {"plain", "boost"})
          RawFeaturesEndToEndTest.produce(bootstrap, m + ".train", after.subList(0, FIRST));
        await().atMost(Duration.ofSeconds(60)).until(() -> trained(plain) == change + FIRST && trained(boost) == change + FIRST);
        double accPlain = (hits(plain) - hitsPlain) / FIRST, accBoost = (hits(boost) - hitsBoost) / FIRST;
        var event = new ObjectMapper().readTree(driftEvent.get(30, TimeUnit.SECONDS));
        reader.interrupt();
        assertThat(drifts).isNotEmpty();
        long delay = drifts.getFirst().examples() - change;
        System.out.printf("drifting digits (labels + 3 after %d records): Page-Hinkley detected the drift in the batch "
            + "starting %d records after the change; prequential accuracy over the first %d records after it: "
            + "lr(factor=3, steps=100) %.4f, no action %.4f%n", change, delay, FIRST, accBoost, accPlain);
        assertThat(delay).as("records from the change to the batch of the detection").isBetween(0L, 99L);
        assertThat(event.get("count").asLong()).isEqualTo(1);
        assertThat(event.get("action").asText()).isEqualTo("lr");
        assertThat(event.get("examples").asLong()).isEqualTo(drifts.getFirst().examples());
        assertThat(plain.driftsDetected()).as("the model without action detects it too").isPositive();
        String metrics = RawFeaturesEndToEndTest.get(http, base + "/metrics").body();
        assertThat(metrics).contains("streamlearn_drift_detected_total{model=\"boost\"} " + boost.driftsDetected() + ".0");
        assertThat(accBoost).as("accuracy after the change with the lr action, against %s without", accPlain)
            .isGreaterThan(accPlain + 0.10);

        for (String m : new String[] {"plain", "boost"})
          RawFeaturesEndToEndTest.produce(bootstrap, m + ".train", after.subList(FIRST, after.size()));
        await().atMost(Duration.ofSeconds(90)).until(() -> trained(plain) == change + after.size()
            && trained(boost) == change + after.size());
        System.out.printf("over all %d records after the change: lr action %.4f, no action %.4f%n", after.size(),
            (hits(boost) - hitsBoost) / after.size(), (hits(plain) - hitsPlain) / after.size());
      }
    }
  }

  /** Examples scored so far. */
  static long trained(RunningModel m) {
    return m.metrics().all().examples();
  }

  /** Examples scored right so far (whole-stream accuracy times examples: exact in double). */
  static double hits(RunningModel m) {
    var a = m.metrics().all();
    return Math.rint(a.accuracy() * a.examples());
  }
}
