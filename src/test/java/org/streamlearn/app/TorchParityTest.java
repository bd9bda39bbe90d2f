package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.ConfigLoader;
import org.streamlearn.stream.RunningModel;

/**
 * The weights file loads into the torch modules it names: an MLP into {@code nn.Sequential} of
 * {@code nn.Linear} and ReLU, an LSTM model into {@code nn.LSTM(batch_first=True)} and
 * {@code nn.Linear} (held as {@code layers}, so the keys are {@code layers.<i>.*}), with
 * {@code load_state_dict(strict=True)} on the {@code layers.*} tensors, inputs standardized by the
 * file's {@code input.mean} / {@code input.std} (the default input.normalize); their outputs on random inputs equal {@code /predict} of the
 * running service for the same version. Without torch (e.g. a CI image without it) the same
 * forward passes run in numpy from the tensors by name, PyTorch's gate order i, f, g, o.
 */
class TorchParityTest {
  static final String PY = "/usr/bin/python3";
  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();

  static final String SCRIPT = """
      import json, struct, sys
      import numpy as np
      def load(path):
          with open(path, "rb") as f:
              n = struct.unpack("<Q", f.read(8))[0]
              header = json.loads(f.read(n))
              data = f.read()
          header.pop("__metadata__", None)
          return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype="<f4").reshape(v["shape"])
                  for k, v in header.items()}
      req = json.load(open(sys.argv[1]))
      try:
          import torch
          mode = "torch " + torch.__version__
      except ImportError:
          torch = None
          mode = "numpy " + np.__version__
      out = {"mode": mode}
      m, s = req["mlp"], req["seq"]
      full = load(m["file"])
      t = {k: v for k, v in full.items() if k.startswith("layers.")}
      x = np.array(m["x"], dtype=np.float32)
      if "input.mean" in full:  # input.normalize: standard (the default): what the weights expect
          x = (x - full["input.mean"]) / full["input.std"]
      if torch:
          net = torch.nn.Module()
          net.layers = torch.nn.Sequential(torch.nn.Linear(m["I"], m["H"]), torch.nn.ReLU(), torch.nn.Linear(m["H"], m["O"]))
          net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in t.items()}, strict=True)
          out["mlp"] = net.layers(torch.from_numpy(x)).detach().numpy().tolist()
      else:
          h = np.maximum(x @ t["layers.0.weight"].T + t["layers.0.bias"], 0)
          out["mlp"] = (h @ t["layers.2.weight"].T + t["layers.2.bias"]).tolist()
      full = load(s["file"])
      t = {k: v for k, v in full.items() if k.startswith("layers.")}
      T, F, H, O = s["T"], s["F"], s["H"], s["O"]
      x = np.array(s["x"], dtype=np.float32)
      if "input.mean" in full:  # per flattened input value, before the [T, F] reshape
          x = (x - full["input.mean"]) / full["input.std"]
      x = x.reshape(-1, T, F)
      if torch:
          net = torch.nn.Module()
          net.layers = torch.nn.ModuleList([torch.nn.LSTM(F, H, batch_first=True), torch.nn.Linear(H, O)])
          net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in t.items()}, strict=True)
          seq, _ = net.layers[0](torch.from_numpy(x))
          out["seq"] = net.layers[1](seq[:, -1, :]).detach().numpy().tolist()
      else:
          sig = lambda z: 1 / (1 + np.exp(-z))
          h = np.zeros((x.shape[0], H), np.float32); c = np.zeros_like(h)
          for step in range(T):
              z = x[:, step] @ t["layers.0.weight_ih_l0"].T + t["layers.0.bias_ih_l0"] \\
                  + h @ t["layers.0.weight_hh_l0"].T + t["layers.0.bias_hh_l0"]
              i, f, g, o = sig(z[:, :H]), sig(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), sig(z[:, 3*H:])
              c = f * c + i * g
              h = o * np.tanh(c)
          out["seq"] = (h @ t["layers.1.weight"].T + t["layers.1.bias"]).tolist()
      print(json.dumps(out))
      """;

