package org.streamlearn.app;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.streamlearn.config.AppConfig;
import org.streamlearn.config.InputConfig;
import org.streamlearn.config.LabelConfig;
import org.streamlearn.config.ModelConfig;
import org.streamlearn.http.HttpOptions;

/**
 * The start banner's part on sending one's own data: the bootstrap address, and for one model of
 * the running configuration (the first with a text format) a record of its shape that the model
 * accepts, ready to paste into kcat, Kafka's console producer and curl.
 */
final class SendHint {
  private SendHint() {}

  static List<String> lines(AppConfig cfg, String bootstrap, int httpPort, boolean embedded) {
    List<String> out = new ArrayList<>();
    out.add("Kafka: " + bootstrap + (embedded ? " (the embedded broker, kafka.embedded.port)" : ""));
    ModelConfig m = cfg.models().values().stream().filter(c -> c.input().format() != InputConfig.Format.F32)
        .findFirst().orElse(null);
    if (m == null) {
      out.add("Send records to a model's topic: " + topics(cfg));
      return out;
    }
    String topic = m.topics().getFirst(), line = exampleRecord(m);
    out.add("Send your own records to model " + m.name() + " (" + describe(m) + "), one per line, e.g.:");
    out.add("  echo '" + line + "' | kcat -P -b " + bootstrap + " -t " + topic);
    out.add("  echo '" + line + "' | kafka-console-producer.sh --bootstrap-server " + bootstrap + " --topic " + topic);
    String auth = cfg.http().controlToken().isEmpty() ? "" : " -H \"Authorization: Bearer $STREAMLEARN_HTTP_CONTROL_TOKEN\"";
    out.add("  curl" + auth + " -H 'Content-Type: " + (m.input().format() == InputConfig.Format.JSON
        ? "application/x-ndjson" : "text/plain") + "' --data-binary @my-records." + (m.input().format()
        == InputConfig.Format.JSON ? "ndjson" : "csv") + " http://" + cfg.http().host() + ":" + httpPort
        + "/models/" + m.name() + "/records" + (auth.isEmpty() && !HttpOptions.loopback(cfg.http().host())
        ? "   (needs http.control.token: http.host is not a loopback address)" : ""));
    return out;
  }

  private static String topics(AppConfig cfg) {
    List<String> t = new ArrayList<>();
    for (ModelConfig m : cfg.models().values()) t.add(m.name() + " <- " + m.topics().getFirst());
    return String.join(", ", t);
  }

  /** What a record holds, in words: "csv: 64 features, then the class 0-9". */
  static String describe(ModelConfig m) {
    boolean cls = m.label().type() == LabelConfig.Type.CLASS;
    String label = cls ? "the class 0-" + (m.label().classes() - 1)
        : m.labelWidth() == 1 ? "the target value" : m.labelWidth() + " target values";
    return switch (m.input().format()) {
      case CSV -> "csv: " + m.input().features() + " numbers and " + label
          + (m.input().csvLabelColumn() >= 0 ? " in column " + m.input().csvLabelColumn() : ", last");
      case JSON -> "json: \"" + m.input().jsonX() + "\": " + m.input().features() + " numbers, \"" + m.input().jsonY()
          + "\": " + label;
      case F32 -> "f32: " + m.input().features() + " little-endian floats, then " + label;
    };
  }

  /** A record of all zeros of the model's shape: valid for any label column, class 0 or target 0. */
  static String exampleRecord(ModelConfig m) {
    int labels = m.labelWidth();
    String xs = String.join(",", Collections.nCopies(m.input().features(), "0"));
    if (m.input().format() == InputConfig.Format.CSV)
      return xs + "," + String.join(",", Collections.nCopies(labels, "0"));
    String y = labels == 1 ? "0" : "[" + String.join(",", Collections.nCopies(labels, "0")) + "]";
    return "{\"" + m.input().jsonX() + "\":[" + xs + "],\"" + m.input().jsonY() + "\":" + y + "}";
  }
}
