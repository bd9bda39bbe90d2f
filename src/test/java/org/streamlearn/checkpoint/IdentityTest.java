package org.streamlearn.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files beside the checkpoints: the instance id is created once; the incarnation survives only a clean stop. */
class IdentityTest {
  @Test
  void instanceIdIsCreatedOnceAndReused(@TempDir Path dir) throws Exception {
    String id = Identity.instanceId(dir, "digits");
    assertThat(id).matches("digits-[0-9a-f]{12}");
    assertThat(Identity.instanceId(dir, "digits")).isEqualTo(id);
    assertThat(Identity.instanceId(dir.resolve("other"), "digits")).as("another folder, another member").isNotEqualTo(id);
    Files.writeString(dir.resolve("instance.id"), "not an id!\n");
    assertThatThrownBy(() -> Identity.instanceId(dir, "digits")).hasMessageContaining("instance.id")
        .hasMessageContaining("not an id!");
  }

  @Test
  void incarnationIsKeptOnlyAfterACleanStopAtTheRestoredStep(@TempDir Path dir) throws Exception {
    String a = Identity.beginIncarnation(dir, -1);
    assertThat(a).matches("[0-9]{8}");
    assertThat(Files.readString(dir.resolve("incarnation"))).isEqualTo(a + " running\n");
    // A crash: the file still says running, so the restore begins a new line.
    String b = Identity.beginIncarnation(dir, 40);
    assertThat(b).isNotEqualTo(a);
    Identity.endClean(dir, b, 50);
    assertThat(Identity.beginIncarnation(dir, 45)).as("an older checkpoint than the clean stop's").isNotEqualTo(b);
    Identity.endClean(dir, b, 50);
    assertThat(Identity.beginIncarnation(dir, -1)).as("nothing restored").isNotEqualTo(b);
    Identity.endClean(dir, b, 50);
    assertThat(Identity.beginIncarnation(dir, 50)).as("exactly the clean stop's state").isEqualTo(b);
    assertThat(Files.readString(dir.resolve("incarnation"))).isEqualTo(b + " running\n");
  }
}