  @Test
  @Timeout(150)
  void weightsLoadIntoTorchModulesAndPredictTheSame(@TempDir Path dir) throws Exception {
    var cfg = ConfigLoader.parse("""
        kafka: {embedded.dir: "%s", embedded.port: 0}
        http.port: 0
        demo.enabled: false
        progress.interval.ms: 0
        models:
          mlp:
            topics: [mlp.train]
            format: csv
            features: 4
            label: {type: class, classes: 3}
            layers: input(4) dense(8) relu dense(3)
            batch.size: 4
            publish.every.steps: 5
            checkpoint.dir: "%s"
            seed: 11
          seq:
            topics: [seq.train]
            format: csv
            window: 6
            channels: 2
            label.type: regression
            targets: 2
            layers: input(6x2) lstm(5) dense(2)
            loss: mse
            batch.size: 4
            publish.every.steps: 5
            checkpoint.dir: "%s"
            seed: 12
        """.formatted(slash(dir.resolve("kafka")), slash(dir.resolve("ckpt")), slash(dir.resolve("ckpt"))),
        "parity.yaml", Map.of());
    Random r = new Random(20261204L);
    try (Service s = Service.start(cfg)) {
      produce(s.bootstrapServers(), "mlp.train", rows(r, 200, 4, i -> String.valueOf(i % 3)));
      produce(s.bootstrapServers(), "seq.train", rows(r, 200, 12, i -> r.nextFloat() + "," + r.nextFloat()));
      String base = "http://127.0.0.1:" + s.httpPort() + "/models/";
      for (RunningModel m : RunningModel.all(s)) { // every record trained and the last version (step 50) published
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!(m.examples() == 200 && m.version() == 50) && System.nanoTime() < until) Thread.sleep(50);
        assertThat(m.version()).as("model %s: version after 200 records", m.name()).isEqualTo(50);
      }
      Map<String, Object> req = new java.util.LinkedHashMap<>();
      Map<String, float[][]> inputs = Map.of("mlp", matrix(r, 5, 4), "seq", matrix(r, 5, 12));
      Map<String, JsonNode> served = new java.util.HashMap<>();
      for (String m : List.of("mlp", "seq")) {
        var w = http.send(HttpRequest.newBuilder(URI.create(base + m + "/weights")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(w.statusCode()).isEqualTo(200);
        assertThat(w.headers().firstValue("ETag").orElseThrow()).endsWith("-50\"");
        Path f = dir.resolve(m + ".safetensors");
        Files.write(f, w.body());
        var p = http.send(HttpRequest.newBuilder(URI.create(base + m + "/predict")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("x", inputs.get(m))))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(p.statusCode()).as(p.body()).isEqualTo(200);
        JsonNode pred = json.readTree(p.body());
        assertThat(pred.path("version").asLong()).isEqualTo(50);
        served.put(m, pred.path("outputs"));
        req.put(m, m.equals("mlp") ? Map.of("file", f.toString(), "x", inputs.get(m), "I", 4, "H", 8, "O", 3)
            : Map.of("file", f.toString(), "x", inputs.get(m), "T", 6, "F", 2, "H", 5, "O", 2));
      }
      Path reqFile = dir.resolve("req.json"), script = dir.resolve("parity.py");
      json.writeValue(reqFile.toFile(), req);
      Files.writeString(script, SCRIPT);
      Process py = new ProcessBuilder(PY, script.toString(), reqFile.toString()).redirectErrorStream(true).start();
      String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(py.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(py.exitValue()).as(out).isZero();
      JsonNode got = json.readTree(out.lines().reduce((a, b) -> b).orElseThrow());
      for (String m : List.of("mlp", "seq")) {
        double worst = 0;
        for (int i = 0; i < 5; i++)
          for (int j = 0; j < served.get(m).get(i).size(); j++) {
            double a = served.get(m).get(i).get(j).asDouble(), b = got.get(m).get(i).get(j).asDouble();
            worst = Math.max(worst, Math.abs(a - b) / Math.max(1, Math.abs(b)));
          }
        System.out.printf(Locale.ROOT, "%s: /predict vs %s, largest difference %.2e%n", m, got.get("mode").asText(), worst);
        // float32 forward passes in a different order of summation (and our own tanh/exp): ~1e-6 apart;
        // a wrong name, layout or gate order is off by O(1).
        assertThat(worst).as("model %s: /predict vs %s", m, got.get("mode").asText()).isLessThan(1e-4);
      }
    }
  }

  static float[][] matrix(Random r, int rows, int cols) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) for (int j = 0; j < cols; j++) row[j] = (float) r.nextGaussian();
    return m;
  }

  static List<byte[]> rows(Random r, int n, int features, java.util.function.IntFunction<String> label) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder();
      for (int f = 0; f < features; f++) sb.append((float) r.nextGaussian()).append(',');
      out.add(sb.append(label.apply(i)).toString().getBytes(StandardCharsets.UTF_8));
    }
    return out;
  }

  static void produce(String bootstrap, String topic, List<byte[]> values) {
    try (var p = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      for (byte[] v : values) p.send(new ProducerRecord<>(topic, v));
      p.flush();
    }
  }

  static String slash(Path p) {
    return p.toString().replace("\\", "/");
  }
}
