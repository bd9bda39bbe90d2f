package org.streamlearn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch as a peer in the same run: the product's own copy of the peer script
 * ({@code src/main/resources/bench/mlp_bench.py}: plain eager PyTorch training the same MLP
 * 784-256-256-10 with SGD lr 0.01 and Adam lr 1e-3) is written to a temporary file and run with
 * Debian's {@code /usr/bin/python3} (or {@code python3} on the PATH) when that can import torch.
 * Threads as the shared peer script sets them: 1 torch thread, {@code blasThreads} OpenBLAS threads,
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset so OpenBLAS picks its best kernels.
 */
final class TorchPeer {
  private TorchPeer() {}

  /** torch-sgd threads=1/1 B=  16 steps/rep=... examples/s median=    45000 min=    43000 max=    46000 ... */
  private static final Pattern LINE = Pattern.compile(
      "torch-(sgd|adam)\\s+threads=\\d+/(\\d+)\\s+B=\\s*(\\d+).*?examples/s median=\\s*[0-9.]+\\s+min=\\s*[0-9.]+\\s+max=\\s*([0-9.]+)");

  /** A python3 that imports torch, or null (the reason printed by the caller from {@link #why}). */
  static String python() {
    for (String p : new String[] {"/usr/bin/python3", "python3"}) {
      try {
        Process pr = new ProcessBuilder(p, "-c", "import torch; print(torch.__version__)").redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (pr.waitFor(60, TimeUnit.SECONDS) && pr.exitValue() == 0) {
          version = out;
          return p;
        }
      } catch (IOException e) {
        // not there: try the next
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }

  static String version = "?";

  /**
   * Examples/s by "sgd B" / "adam B" (the best of the script's repetitions, as the bench keeps its own
   * best window: noise only slows a repetition down), from one run of the script
   * with the given OpenBLAS threads; header lines (torch and OpenBLAS configuration) go to log.
   */
  static Map<String, Double> measure(String python, int blasThreads, int[] batches, int examples, int reps,
      List<String> log) throws IOException, InterruptedException {
    Path script = Files.createTempFile("streamlearn-mlp_bench", ".py");
    try {
      try (InputStream in = TorchPeer.class.getResourceAsStream("/bench/mlp_bench.py")) {
        if (in == null) throw new IOException("bench/mlp_bench.py missing from the class path");
        Files.write(script, in.readAllBytes());
      }
      List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--threads", "1", "--blas-threads",
          Integer.toString(blasThreads), "--examples", Integer.toString(examples), "--reps", Integer.toString(reps),
          "--max-attempts", "1", "--opt", "sgd", "adam", "--batches"));
      for (int b : batches) cmd.add(Integer.toString(b));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().remove("OPENBLAS_CORETYPE");
      pb.environment().remove("OPENBLAS_L2_SIZE");
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(blasThreads));
      Process p = pb.start();
      Map<String, Double> rates = new HashMap<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          Matcher m = LINE.matcher(line);
          if (m.find()) rates.put(m.group(1) + " " + m.group(3), Double.parseDouble(m.group(4)));
          else if (line.startsWith("#")) log.add(line);
        }
      }
      if (!p.waitFor(10, TimeUnit.MINUTES)) p.destroyForcibly();
      return rates;
    } finally {
      Files.deleteIfExists(script);
    }
  }
}
