package org.streamlearn.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** http.control.token: off by default, from YAML or the environment, validated, and never shown. */
class ControlTokenConfigTest {
  static final String MODEL = """
      models:
        m:
          topics: [m.train]
          features: 4
          label: {type: class, classes: 2}
          layers: input(4) dense(2)
      """;
  static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @Test
  void offByDefault() {
    AppConfig c = ConfigLoader.parse(MODEL, "t.yaml", Map.of());
    assertThat(c.http().controlToken()).isEmpty();
    assertThat(c.http().host()).as("loopback unless told otherwise").isEqualTo("127.0.0.1");
  }

  @Test
  void fromTheEnvironmentAndMaskedEverywhereItIsShown() {
    AppConfig c = ConfigLoader.parse(MODEL, "t.yaml", Map.of("STREAMLEARN_HTTP_CONTROL_TOKEN", TOKEN));
    assertThat(c.http().controlToken()).isEqualTo(TOKEN);
    assertThat(c.effective().get("http.control.token")).startsWith("******").contains("env STREAMLEARN_HTTP_CONTROL_TOKEN");
    assertThat(c.effective().toString()).doesNotContain(TOKEN);
    assertThat(c.http().toString()).doesNotContain(TOKEN);
    assertThat(c.toString()).doesNotContain(TOKEN);
  }

  @Test
  void aShortOrOddTokenIsRefusedWithoutBeingShown() {
    for (String bad : new String[] {"short-token", "has spaces in it, 16+ chars", "quote\"0123456789abcdef"}) {
      assertThatThrownBy(() -> ConfigLoader.parse("http:\n  control.token: '" + bad.replace("'", "''") + "'\n" + MODEL,
          "t.yaml", Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("http.control.token = ******")
          .hasMessageContaining("at least 16 characters")
          .hasMessageNotContaining(bad);
    }
  }
}
