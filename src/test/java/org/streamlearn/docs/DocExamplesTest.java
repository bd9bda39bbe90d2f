package org.streamlearn.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.app.Main;
import org.streamlearn.docs.DocExamples.Example;
import org.streamlearn.docs.DocExamples.Kind;
import org.streamlearn.docs.DocExamples.Mark;
import org.yaml.snakeyaml.Yaml;

/**
 * Runs every example of README.md and src/site/markdown/*.md (the convention is in testing.md)
 * against the real service: a child JVM with the embedded default configuration, or with the
 * page's {@code config} example for the examples that name its models; the embedded broker, free ports. Fails naming the file and
 * line of each example whose answer differs from the page.
 */
class DocExamplesTest {
  static final Path SITE = Path.of("src/site/markdown");
  static final String PYTHON = "/usr/bin/python3";

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES) // two service starts on a loaded machine
  void everyExampleAnswersAsThePageSays(@TempDir Path dir) throws Exception {
    List<DocExamples> pages = pages();
    List<Example> all = pages.stream().flatMap(p -> p.examples().stream()).toList();
    System.out.println("doc examples: " + all.size() + " in " + pages.size() + " pages");
    List<String> failures = new ArrayList<>(), pending = new ArrayList<>(), skipped = new ArrayList<>();
    assertThat(all).as("examples found").extracting(Example::kind).contains(Kind.CONSOLE, Kind.PYTHON, Kind.CONFIG);

    Path work = Files.createDirectories(dir.resolve("work"));
    // Configuration examples first, in process: the service below runs their models.
    for (Example e : all) {
      if (e.kind() == Kind.CONFIG || e.kind() == Kind.CONFIG_ERROR) record(e, config(e, work), failures, pending);
    }
    // Examples naming a model of a config example run against a service started with that file,
    // as the page says; the others against the embedded default (no --config: what a bare start runs).
    Map<String, String> ownConfigs = ownConfigs(all);
    List<Example> onDefault = all.stream().filter(e -> modelOf(e, ownConfigs) == null).toList();
    runAll(onDefault, null, true, dir.resolve("default"), work, failures, pending, skipped);
    for (var c : new java.util.LinkedHashSet<>(ownConfigs.values())) {
      List<Example> on = all.stream().filter(e -> c.equals(ownConfigs.get(modelOf(e, ownConfigs)))).toList();
      runAll(on, c, false, dir.resolve("own" + c.hashCode()), work, failures, pending, skipped);
    }
    System.out.println("doc examples skipped: " + skipped);
    System.out.println("doc examples pending (feature not built; they fail as expected): " + pending);
    assertThat(failures).as("examples whose answer differs from the page").isEmpty();
  }

  @Test
  void readmeFitsOnAPage() throws Exception {
    assertThat(Files.readAllLines(Path.of("README.md"))).as("README.md lines (the reference goes to " + SITE + ")")
        .hasSizeLessThanOrEqualTo(300);
  }

  private static void record(Example e, List<String> problems, List<String> failures, List<String> pending) {
    if (e.mark() == Mark.PENDING) {
      if (problems.isEmpty()) failures.add(e.where() + ": marked pending (" + e.reason() + ") but passes now: remove the mark");
      else pending.add(e.where() + " (" + e.reason() + "): " + problems.getFirst());
    } else {
      failures.addAll(problems);
    }
  }

  static List<DocExamples> pages() throws Exception {
    List<DocExamples> out = new ArrayList<>();
    out.add(DocExamples.parse(Path.of("README.md")));
    try (Stream<Path> s = Files.list(SITE)) {
      for (Path p : s.filter(f -> f.toString().endsWith(".md")).sorted().toList()) out.add(DocExamples.parse(p));
    }
    return out;
  }

  /** A config example must pass {@code run --check}; a config-error example must fail it with the page's message. */
  private static List<String> config(Example e, Path work) throws Exception {
    String name = e.code().lines().findFirst().filter(l -> l.startsWith("# ")).map(l -> l.substring(2).strip())
        .orElse("example.yaml");
    Path f = work.resolve(name);
    Files.writeString(f, e.code());
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code = Main.execute(new String[] {"run", "--check", "--config", f.toString()}, Map.of(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String msg = err.toString(StandardCharsets.UTF_8).replace(f.toString(), name).strip();
    if (e.kind() == Kind.CONFIG) {
      return code == 0 ? List.of() : List.of(e.where() + ": configuration example refused (exit " + code + "): " + msg);
    }
    String want = e.expected().strip();
    if (code == 2 && msg.equals(want)) return List.of();
    return List.of(e.where() + ": expected exit status 2 and\n  " + want + "\ngot exit status " + code + " and\n  " + msg);
  }

  private static void runAll(List<Example> examples, String config, boolean demo, Path dir, Path work,
      List<String> failures, List<String> pending, List<String> skipped) throws Exception {
    if (examples.stream().noneMatch(e -> e.kind() == Kind.CONSOLE || e.kind() == Kind.PYTHON)) return;
    // A control token only where the pages use one, as a reader following them would start it.
    boolean usesToken = examples.stream().anyMatch(e -> e.code().contains("STREAMLEARN_HTTP_CONTROL_TOKEN"));
    String token = usesToken ? HexFormat.of().formatHex(randomBytes(16)) : null;
    try (ServiceProcess s = ServiceProcess.start(dir, config, token)) {
      if (demo) awaitFirstVersions(s);
      var run = new ExampleRunner(work, s.httpPort(), s.kafkaPort(),
          token == null ? Map.of() : Map.of("STREAMLEARN_HTTP_CONTROL_TOKEN", token));
      for (Example e : examples) {
        if (e.mark() == Mark.SKIP) {
          skipped.add(e.where() + " (" + e.reason() + ")");
          continue;
        }
        List<String> problems = run(run, e);
        if (!problems.isEmpty() && e.mark() != Mark.PENDING) {
          // Once more: a new version published between two commands (an ETag, then If-None-Match)
          // is the service working, not the page being wrong. A page that is wrong fails twice.
          System.out.println("doc example " + e.where() + " failed once, run again: " + problems);
          problems = run(run, e);
        }
        record(e, problems, failures, pending);
      }
    }
  }

  private static List<String> run(ExampleRunner run, Example e) throws Exception {
    return e.kind() == Kind.CONSOLE ? run.console(e) : e.kind() == Kind.PYTHON ? run.python(e, PYTHON) : List.of();
  }

  /** Model name → the text of the config example that defines it. */
  @SuppressWarnings("unchecked")
  private static Map<String, String> ownConfigs(List<Example> all) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Example e : all) {
      if (e.kind() != Kind.CONFIG) continue;
      Map<String, Object> doc = new Yaml().load(e.code());
      for (String m : ((Map<String, Object>) doc.getOrDefault("models", Map.of())).keySet()) out.put(m, e.code());
    }
    return out;
  }

  /** The model of a config example that a console or python example names (in a path or topic), or null. */
  private static String modelOf(Example e, Map<String, String> ownConfigs) {
    if (e.kind() != Kind.CONSOLE && e.kind() != Kind.PYTHON) return null;
    for (String m : ownConfigs.keySet()) {
      if (Pattern.compile("/models/" + Pattern.quote(m) + "\\b|\\b" + Pattern.quote(m) + "\\.train\\b").matcher(e.code()).find()) return m;
    }
    return null;
  }

  /** Waits until every demo model has published a version, so the examples see a trained service. */
  private static void awaitFirstVersions(ServiceProcess s) throws Exception {
    var client = HttpClient.newHttpClient();
    var mapper = new ObjectMapper();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      s.assertAlive();
      try {
        var r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpPort() + "/models")).build(),
            HttpResponse.BodyHandlers.ofString());
        JsonNode models = mapper.readTree(r.body());
        Map<String, Boolean> published = new LinkedHashMap<>();
        for (JsonNode m : models) published.put(m.get("name").asText(), !m.get("version").isNull());
        if (published.get("digits") == Boolean.TRUE && published.get("co2") == Boolean.TRUE) return;
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      assertThat(System.nanoTime()).as("digits and co2 published a first version; output:%n%s", s.output())
          .isLessThan(until);
      Thread.sleep(200);
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  /** The first group of the first output line matching p, or -1. */
  static int firstMatch(List<String> lines, Pattern p) {
    for (String l : lines) {
      Matcher m = p.matcher(l);
      if (m.find()) return Integer.parseInt(m.group(1));
    }
    return -1;
  }
}
