package org.streamlearn.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The problem text of failing checkpoint writes: directory, file and the operating system's words. */
class CheckpointHealthTest {
  final Path dir = Path.of("/data/checkpoints/iris");

  @Test
  void namesTheDirectoryTheFileAndTheOsErrorUntilAWriteSucceeds() {
    var h = new CheckpointHealth("iris", dir);
    assertThat(h.problem()).isNull();
    h.failed(30, new FileSystemException(dir.resolve("iris-00000000000000000030.ckpt.tmp").toString(), null,
        "Read-only file system"));
    assertThat(h.problem()).startsWith("checkpoints failing: cannot write to /data/checkpoints/iris: "
        + "iris-00000000000000000030.ckpt.tmp: Read-only file system (1 failed since ");
    h.failed(35, new IOException("No space left on device"));
    assertThat(h.problem()).startsWith("checkpoints failing: cannot write to /data/checkpoints/iris: "
        + "No space left on device (IOException) (2 failed since ");
    assertThat(h.failures).isEqualTo(2);
    h.written(40);
    assertThat(h.problem()).isNull();
    h.failed(45, new AccessDeniedException(dir.resolve("x.tmp").toString()));
    assertThat(h.problem()).contains("iris: x.tmp: Permission denied (1 failed since ");
    assertThat(h.failures).isEqualTo(3);
  }

  @Test
  void saysWhatTheExceptionsWithoutAReasonMean() {
    assertThat(CheckpointHealth.reason(new FileAlreadyExistsException(dir.toString()))).isEqualTo("exists and is not a directory");
    assertThat(CheckpointHealth.where(new FileAlreadyExistsException(dir.toString()), dir)).isEmpty();
    assertThat(CheckpointHealth.where(new AccessDeniedException("/elsewhere/f"), dir)).isEqualTo("/elsewhere/f: ");
    assertThat(CheckpointHealth.where(new IllegalStateException("x"), dir)).isEmpty();
  }
}
