package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A Java main in a child JVM with this test's class path and the kernels' flags, its output (stdout
 * and stderr) collected line by line, so a test can wait for a line, SIGKILL it, SIGTERM it.
 */
record ChildJvm(String name, Process p, List<String> out, Thread reader) implements AutoCloseable {
  static ChildJvm start(String name, Class<?> main, Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow",
        "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-XX:+UseSerialGC",
        "-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,org.streamlearn.kernels.Simd*::*", "-XX:CompileCommand=inline,org.streamlearn.kernels.VectorMath::*",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    List<String> out = new CopyOnWriteArrayList<>();
    Thread reader = Thread.ofPlatform().daemon(true).name("out-" + name).start(() -> {
      try (var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) out.add(l);
      } catch (Exception ignored) {
        // the process ended
      }
    });
    return new ChildJvm(name, p, out, reader);
  }

  /** The service ({@link Main}) with this config file and bootstrap servers, from the environment. */
  static ChildJvm service(String name, java.nio.file.Path config, String bootstrap) throws Exception {
    return start(name, Main.class, Map.of("STREAMLEARN_CONFIG", config.toString(),
        "STREAMLEARN_KAFKA_BOOTSTRAP_SERVERS", bootstrap));
  }

  String output() {
    return String.join("\n", out);
  }

  /** Waits until cond holds, failing with the child's output if it dies or the time runs out. */
  void await(int seconds, String what, BooleanSupplier cond) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!cond.getAsBoolean()) {
      assertThat(p.isAlive()).as("%s alive while waiting for %s; output:%n%s", name, what, output()).isTrue();
      assertThat(System.nanoTime()).as("%s: timed out waiting for %s; output:%n%s", name, what, output()).isLessThan(until);
      Thread.sleep(50);
    }
  }

  /** The first output line containing s, once it appears. */
  String awaitLine(int seconds, String s) throws InterruptedException {
    await(seconds, "a line with '" + s + "'", () -> out.stream().anyMatch(l -> l.contains(s)));
    return out.stream().filter(l -> l.contains(s)).findFirst().orElseThrow();
  }

  /** SIGKILL, and wait until it is gone. */
  void kill() throws InterruptedException {
    p.toHandle().destroyForcibly();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("%s gone after SIGKILL", name).isTrue();
  }

  /** SIGTERM (a graceful stop, exit status 0: see StopSignals), and wait for the exit status. */
  int terminate(int seconds) throws InterruptedException {
    p.toHandle().destroy();
    assertThat(p.waitFor(seconds, TimeUnit.SECONDS)).as("%s stopped after SIGTERM; output:%n%s", name, output()).isTrue();
    return p.exitValue();
  }

  @Override public void close() throws InterruptedException {
    p.destroyForcibly();
    reader.join(5000);
  }
}
