package org.streamlearn.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.streamlearn.app.Main;
import org.streamlearn.config.ConfigKeys;

/**
 * The service as a user runs it: a child JVM of {@link Main} with the kernels' flags, working in its
 * own directory (data/ lands there), HTTP and the embedded broker on free loopback ports, which it
 * reads from the service's output.
 */
record ServiceProcess(Process p, List<String> out, int httpPort, int kafkaPort) implements AutoCloseable {
  private static final Pattern HTTP = Pattern.compile("HTTP on http://127\\.0\\.0\\.1:(\\d+)/");
  /** The banner's "Kafka: <bootstrap>" line, or the embedded broker's start-up log line. */
  private static final Pattern KAFKA = Pattern.compile("(?i)(?:^Kafka:|kafka broker on) 127\\.0\\.0\\.1:(\\d+)");

  /**
   * Starts the service with this configuration text, or with the embedded default when it is null;
   * with this control token, or none when it is null.
   */
  static ServiceProcess start(Path dir, String configYaml, String controlToken) throws Exception {
    Files.createDirectories(dir);
    List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC",
        "-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("STREAMLEARN_"));
    if (configYaml != null) {
      Path cfg = dir.resolve("config.yaml");
      Files.writeString(cfg, configYaml);
      pb.environment().put("STREAMLEARN_CONFIG", cfg.toString());
    }
    pb.environment().put("STREAMLEARN_HTTP_PORT", "0");
    if (controlToken != null) pb.environment().put("STREAMLEARN_HTTP_CONTROL_TOKEN", controlToken);
    boolean hasEmbeddedPort = ConfigKeys.GLOBAL.keys().stream().anyMatch(k -> k.name().equals("kafka.embedded.port"));
    if (hasEmbeddedPort) pb.environment().put("STREAMLEARN_KAFKA_EMBEDDED_PORT", "0"); // never 9092 in a test
    Process p = pb.start();
    List<String> out = new CopyOnWriteArrayList<>();
    Thread.ofPlatform().daemon(true).name("doc-service-out").start(() -> {
      try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) out.add(l);
      } catch (Exception ignored) {
        // the process ended
      }
    });
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int http = -1, kafka = -1;
    while (http < 0 || kafka < 0) {
      assertThat(p.isAlive()).as("service alive while starting; output:%n%s", String.join("\n", out)).isTrue();
      assertThat(System.nanoTime()).as("service printed its HTTP and Kafka ports; output:%n%s", String.join("\n", out))
          .isLessThan(until);
      Thread.sleep(100);
      http = DocExamplesTest.firstMatch(out, HTTP);
      kafka = DocExamplesTest.firstMatch(out, KAFKA);
    }
    return new ServiceProcess(p, out, http, kafka);
  }

  String output() {
    return String.join("\n", out);
  }

  void assertAlive() {
    assertThat(p.isAlive()).as("service alive; output:%n%s", output()).isTrue();
  }

  @Override public void close() throws InterruptedException {
    p.toHandle().destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.toHandle().destroyForcibly();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }
}
