package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The artifact as built by {@code mvn package}: the launcher {@code target/streamlearn} finds a JDK
 * 25 through JAVA_HOME or PATH, refuses an older or missing one with a message that says how to point
 * at one, passes the JVM flags the kernels need, and hands the JVM's exit status through; {@code java
 * -jar target/streamlearn.jar} runs on its own (manifest Main-Class and Class-Path to lib/).
 *
 * <p>Runs in pom.xml's {@code artifact} execution (integration-test phase, after package), which
 * names the launcher in the system property {@value #LAUNCHER}.
 */
@EnabledIfSystemProperty(named = LauncherTest.LAUNCHER, matches = ".+",
    disabledReason = "needs the packaged artifact: runs in pom.xml's artifact execution (mvn verify)")
class LauncherTest {
  static final String LAUNCHER = "streamlearn.launcher";
  static final String JDK = System.getProperty("java.home");

  record Run(int code, String out) {}

  /** The launcher with these arguments, JAVA_HOME = this test's JDK, no JAVA_OPTS from outside. */
  static ProcessBuilder launcher(String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty(LAUNCHER)).toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("JAVA_HOME", JDK);
    pb.environment().remove("JAVA_OPTS");
    return pb;
  }

  static Run run(ProcessBuilder pb) throws IOException, InterruptedException {
    Process p = pb.redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes(); // until it exits: the output is small
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", pb.command()).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  @Timeout(60)
  void runsTheJarOnTheJdkOfJavaHomeWithTheKernelsFlags() throws Exception {
    Run v = run(launcher("--version"));
    assertThat(v.code()).as(v.out()).isZero();
    assertThat(v.out()).contains("streamlearn 0.1.0");

    Run check = run(launcher("run", "--check"));
    assertThat(check.code()).as(check.out()).isZero();
    // The flags reached the JVM: the Vector API module is resolved and the kernels are compilation roots.
    assertThat(check.out()).contains("kernels: ").doesNotContain("not resolved").doesNotContain("WARNING: kernels")
        .doesNotContain("The launcher target/streamlearn passes");
  }

  @Test
  @Timeout(60)
  void findsJavaOnPathWithoutJavaHomeAndFollowsASymlinkToItself(@TempDir Path dir) throws Exception {
    Path link = dir.resolve("bin").resolve("streamlearn");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, Path.of(System.getProperty(LAUNCHER)).toAbsolutePath());
    ProcessBuilder pb = new ProcessBuilder(link.toString(), "--version").directory(dir.toFile());
    pb.environment().remove("JAVA_HOME");
    pb.environment().put("PATH", JDK + File.separator + "bin" + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/bin");
    Run r = run(pb);
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("streamlearn 0.1.0");
  }

  @Test
  @Timeout(60)
  void refusesAJavaOlderThan25OrAMissingOneSayingHowToFixIt(@TempDir Path dir) throws Exception {
    // A java that reports version 17, as the JDK 17 `java -version` does (no second JDK is assumed here).
    Path old = dir.resolve("jdk-17");
    Path java = old.resolve("bin").resolve("java");
    Files.createDirectories(java.getParent());
    Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"17.0.15\" 2025-04-15' >&2\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder pb = launcher("--version");
    pb.environment().put("JAVA_HOME", old.toString());
    Run r = run(pb);
    assertThat(r.code()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("needs Java 25 or newer").contains("is Java 17").contains("JAVA_HOME=" + old)
        .contains("set JAVA_HOME to a JDK 25");

    pb = launcher("--version");
    pb.environment().put("JAVA_HOME", dir.resolve("nowhere").toString());
    r = run(pb);
    assertThat(r.code()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("JAVA_HOME=" + dir.resolve("nowhere") + " has no bin/java");
  }

  @Test
  @Timeout(60)
  void passesTheExitStatusOfABadConfigurationThrough(@TempDir Path dir) throws Exception {
    Run r = run(launcher("--config", dir.resolve("missing.yaml").toString()));
    assertThat(r.code()).as(r.out()).isEqualTo(Main.EXIT_CONFIG);
    assertThat(r.out()).contains("missing.yaml not found");
  }

  @Test
  @Timeout(60)
  void theJarRunsWithPlainJavaJarAndSaysWhichFlagsAreMissing() throws Exception {
    Path jar = Path.of(System.getProperty(LAUNCHER)).toAbsolutePath().resolveSibling("streamlearn.jar");
    Run r = run(new ProcessBuilder(Path.of(JDK, "bin", "java").toString(), "-jar", jar.toString(), "run", "--check"));
    assertThat(r.code()).as(r.out()).isZero();
    assertThat(r.out()).contains("effective configuration").contains("kernels: scalar (jdk.incubator.vector not resolved")
        .contains("The launcher target/streamlearn passes the JVM flags they need");
  }
}
