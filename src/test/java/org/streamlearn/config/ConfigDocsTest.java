package org.streamlearn.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigDocsTest {
  @Test
  void documentedTableMatchesConfigKeys() throws Exception {
    String doc = Files.readString(Path.of(ConfigDocs.DOC));
    assertThat(ConfigDocs.tableIn(doc))
        .as(ConfigDocs.DOC + "'s configuration table is stale: run ConfigDocs.main (java -cp target/classes "
            + "org.streamlearn.config.ConfigDocs)")
        .isEqualTo(ConfigDocs.markdownTable());
  }

  @Test
  void tableHasEveryKey() {
    String table = ConfigDocs.markdownTable();
    for (var k : ConfigKeys.GLOBAL.keys()) assertThat(table).contains("| `" + k.name() + "` |");
    for (var k : ConfigKeys.MODEL.keys()) assertThat(table).contains("| `models.<name>." + k.name() + "` |");
    assertThat(table).contains("`kafka.properties.*`");
  }
}
