package org.streamlearn.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Every alert of config/prometheus/rules.yml has a runbook_url into src/site/markdown/runbook.md
 * whose anchor (the alert name in lower case) is a section heading there, and every section there
 * is an alert's.
 */
class RunbookTest {
  static final Path RULES = Path.of("config/prometheus/rules.yml"), RUNBOOK = Path.of("src/site/markdown/runbook.md");
  static final String PREFIX = "src/site/markdown/runbook.md#";

  @Test
  void everyAlertHasARunbookSectionAndEverySectionAnAlert() throws Exception {
    String rules = Files.readString(RULES), runbook = Files.readString(RUNBOOK);
    assertThat(alerts(rules)).as("alerts in rules.yml").hasSize(8);
    assertThat(problems(rules, runbook)).isEmpty();
  }

  @Test
  void theCheckCanFail() throws Exception {
    String rules = Files.readString(RULES), runbook = Files.readString(RUNBOOK);
    String noUrl = rules.replaceFirst("\\n\\s*runbook_url: \"" + PREFIX + "streamlearndown\"", "");
    assertThat(problems(noUrl, runbook)).containsExactly("StreamlearnDown: no runbook_url");
    assertThat(problems(rules.replace(PREFIX + "streamlearndiverged", PREFIX + "diverged"), runbook))
        .containsExactly("StreamlearnDiverged: runbook_url " + PREFIX + "diverged, expected " + PREFIX
            + "streamlearndiverged");
    assertThat(problems(rules, runbook.replace("## StreamlearnNotReady", "## Not ready")))
        .containsExactly("StreamlearnNotReady: no section #streamlearnnotready in " + RUNBOOK,
            "section #not-ready in " + RUNBOOK + " names no alert");
  }

  /** What is wrong, one line each; empty when every alert and section match. */
  static List<String> problems(String rulesYaml, String runbookMd) {
    List<String> out = new ArrayList<>();
    Set<String> anchors = anchors(runbookMd), used = new LinkedHashSet<>();
    for (Map<String, Object> rule : alerts(rulesYaml)) {
      String alert = (String) rule.get("alert"), anchor = alert.toLowerCase(Locale.ROOT);
      @SuppressWarnings("unchecked")
      Map<String, Object> ann = (Map<String, Object>) rule.getOrDefault("annotations", Map.of());
      Object url = ann.get("runbook_url");
      used.add(anchor);
      if (url == null) out.add(alert + ": no runbook_url");
      else if (!url.equals(PREFIX + anchor)) out.add(alert + ": runbook_url " + url + ", expected " + PREFIX + anchor);
      else if (!anchors.contains(anchor)) out.add(alert + ": no section #" + anchor + " in " + RUNBOOK);
    }
    for (String a : anchors) if (!used.contains(a)) out.add("section #" + a + " in " + RUNBOOK + " names no alert");
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> alerts(String rulesYaml) {
    Map<String, Object> doc = new Yaml().load(rulesYaml);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, Object> g : (List<Map<String, Object>>) doc.get("groups"))
      for (Map<String, Object> r : (List<Map<String, Object>>) g.get("rules")) if (r.containsKey("alert")) out.add(r);
    return out;
  }

  /** Anchors of the "## " headings as GitHub makes them: lower case, punctuation dropped, spaces to '-'. */
  static Set<String> anchors(String md) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : md.split("\n")) {
      if (!line.startsWith("## ")) continue;
      out.add(line.substring(3).strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return out;
  }
}
