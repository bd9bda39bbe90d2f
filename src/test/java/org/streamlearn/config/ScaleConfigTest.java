package org.streamlearn.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scale-out and audit keys: defaults (a single instance, no audit), values, errors naming the key. */
class ScaleConfigTest {
  @Test
  void defaultsAreASingleInstanceWithoutAudit() {
    ModelConfig mc = ConfigLoaderTest.parse(ConfigLoaderTest.IRIS).models().get("iris");
    ScaleConfig s = mc.scale();
    assertThat(s.sync()).isFalse();
    assertThat(s.syncEverySteps()).isZero();
    assertThat(s.syncEveryMs()).isZero();
    assertThat(s.syncStaleMs()).isEqualTo(30_000);
    assertThat(s.auditPath()).isNull();
    assertThat(s.replicaId()).matches(ConfigKeys.REPLICA).endsWith("-" + ProcessHandle.current().pid());
  }

  @Test
  void valuesFromYamlAndEnvironment() {
    var c = ConfigLoaderTest.parse(ConfigLoaderTest.IRIS + """
            replica.id: iris-a
            sync.every.steps: 10
            audit.path: /tmp/iris.audit
        """, Map.of("STREAMLEARN_MODELS_IRIS_SYNC_EVERY_MS", "250"));
    ScaleConfig s = c.models().get("iris").scale();
    assertThat(s.replicaId()).isEqualTo("iris-a");
    assertThat(s.sync()).isTrue();
    assertThat(s.syncEverySteps()).isEqualTo(10);
    assertThat(s.syncEveryMs()).isEqualTo(250);
    assertThat(s.auditPath()).isEqualTo(Path.of("/tmp/iris.audit"));
  }

  @Test
  void badValuesNameTheKey() {
    assertThat(ConfigLoaderTest.error(ConfigLoaderTest.IRIS + "    replica.id: \"a b\"\n", Map.of()))
        .contains("models.iris.replica.id").contains("[A-Za-z0-9._-]");
    assertThat(ConfigLoaderTest.error(ConfigLoaderTest.IRIS + "    sync.every.ms: -1\n", Map.of()))
        .contains("models.iris.sync.every.ms");
    assertThat(ConfigLoaderTest.error(ConfigLoaderTest.IRIS + "    sync.stale.ms: 0\n", Map.of()))
        .contains("models.iris.sync.stale.ms");
  }
}
