package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.codec.SafeTensors;
import org.streamlearn.stream.EmbeddedKafka;

/**
 * The real thing, as a user runs it: the built artifact through its launcher ({@code target/streamlearn},
 * which runs {@code target/streamlearn.jar}) with no arguments (embedded broker, demo streams, both
 * models), stopped with SIGTERM. It must stop within the configured time with exit status 0, having
 * published a last weights version whose input offsets equal the offsets committed for the consumer
 * group: what the last version covers is exactly what a restart will skip.
 *
 * <p>Runs in the {@code artifact} execution of pom.xml (integration-test phase, after package), which
 * names the launcher in {@code streamlearn.launcher}: {@code ./mvnw -B -Dtest=SigtermTest
 * -Dsurefire.failIfNoSpecifiedTests=false verify}.
 */
@EnabledIfSystemProperty(named = LauncherTest.LAUNCHER, matches = ".+",
    disabledReason = "needs the packaged artifact: runs in pom.xml's artifact execution (mvn verify)")
class SigtermTest {
  @Test
  @Timeout(150)
  void sigtermPublishesALastVersionCommitsWhatItCoversAndExits0(@TempDir Path dir) throws Exception {
    Path kafkaDir = dir.resolve("kafka");
    ProcessBuilder pb = LauncherTest.launcher().redirectErrorStream(true);
    pb.environment().put("JAVA_OPTS", "-Xmx768m");
    pb.environment().putAll(Map.of("STREAMLEARN_KAFKA_EMBEDDED_DIR", kafkaDir.toString(), "STREAMLEARN_HTTP_PORT", "0",
        "STREAMLEARN_DEMO_RATE", "1000", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0",
        "STREAMLEARN_SHUTDOWN_TIMEOUT_MS", "10000"));
    pb.environment().put("STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString());
    pb.environment().put("STREAMLEARN_KAFKA_EMBEDDED_PORT", "0"); // tests run side by side: never 9092
    pb.environment().put("STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString());
    Process p = pb.start();
    List<String> out = new CopyOnWriteArrayList<>();
    Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
      try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) out.add(l);
      } catch (Exception ignored) {
        // the process ended
      }
    });
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (out.stream().noneMatch(l -> l.contains("Streamlearn is running")) && p.isAlive() && System.nanoTime() < deadline)
        Thread.sleep(100);
      assertThat(out).as("child output:%n%s", String.join("\n", out)).anyMatch(l -> l.contains("Streamlearn is running"));
      Thread.sleep(5000); // let it train and publish
      long t0 = System.nanoTime();
      p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
      assertThat(p.waitFor(40, TimeUnit.SECONDS)).as("stopped after SIGTERM; output:%n%s", String.join("\n", out)).isTrue();
      System.out.printf("stopped %d ms after SIGTERM, exit %d%n", (System.nanoTime() - t0) / 1_000_000, p.exitValue());
      assertThat(p.exitValue()).as("exit status after SIGTERM (a clean stop); output:%n%s", String.join("\n", out)).isZero();
      assertThat(out).as("the stop was the signal's").anyMatch(l -> l.contains("SIGTERM received: stopping"));
    } finally {
      p.destroyForcibly();
      reader.join(5000);
    }
    // The child logged the version each model stopped at.
    Pattern stopped = Pattern.compile("model digits: stopped at weights version (\\d+)");
    long loggedVersion = out.stream().map(stopped::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1)))
        .findFirst().orElseThrow(() -> new AssertionError("no 'stopped at weights version' line:\n" + String.join("\n", out)));
    assertThat(loggedVersion).isPositive();

    // Its broker's data, read back with a broker of our own on the same directory.
    try (EmbeddedKafka broker = new EmbeddedKafka(kafkaDir)) {
      String bootstrap = broker.start();
      ConsumerRecord<byte[], byte[]> last = null;
      TopicPartition wtp = new TopicPartition("digits.weights", 0);
      try (var c = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.assign(List.of(wtp));
        c.seekToBeginning(List.of(wtp));
        long end = c.endOffsets(List.of(wtp)).get(wtp);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (c.position(wtp) < end && System.nanoTime() < until)
          for (var rec : c.poll(Duration.ofMillis(500))) last = rec;
      }
      assertThat(last).as("a weights version on digits.weights").isNotNull();
      Map<String, String> meta = SafeTensors.read(last.value()).metadata();
      assertThat(Long.parseLong(meta.get("version"))).as("last published version = version at stop").isEqualTo(loggedVersion);
      Matcher off = Pattern.compile("\"digits\\.train-0\":(\\d+)").matcher(meta.get("offsets"));
      assertThat(off.find()).as("offsets metadata %s", meta.get("offsets")).isTrue();
      long covered = Long.parseLong(off.group(1));
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        var committed = admin.listConsumerGroupOffsets("streamlearn-digits").partitionsToOffsetAndMetadata().get()
            .get(new TopicPartition("digits.train", 0));
        assertThat(committed).as("committed offset of streamlearn-digits").isNotNull();
        System.out.printf("last version %d covers digits.train-0 up to %d; committed %d%n", loggedVersion, covered,
            committed.offset());
        assertThat(committed.offset()).as("committed = covered by the last version").isEqualTo(covered);
        assertThat(covered).isGreaterThan(1000);
      }
    }
  }
}
