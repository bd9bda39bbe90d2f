package org.streamlearn.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the command-line tools the dashboards and Docker files are checked with (promtool, docker-compose, shellcheck). */
final class Tools {
  record Run(int code, String output) {}

  private Tools() {}

  /** Runs a command to completion (stdout and stderr together), failing the test if it cannot start or hangs. */
  static Run run(Path dir, List<String> cmd) throws IOException, InterruptedException {
    Path log = Files.createTempFile("sl-tool", ".log");
    try {
      Process p;
      try {
        p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      } catch (IOException e) {
        throw new AssertionError(cmd.getFirst() + " is not installed (CI installs it in .ci/run: apt-get install "
            + "prometheus docker-compose shellcheck): " + e.getMessage(), e);
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish within 60 s");
      }
      return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** Runs a command and asserts exit status 0, showing its output otherwise; returns the output. */
  static String ok(Path dir, String... cmd) throws IOException, InterruptedException {
    Run r = run(dir, List.of(cmd));
    assertThat(r.code()).as(String.join(" ", cmd) + " exited with " + r.code() + ":\n" + r.output()).isZero();
    return r.output();
  }
}
