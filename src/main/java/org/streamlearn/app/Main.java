package org.streamlearn.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamlearn.bench.Bench;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.ConfigException;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.kernels.Kernels;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code streamlearn} command: {@code run} (the default) starts the service, {@code bench} runs
 * the benchmarks. Exit status: 0 after a clean stop, 1 when start-up failed, 2 for a bad
 * configuration or command line.
 */
@Command(name = "streamlearn", mixinStandardHelpOptions = true, version = "streamlearn 0.1.0",
    description = "Online learning from Kafka streams.", subcommands = {Main.Run.class, Main.BenchCommand.class})
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);
  public static final int EXIT_CONFIG = 2, EXIT_START = 1;
  static final String DEFAULT_RESOURCE = "/streamlearn-default.yaml";

  public static void main(String[] args) {
    int code = execute(args, System.getenv(), System.out, System.err);
    System.exit(code);
  }

  /** Runs the command and returns its exit status instead of exiting (tests call this). */
  public static int execute(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    List<String> a = new ArrayList<>(List.of(args));
    boolean topLevel = !a.isEmpty() && List.of("-h", "--help", "-V", "--version").contains(a.getFirst());
    if (a.isEmpty() || (!topLevel && !List.of("run", "bench", "help").contains(a.getFirst()))) a.addFirst("run");
    var cl = new CommandLine(new Main());
    Run.env = env;
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExitCodeExceptionMapper(e -> e instanceof ConfigException || e instanceof CommandLine.ParameterException
        ? EXIT_CONFIG : EXIT_START);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ConfigException ce) {
        err.println(ce.getMessage());
        return EXIT_CONFIG;
      }
      err.println("streamlearn: cannot start: " + e.getMessage());
      log.error("start-up failed", e);
      return EXIT_START;
    });
    return cl.execute(a.toArray(String[]::new));
  }

  @Override public Integer call() {
    return 0;
  }

  /**
   * The configuration {@code run} uses: {@code --config}, else the file named by STREAMLEARN_CONFIG,
   * else the embedded default (embedded broker, both demo models, demo streams). A
   * config/streamlearn.yaml in the working directory is read only when named: it describes an
   * external broker. Environment overrides apply in every case.
   */
  public static AppConfig loadConfig(Path config, Map<String, String> env) {
    if (config != null) return ConfigLoader.load(config, env);
    String p = env.get(ConfigLoader.ENV_CONFIG);
    if (p != null && !p.isBlank()) return ConfigLoader.load(Path.of(p), env);
    try (InputStream in = Main.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) throw new IllegalStateException("resource " + DEFAULT_RESOURCE + " missing from the class path");
      return ConfigLoader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          "embedded default " + DEFAULT_RESOURCE.substring(1), env);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Start the service (the default command). Stops gracefully on SIGTERM / Ctrl-C.")
  static final class Run implements Callable<Integer> {
    /** The environment the configuration is read with (set by {@link Main#execute}). */
    static volatile Map<String, String> env = System.getenv();

    @Option(names = {"-c", "--config"}, paramLabel = "<path>",
        description = "Configuration file (else STREAMLEARN_CONFIG, else the embedded default).")
    Path config;

    @Option(names = "--check", description = "Validate the configuration, print it and exit.")
    boolean check;

    @Override public Integer call() throws Exception {
      AppConfig cfg = loadConfig(config, env); // a ConfigException becomes exit status 2
      log.info("effective configuration:");
      cfg.effective().forEach((k, v) -> log.info("  {} = {}", k, v));
      String kernels = Kernels.describe();
      if (kernels.contains("not resolved") || kernels.contains("WARNING")) // plain java -jar: flags missing
        log.warn("kernels: {}. The launcher target/streamlearn passes the JVM flags they need (on a full JDK 25).", kernels);
      else log.info("kernels: {}", kernels);
      if (check) return 0;
      Service s = Service.start(cfg);
      // SIGTERM / Ctrl-C stop the service and make the exit status 0 (StopSignals); the hook covers the
      // other ways the JVM ends (System.exit elsewhere, SIGHUP, -Xrs).
      Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("sl-shutdown").unstarted(s::close));
      StopSignals.install(s::close);
      System.out.println("Streamlearn is running. Open:");
      for (String u : s.urls()) System.out.println("  " + u);
      for (String l : s.sendHint()) System.out.println(l);
      System.out.println("Stop with Ctrl-C (SIGTERM): a last weights version is published and offsets committed.");
      s.awaitStopped();
      if (s.failure() != null) throw new IllegalStateException(s.failure()); // exit status 1, the message on stderr
      return 0;
    }
  }

  @Command(name = "bench", description = "Measure this machine on one core: FMA peak, GEMM per layout, MLP training"
      + " rate per batch size (SGD, Adam), as ratios to the peak, the flop bound and the scalar reference.")
  static final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--quick", description = "Shorter timings (less stable figures).")
    boolean quick;

    @picocli.CommandLine.Option(names = "--smoke", description = "A seconds-long pass through every measurement.")
    boolean smoke;

    @picocli.CommandLine.Option(names = "--only", paramLabel = "kernels|mlp|kafka|scale",
        description = "Run one part only; scale (1, 2, 3 instances as child JVMs) runs only when asked for.")
    String only;

    @Override public Integer call() {
      List<String> a = new ArrayList<>();
      if (quick) a.add("--quick");
      if (smoke) a.add("--smoke");
      if (only != null) a.addAll(List.of("--only", only));
      Bench.run(a.toArray(String[]::new), System.out);
      return 0;
    }
  }
}
