package org.streamlearn.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Docker files without a Docker engine: docker-compose validates the compose file (and rejects a
 * broken one), the compose services wire Kafka, Streamlearn, Prometheus and Grafana together as the
 * configuration files expect, and the Dockerfile has the runtime properties the issue asks for and
 * runs the artifact of {@code mvn package} through its launcher, which carries the JVM flags of pom.xml.
 * The image's shell code (its RUN instructions and the launcher) passes ShellCheck, which is what
 * hadolint runs on RUN instructions; hadolint itself has no package this project's machines can install.
 */
class DockerFilesTest {
  static final Path DOCKER = Path.of("docker");

  @Test
  void dockerComposeValidatesTheComposeFile() throws Exception {
    String out = Tools.ok(Path.of("."), "docker-compose", "-f", "docker/compose.yaml", "config");
    Map<String, Object> resolved = new Yaml().load(out);
    @SuppressWarnings("unchecked") var services = (Map<String, Object>) resolved.get("services");
    assertThat(services).containsKeys("kafka", "streamlearn", "prometheus", "grafana");
  }

  @Test
  void dockerComposeRejectsABrokenComposeFile(@TempDir Path dir) throws Exception {
    // The validation can fail: the same file with a misspelt service key.
    Files.writeString(dir.resolve("compose.yaml"), Files.readString(DOCKER.resolve("compose.yaml"))
        .replace("    depends_on:\n      kafka:", "    depends_onn:\n      kafka:"));
    Tools.Run r = Tools.run(dir, List.of("docker-compose", "-f", "compose.yaml", "config", "-q"));
    assertThat(r.code()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("depends_onn");
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeWiresTheStackTogether() throws Exception {
    Map<String, Object> c = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
    var services = (Map<String, Map<String, Object>>) c.get("services");

    var kafka = services.get("kafka");
    assertThat((String) kafka.get("image")).startsWith("apache/kafka:");
    var kenv = (Map<String, Object>) kafka.get("environment");
    assertThat(kenv).containsEntry("KAFKA_PROCESS_ROLES", "broker,controller");
    assertThat((String) kenv.get("KAFKA_ADVERTISED_LISTENERS")).contains("PLAINTEXT://kafka:9092");

    var sl = services.get("streamlearn");
    var env = (Map<String, Object>) sl.get("environment");
    assertThat(env).containsEntry("STREAMLEARN_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092").containsEntry("STREAMLEARN_HTTP_HOST", "0.0.0.0");
    assertThat((List<String>) sl.get("ports")).contains("8080:8080");
    assertThat((List<String>) sl.get("volumes")).contains("../config:/app/config:ro");
    assertThat(String.join(" ", (List<String>) sl.get("command"))).contains("--config /app/config/streamlearn.yaml");
    assertThat(((Map<String, Object>) sl.get("build")).get("dockerfile")).isEqualTo("docker/Dockerfile");
    // The mounted configuration turns the demo streams on, so the dashboards show something.
    Map<String, Object> slCfg = new Yaml().load(Files.readString(Path.of("config/streamlearn.yaml")));
    assertThat(((Map<String, Object>) slCfg.get("demo")).get("enabled")).isEqualTo(true);

    // Prometheus scrapes streamlearn:8080 with the mounted config; Grafana gets the provisioning and dashboards.
    var prom = services.get("prometheus");
    assertThat((List<String>) prom.get("volumes")).anyMatch(v -> v.startsWith("../config/prometheus:/etc/prometheus"));
    assertThat(String.join(" ", (List<String>) prom.get("command"))).contains("--config.file=/etc/prometheus/prometheus.yml");
    assertThat((List<String>) prom.get("ports")).contains("9090:9090");
    Map<String, Object> promCfg = new Yaml().load(Files.readString(Path.of("config/prometheus/prometheus.yml")));
    assertThat(promCfg.toString()).contains("streamlearn:8080").contains("scrape_interval=5s").contains("rules.yml");

    var grafana = services.get("grafana");
    assertThat((List<String>) grafana.get("volumes")).contains("../dashboards/provisioning:/etc/grafana/provisioning:ro",
        "../dashboards:" + ProvisioningPaths.GRAFANA_DASHBOARDS_DIR + ":ro");
    assertThat((List<String>) grafana.get("ports")).contains("3000:3000");
  }

  @Test
  void dockerfileBuildsOnTemurin25AndRunsAsNonRootWithAHealthCheck() throws Exception {
    String df = Files.readString(DOCKER.resolve("Dockerfile"));
    List<String> froms = instructions(df, "FROM");
    assertThat(froms).as("multi-stage").hasSizeGreaterThanOrEqualTo(2);
    assertThat(froms.getFirst()).containsIgnoringCase("temurin-25").contains(" AS build");
    assertThat(froms.getLast()).matches("eclipse-temurin:25-jre.*");
    List<String> users = instructions(df, "USER");
    assertThat(users).isNotEmpty();
    assertThat(users.getLast()).as("final USER").isNotIn("root", "0", "0:0", "root:root");
    assertThat(instructions(df, "HEALTHCHECK")).singleElement().asString().contains("/ready").contains("8080");
    assertThat(instructions(df, "EXPOSE")).contains("8080");
    assertThat(df).contains("/app/config/streamlearn.yaml");
  }

  @Test
  void theImageRunsTheBuiltArtifactThroughTheLauncherWithTheFlagsOfThePom() throws Exception {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertThat(instructions(dockerfile, "RUN")).anyMatch(r -> r.matches(".*mvn .*-DskipTests package.*"));
    assertThat(instructions(dockerfile, "COPY")).contains("--from=build /src/target/lib/ /app/lib/",
        "--from=build /src/target/streamlearn.jar /src/target/streamlearn /app/");
    assertThat(instructions(dockerfile, "ENTRYPOINT")).containsExactly("[\"/app/streamlearn\"]");
    assertThat(instructions(dockerfile, "CMD").getLast()).contains("\"run\", \"--config\", \"/app/config/streamlearn.yaml\"");

    // The launcher the build writes (process-resources, before the tests) carries pom.xml's flags verbatim.
    Matcher m = Pattern.compile("<sl\\.jvmFlags>([^<]*)</sl\\.jvmFlags>").matcher(Files.readString(Path.of("pom.xml")));
    assertThat(m.find()).as("pom.xml defines sl.jvmFlags").isTrue();
    String flags = m.group(1).trim();
    assertThat(flags).contains("--add-modules jdk.incubator.vector", "dontinline,org.streamlearn.kernels.Simd*::*",
        "inline,org.streamlearn.kernels.VectorMath::*");
    assertThat(Files.readString(Path.of("src/main/launcher/streamlearn"))).contains("flags='@sl.jvmFlags@'");
    Path built = Path.of("target", "streamlearn");
    assertThat(Files.readString(built)).contains("flags='" + flags + "'").doesNotContain("@sl.jvmFlags@");
    assertThat(Files.isExecutable(built)).as("%s is executable", built).isTrue();
  }

  @Test
  void shellcheckPassesTheShellCodeOfTheImage(@TempDir Path dir) throws Exception {
    Path run = runInstructions(Files.readString(DOCKER.resolve("Dockerfile")), dir.resolve("run.sh"));
    Tools.ok(Path.of("."), "shellcheck", "--shell=sh", run.toString(), "src/main/launcher/streamlearn");
  }

  @Test
  void shellcheckRejectsAnUnquotedExpansionInARunInstruction(@TempDir Path dir) throws Exception {
    // The check can fail: the same Dockerfile with a RUN that splits a path on spaces (SC2086).
    String broken = Files.readString(DOCKER.resolve("Dockerfile"))
        .replace("WORKDIR /app\n", "WORKDIR /app\nRUN cp $APP_DIR/x /app/x\n");
    Path run = runInstructions(broken, dir.resolve("run.sh"));
    Tools.Run r = Tools.run(Path.of("."), List.of("shellcheck", "--shell=sh", run.toString()));
    assertThat(r.code()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("SC2086");
  }

  /** The RUN instructions (shell form, their --mount style flags dropped) as one sh script, for ShellCheck. */
  static Path runInstructions(String dockerfile, Path script) throws Exception {
    List<String> runs = instructions(dockerfile, "RUN");
    assertThat(runs).isNotEmpty().noneMatch(r -> r.startsWith("["));
    StringBuilder sh = new StringBuilder("#!/bin/sh\nset -e\n");
    for (String r : runs) sh.append(r.replaceFirst("^(--\\S+\\s+)*", "")).append('\n');
    return Files.writeString(script, sh.toString());
  }

  /** Arguments of every instruction of that name, continuation lines joined. */
  static List<String> instructions(String dockerfile, String name) {
    List<String> out = new ArrayList<>();
    String joined = dockerfile.replaceAll("\\\\\\r?\\n", " ");
    for (String line : joined.split("\\r?\\n")) {
      String l = line.strip();
      if (l.regionMatches(true, 0, name + " ", 0, name.length() + 1)) out.add(l.substring(name.length() + 1).strip().replaceAll("\\s+", " "));
    }
    return out;
  }
}
