package org.streamlearn.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.streamlearn.config.AppConfig;

/**
 * The built-in page (GET /) in a real headless Chromium against the whole service (embedded Kafka,
 * both demo models training from their demo streams): it lists the models, its charts gain points
 * as new versions arrive over server-sent events, it shows examples/s, it loads nothing from
 * elsewhere and logs no error; with {@code ?streams=0} the charts grow from polling instead. Leaves
 * a screenshot in target/screenshots/page.png.
 */
class PageBrowserTest {
  /** Per model, as the page shows it: name, points per chart, quality chart title, examples/s. */
  private static final String STATE = """
      JSON.stringify([...document.querySelectorAll("section.model")].map(s => ({
        model: s.dataset.model,
        points: [...s.querySelectorAll("svg[data-points]")].map(g => Number(g.dataset.points)),
        quality: s.querySelector(".quality figcaption span").textContent,
        rate: s.querySelector(".rate").textContent,
        version: s.querySelector(".version").textContent})))""";

  @Test
  @Timeout(120)
  void pageListsTheModelsAndItsChartsGrowAsTheyTrain(@TempDir Path dir) throws Exception {
    Chromium.binary(); // fail at once, with what to install, before starting anything
    long t0 = System.nanoTime();
    AppConfig cfg = Main.loadConfig(null, Map.of("STREAMLEARN_KAFKA_EMBEDDED_DIR", dir.resolve("kafka").toString(), "STREAMLEARN_KAFKA_EMBEDDED_PORT", "0",
        "STREAMLEARN_DEMO_RATE", "800", "STREAMLEARN_PROGRESS_INTERVAL_MS", "0",
        "STREAMLEARN_MODELS_DIGITS_PUBLISH_EVERY_STEPS", "5", "STREAMLEARN_MODELS_CO2_PUBLISH_EVERY_STEPS", "5",
        "STREAMLEARN_HTTP_PORT", "0", "STREAMLEARN_MODELS_DIGITS_CHECKPOINT_DIR", dir.resolve("ckpt").toString(),
        "STREAMLEARN_MODELS_CO2_CHECKPOINT_DIR", dir.resolve("ckpt").toString()));
    var errors = new CopyOnWriteArrayList<String>();
    var requests = new CopyOnWriteArrayList<String>();
    try (Service service = Service.start(cfg); Chromium browser = Chromium.launch(dir.resolve("chromium"), 1280, 900)) {
      String base = "http://127.0.0.1:" + service.httpPort();
      browser.onEvent(e -> record(e, errors, requests));
      for (String domain : List.of("Runtime", "Log", "Network", "Page")) browser.call(domain + ".enable");
      browser.call("Page.navigate", new JsonObject().put("url", base + "/"));
      await("page loaded").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
          .until(() -> "complete".equals(browser.evaluate("location.href === '" + base + "/' && document.readyState")));

      // Both models listed, every chart drawn from at least two versions.
      await("models listed with points on every chart").atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(250))
          .until(() -> models(browser).size() == 2 && allPoints(browser).stream().allMatch(n -> n >= 2));
      List<JsonObject> first = models(browser);
      assertThat(first).extracting(m -> m.getString("model")).containsExactly("digits", "co2");
      assertThat(first).extracting(m -> m.getString("quality")).containsExactly("accuracy (EWMA)", "RMSE (window)");
      assertThat(first).allSatisfy(m -> assertThat(m.getJsonArray("points")).hasSize(3));

      // As training goes on, every chart gains points, and examples/s comes from the status poll.
      List<Integer> before = allPoints(browser);
      await("every chart gains points").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
          .until(() -> grew(before, allPoints(browser)));
      await("examples/s shown").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
          .until(() -> models(browser).stream().allMatch(m -> m.getString("rate").matches("[1-9][0-9]*")));
      System.out.println("points per chart before " + before + ", then " + allPoints(browser));

      // A screenshot with some history on the charts (a test artifact).
      await("15 points per chart").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
          .until(() -> allPoints(browser).stream().allMatch(n -> n >= 15));

      Path shot = Path.of("target", "screenshots", "page.png");
      Files.createDirectories(shot.getParent());
      Files.write(shot, browser.screenshot());
      assertThat(Files.size(shot)).isGreaterThan(10_000);

      assertThat(errors).as("console errors, exceptions and error log entries of the page").isEmpty();
      assertThat(requests).as("every request the page made goes to the service").isNotEmpty()
          .allSatisfy(u -> assertThat(u).startsWith(base + "/"))
          .contains(base + "/", base + "/web/page.js", base + "/web/page.css", base + "/models",
              base + "/models/digits/updates", base + "/models/co2/updates", base + "/models/digits");

      // With ?streams=0 the charts are fed by polling GET /models/{m} (the path of models past the fourth).
      requests.clear();
      browser.call("Page.navigate", new JsonObject().put("url", base + "/?streams=0"));
      await("polled charts grow").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
          .until(() -> models(browser).size() == 2 && allPoints(browser).stream().allMatch(n -> n >= 3));
      assertThat(requests).contains(base + "/models/digits", base + "/models/co2")
          .noneSatisfy(u -> assertThat(u).endsWith("/updates"));
      assertThat(errors).as("console errors, exceptions and error log entries of the page").isEmpty();
    }
    System.out.printf("page test took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
  }

  /** Errors from the console, uncaught exceptions and the browser's log; the URL of every request. */
  private static void record(JsonObject e, List<String> errors, List<String> requests) {
    JsonObject p = e.getJsonObject("params", new JsonObject());
    switch (e.getString("method", "")) {
      case "Runtime.consoleAPICalled" -> {
        if (List.of("error", "assert").contains(p.getString("type"))) errors.add("console." + p.getString("type") + ": " + p.getJsonArray("args"));
      }
      case "Runtime.exceptionThrown" -> errors.add("exception: " + p.getJsonObject("exceptionDetails"));
      case "Log.entryAdded" -> {
        JsonObject entry = p.getJsonObject("entry");
        if ("error".equals(entry.getString("level"))) errors.add("log: " + entry.getString("text") + " " + entry.getString("url", ""));
      }
      case "Network.requestWillBeSent" -> requests.add(p.getJsonObject("request").getString("url"));
      default -> { }
    }
  }

  private static List<JsonObject> models(Chromium browser) throws Exception {
    var out = new ArrayList<JsonObject>();
    for (Object o : new JsonArray((String) browser.evaluate(STATE))) out.add((JsonObject) o);
    return out;
  }

  private static List<Integer> allPoints(Chromium browser) throws Exception {
    var out = new ArrayList<Integer>();
    for (JsonObject m : models(browser)) for (Object n : m.getJsonArray("points")) out.add(((Number) n).intValue());
    return out;
  }

  private static boolean grew(List<Integer> before, List<Integer> now) {
    if (now.size() != before.size()) return false;
    for (int i = 0; i < now.size(); i++) if (now.get(i) <= before.get(i)) return false;
    return true;
  }
}
