package org.streamlearn.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.streamlearn.app.Main;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.metrics.StreamlearnMeters;
import org.streamlearn.stream.KafkaClients;
import org.streamlearn.stream.RunningModel;
import org.yaml.snakeyaml.Yaml;

/**
 * The shipped Grafana dashboard is well-formed for Grafana's current schema, and every metric its
 * queries name is one the service exposes. Nothing is started: the names come from the real metrics
 * binding ({@link StreamlearnMeters} bound to the two default models, constructed but not started)
 * plus the Metrics table of src/site/markdown/metrics.md for the meters that appear only at run time (per-partition lag).
 * {@code PrometheusTest} runs the same queries against the running service.
 */
class DashboardJsonTest {

  @Test
  void hasTheGrafanaFieldsAndTemplateVariables() throws Exception {
    JsonNode d = Dashboard.read();
    assertThat(d.path("uid").asText()).isEqualTo("streamlearn");
    assertThat(d.path("title").asText()).isNotBlank();
    assertThat(d.path("schemaVersion").asInt()).as("schemaVersion").isGreaterThanOrEqualTo(39);

    Map<String, JsonNode> vars = new java.util.HashMap<>();
    for (JsonNode v : d.path("templating").path("list")) vars.put(v.path("name").asText(), v);
    JsonNode ds = vars.get("datasource");
    assertThat(ds).as("templating variable 'datasource'").isNotNull();
    assertThat(ds.path("type").asText()).isEqualTo("datasource");
    assertThat(ds.path("query").asText()).isEqualTo("prometheus");
    JsonNode model = vars.get("model");
    assertThat(model).as("templating variable 'model'").isNotNull();
    assertThat(model.path("type").asText()).isEqualTo("query");
    String q = model.path("query").isObject() ? model.path("query").path("query").asText() : model.path("query").asText();
    assertThat(q).isEqualTo("label_values(streamlearn_train_steps_total, model)");
    assertThat(model.path("multi").asBoolean()).as("model multi").isTrue();
    assertThat(model.path("includeAll").asBoolean()).as("model includeAll").isTrue();
    assertThat(model.path("datasource").path("uid").asText()).isEqualTo("${datasource}");

    JsonNode panels = d.path("panels");
    assertThat(panels.isArray() && !panels.isEmpty()).as("panels").isTrue();
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonNode p : panels) {
      String where = "panel " + p.path("id") + " '" + p.path("title").asText() + "'";
      assertThat(p.path("id").isInt()).as(where + " id").isTrue();
      assertThat(ids.add(p.path("id").asInt())).as(where + " id unique").isTrue();
      assertThat(p.path("type").asText()).as(where + " type").isIn("timeseries", "stat", "state-timeline", "row");
      assertThat(p.path("title").asText()).as(where + " title").isNotBlank();
      JsonNode g = p.path("gridPos");
      if (p.path("type").asText().equals("row")) {
        // A row heads the panels below it. Expanded, they stay in the top-level list, where
        // Dashboard.targets (and so every check here and in PrometheusTest) sees them.
        assertThat(p.path("collapsed").asBoolean()).as(where + " collapsed").isFalse();
        assertThat(p.path("panels").isEmpty()).as(where + " holds no nested panels").isTrue();
        assertThat(List.of(g.path("x").asInt(), g.path("w").asInt(), g.path("h").asInt())).as(where + " x, w, h")
            .containsExactly(0, 24, 1);
        assertThat(p.has("targets")).as(where + " has no targets").isFalse();
      } else {
        assertThat(p.path("datasource").path("uid").asText()).as(where + " datasource").isEqualTo("${datasource}");
      }
      for (String k : List.of("h", "w", "x", "y")) assertThat(g.path(k).isInt()).as(where + " gridPos." + k).isTrue();
      assertThat(g.path("x").asInt() + g.path("w").asInt()).as(where + " fits the 24-column grid").isLessThanOrEqualTo(24);
      int[] box = {g.path("x").asInt(), g.path("y").asInt(), g.path("w").asInt(), g.path("h").asInt()};
      for (int[] o : boxes) {
        boolean overlap = box[0] < o[0] + o[2] && o[0] < box[0] + box[2] && box[1] < o[1] + o[3] && o[1] < box[1] + box[3];
        assertThat(overlap).as(where + " overlaps another panel").isFalse();
      }
      boxes.add(box);
      if (p.path("type").asText().equals("row")) continue;
      JsonNode ts = p.path("targets");
      assertThat(ts.isArray() && !ts.isEmpty()).as(where + " targets").isTrue();
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : ts) {
        assertThat(t.path("expr").asText()).as(where + " expr").isNotBlank();
        assertThat(refIds.add(t.path("refId").asText())).as(where + " refId unique").isTrue();
        assertThat(t.path("refId").asText()).as(where + " refId").isNotBlank();
      }
    }
  }

  @Test
  void coversTheIssuesPanels() throws Exception {
    String all = String.join("\n", Dashboard.targets(Dashboard.read()).stream().map(Dashboard.Target::expr).toList());
    assertThat(all).contains("streamlearn_prequential_loss", "streamlearn_prequential_accuracy", "streamlearn_prequential_rmse",
        "rate(streamlearn_train_examples_total", "rate(streamlearn_train_steps_total", "streamlearn_train_learning_rate",
        "streamlearn_train_gradient_norm", "streamlearn_weights_version", "streamlearn_weights_freshness_seconds{model=~\"$model\", quantile=\"0.99\"}",
        "histogram_quantile(0.99, sum by (model, le) (rate(streamlearn_train_step_latency_seconds_bucket",
        "histogram_quantile(0.99, sum by (model, le) (rate(streamlearn_weights_publish_latency_seconds_bucket",
        "streamlearn_consumer_lag", "streamlearn_ingest_paused", "sum by (model, reason) (rate(streamlearn_ingest_dead_lettered_total",
        "streamlearn_train_divergences_total", "jvm_memory_used_bytes{area=\"heap\"}", "jvm_gc_pause_seconds",
        // Scale-out row
        "group_left (replica) group by (model, instance, replica) (streamlearn_group_publisher",
        "streamlearn_group_examples_rate", "streamlearn_group_partitions_owned", "streamlearn_group_publisher",
        "streamlearn_group_divergence_relative",
        "histogram_quantile(0.99, sum by (model, replica, le) (rate(streamlearn_group_exchange_latency_seconds_bucket",
        "streamlearn_group_replicas_live", "streamlearn_group_replicas{");
  }

  @Test
  void theScaleOutRowHeadsItsPanels() throws Exception {
    JsonNode panels = Dashboard.read().path("panels");
    int rowY = -1;
    List<String> below = new ArrayList<>();
    for (JsonNode p : panels) {
      if (p.path("type").asText().equals("row") && p.path("title").asText().equals("Scale-out")) rowY = p.path("gridPos").path("y").asInt();
    }
    assertThat(rowY).as("a row titled Scale-out").isNotNegative();
    for (JsonNode p : panels) {
      boolean group = false;
      for (JsonNode t : p.path("targets")) group |= t.path("expr").asText().contains("streamlearn_group_");
      int y = p.path("gridPos").path("y").asInt();
      if (group) {
        assertThat(y).as(p.path("title").asText() + " sits below the Scale-out row").isGreaterThan(rowY);
        below.add(p.path("title").asText());
      } else if (!p.path("type").asText().equals("row")) {
        assertThat(y).as(p.path("title").asText() + " (no group meter) sits above the Scale-out row").isLessThan(rowY);
      }
    }
    assertThat(below).hasSizeGreaterThanOrEqualTo(5);
  }

  @Test
  void everyStreamlearnSelectorFiltersByTheModelVariable() throws Exception {
    for (Dashboard.Target t : Dashboard.targets(Dashboard.read())) {
      for (String name : Dashboard.metricNames(t.expr())) {
        if (!name.startsWith("streamlearn_")) continue;
        for (String sel : Dashboard.selectors(t.expr(), name)) {
          assertThat(sel).as(t + ": selector of " + name).contains("model=~\"$model\"");
        }
      }
    }
  }

  @Test
  void everyMetricNameIsOneTheServiceExposes() throws Exception {
    Set<String> exposed = exposedNames();
    Set<String> documented = documentedMetricNames();
    System.out.println("exposed by the binding: " + exposed.size() + " names; documented only: "
        + new TreeSet<>(documented).stream().filter(n -> !exposed.contains(n)).toList());
    // The check itself must be able to say no: a misspelt name is caught.
    assertThat(Dashboard.metricNames("sum by (model) (rate(streamlearn_train_exampels_total{model=~\"$model\"}[5m]))"))
        .containsExactly("streamlearn_train_exampels_total").doesNotContainAnyElementsOf(exposed);

    List<String> unknown = new ArrayList<>();
    for (Dashboard.Target t : Dashboard.targets(Dashboard.read())) {
      Set<String> names = Dashboard.metricNames(t.expr());
      assertThat(names).as(t + ": names no metric").isNotEmpty();
      for (String n : names) if (!exposed.contains(n) && !documented.contains(n)) unknown.add(n + " in " + t);
    }
    assertThat(unknown).as("metric names neither exposed nor documented").isEmpty();
  }

  @Test
  void provisioningPointsGrafanaAtTheDashboardAndTheDefaultDataSource() throws Exception {
    Yaml yaml = new Yaml();
    Map<String, Object> ds = yaml.load(Files.readString(Path.of("dashboards/provisioning/datasources/prometheus.yaml")));
    @SuppressWarnings("unchecked") var first = (Map<String, Object>) ((List<?>) ds.get("datasources")).getFirst();
    assertThat(first).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
    JsonNode dsVar = null;
    for (JsonNode v : Dashboard.read().path("templating").path("list")) if (v.path("name").asText().equals("datasource")) dsVar = v;
    assertThat(dsVar).isNotNull();
    assertThat(first.get("uid")).as("provisioned uid = the dashboard's default data source")
        .isEqualTo(dsVar.path("current").path("value").asText());

    Map<String, Object> prov = yaml.load(Files.readString(Path.of("dashboards/provisioning/dashboards/streamlearn.yaml")));
    @SuppressWarnings("unchecked") var provider = (Map<String, Object>) ((List<?>) prov.get("providers")).getFirst();
    assertThat(provider).containsEntry("type", "file");
    @SuppressWarnings("unchecked") var opts = (Map<String, Object>) provider.get("options");
    assertThat(opts.get("path")).isEqualTo(ProvisioningPaths.GRAFANA_DASHBOARDS_DIR);
  }

  /** Metric names in a scrape of the real registry with both default models bound (not started). */
  static Set<String> exposedNames() {
    PrometheusMeterRegistry reg = StreamlearnMeters.newRegistry();
    var cfg = Main.loadConfig(null, Map.of());
    var clients = KafkaClients.of("127.0.0.1:1"); // never connected: the runners are not started
    for (ModelConfig mc : cfg.models().values()) StreamlearnMeters.bind(reg, new RunningModel(mc, clients, 1000).verticle());
    // GC meters appear at the first collection; ask for one and wait for its notification.
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
      System.gc();
      return reg.scrape().contains("jvm_gc_pause_seconds_count");
    });
    Set<String> names = new TreeSet<>();
    for (String line : reg.scrape().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
      names.add(line.substring(0, end));
    }
    assertThat(names).contains("streamlearn_train_steps_total", "streamlearn_train_step_latency_seconds_bucket");
    return names;
  }

  /** The metric names of the Metrics tables (first column), histogram and summary series included. */
  static Set<String> documentedMetricNames() throws Exception {
    String doc = Files.readString(Path.of("src/site/markdown/metrics.md"));
    Set<String> names = new TreeSet<>();
    for (String row : doc.split("\n")) {
      if (!row.startsWith("| `")) continue;
      String[] cols = row.split("\\|");
      Matcher m = Pattern.compile("`([a-z_:][a-z0-9_:]*)").matcher(cols[1]);
      while (m.find()) {
        String n = m.group(1);
        names.add(n);
        if (cols[2].contains("histogram") || cols[2].contains("summary")) {
          for (String s : List.of("_bucket", "_count", "_sum", "_max")) names.add(n + s);
        }
      }
    }
    assertThat(names).contains("streamlearn_consumer_lag");
    return names;
  }
}
