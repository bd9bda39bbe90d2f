package org.streamlearn.docs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.streamlearn.docs.DocExamples.Command;
import org.streamlearn.docs.DocExamples.Example;

/**
 * Runs examples as a reader would paste them: a console block's commands in one bash, in order, a
 * python block with the given interpreter, both in one working directory, with the pages' addresses
 * (localhost:8080, 127.0.0.1:9092) replaced by the service's.
 */
final class ExampleRunner {
  private static final String END = "@@doc-example-exit";
  private static final Pattern ENDS = Pattern.compile("\n?" + END + " (\\d+)@@\n");
  private final Path work;
  private final int httpPort, kafkaPort;
  private final Map<String, String> env;

  ExampleRunner(Path work, int httpPort, int kafkaPort, Map<String, String> env) {
    this.work = work;
    this.httpPort = httpPort;
    this.kafkaPort = kafkaPort;
    this.env = env;
  }

  String addresses(String s) {
    return s.replace("localhost:8080", "127.0.0.1:" + httpPort).replace("127.0.0.1:8080", "127.0.0.1:" + httpPort)
        .replace("127.0.0.1:9092", "127.0.0.1:" + kafkaPort).replace("localhost:9092", "127.0.0.1:" + kafkaPort);
  }

  /** Problems of a console block, each naming file and line; empty when every command answered as shown. */
  List<String> console(Example e) throws Exception {
    StringBuilder script = new StringBuilder("exec 2>&1\n");
    for (Command c : e.commands()) {
      script.append(addresses(c.text())).append('\n').append("printf '\\n").append(END).append(" %d@@\\n' $?\n");
    }
    Result r = run(List.of("bash", write("example.sh", script.toString()).toString()), 90);
    List<String> problems = new ArrayList<>();
    Matcher m = ENDS.matcher(r.out());
    int from = 0;
    for (Command c : e.commands()) {
      String where = e.file() + ":" + c.line();
      if (!m.find()) {
        problems.add(where + ": `" + c.text() + "` did not finish (exit " + r.exit() + "); output:\n" + r.out().substring(from));
        break;
      }
      String out = r.out().substring(from, m.start());
      from = m.end();
      int exit = Integer.parseInt(m.group(1));
      boolean timedOut = exit == 28 && c.text().contains("--max-time"); // curl's "ran out of time", asked for
      if (exit != 0 && !timedOut) {
        problems.add(where + ": `" + c.text() + "` exited with " + exit + "; output:\n" + out);
        continue;
      }
      String mismatch = ExpectedOutput.mismatch(c.expected(), out);
      if (mismatch != null) problems.add(where + ": `" + cut(c.text()) + "`: " + mismatch);
    }
    return problems;
  }

  /** Problems of a python block: it must exit 0 and print what the text block after it shows. */
  List<String> python(Example e, String python) throws Exception {
    Result r = run(List.of(python, write("example.py", addresses(e.code())).toString()), 90);
    if (r.exit() != 0) return List.of(e.where() + ": python exited with " + r.exit() + "; output:\n" + r.out());
    String mismatch = e.expected() == null ? null : ExpectedOutput.mismatchExactLines(e.expected(), r.out());
    return mismatch == null ? List.of() : List.of(e.where() + ": python output: " + mismatch);
  }

  private record Result(int exit, String out) {}

  private Path write(String name, String text) throws Exception {
    Path f = work.resolve(name);
    Files.writeString(f, text);
    return f;
  }

  private Result run(List<String> cmd, int seconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    var bytes = new java.io.ByteArrayOutputStream();
    Thread reader = Thread.ofPlatform().daemon(true).start(() -> {
      try (var in = p.getInputStream()) {
        in.transferTo(bytes);
      } catch (java.io.IOException ignored) {
        // killed
      }
    });
    boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
    if (!done) {
      p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(10_000);
    String out = bytes.toString(StandardCharsets.UTF_8);
    return done ? new Result(p.exitValue(), out) : new Result(-1, out + "\n(killed after " + seconds + " s)");
  }

  private static String cut(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }
}
