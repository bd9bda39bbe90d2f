package org.streamlearn.stream;

import java.io.File;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a model's checkpoints are being written, for its status and log: after a failed write,
 * {@link #problem()} names the directory, the file and what the operating system said, until a
 * write succeeds again. Every failure is counted; the log gets each new error at once, a persisting
 * one once a minute, and one line when writes succeed again. Updated on the checkpoint writer
 * thread, read from any.
 */
final class CheckpointHealth {
  private static final Logger log = LoggerFactory.getLogger(CheckpointHealth.class);
  static final long RELOG_MS = 60_000;

  private final String model;
  private final Path dir;
  volatile long failures;
  private volatile String problem;
  private long failuresBefore, lastLogMs; // writer thread
  private String lastReason;
  private Instant failingSince;

  CheckpointHealth(String model, Path dir) {
    this.model = model;
    this.dir = dir;
  }

  /** Null while checkpoints are written, else why they are not. */
  String problem() {
    return problem;
  }

  void written(long step) {
    if (problem != null)
      log.info("model {}: checkpoints are written again to {} (step {}) after {} failed", model, dir, step,
          failures - failuresBefore);
    problem = null;
  }

  void failed(long step, Exception e) {
    long n = ++failures;
    if (problem == null) {
      failuresBefore = n - 1;
      failingSince = Instant.now();
      lastReason = null;
    }
    String reason = reason(e), why = where(e, dir) + reason;
    problem = "checkpoints failing: cannot write to " + dir + ": " + why + " (" + (n - failuresBefore)
        + " failed since " + failingSince + ")";
    long now = System.currentTimeMillis();
    if (!reason.equals(lastReason) || now - lastLogMs >= RELOG_MS) {
      lastReason = reason;
      lastLogMs = now;
      log.error("model {}: cannot write the checkpoint of step {} to {}: {}; training goes on without new "
          + "checkpoints ({} failed so far)", model, step, dir, why, n);
    }
  }

  /** What the operating system said: "Read-only file system", "No space left on device"... */
  static String reason(Exception e) {
    if (e instanceof FileSystemException f) {
      return f.getReason() != null ? f.getReason()
          : f instanceof AccessDeniedException ? "Permission denied"
          : f instanceof FileAlreadyExistsException ? "exists and is not a directory"
          : f instanceof NoSuchFileException ? "No such file or directory"
          : f.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() + " (" + e.getClass().getSimpleName() + ")" : e.toString();
  }

  /** "" for the directory itself, "name: " for a file in it, "path: " elsewhere, "" when unknown. */
  static String where(Exception e, Path dir) {
    if (!(e instanceof FileSystemException f) || f.getFile() == null) return "";
    String file = f.getFile(), d = dir.toString();
    if (file.equals(d)) return "";
    if (file.startsWith(d + File.separator)) return file.substring(d.length() + 1) + ": ";
    return file + ": ";
  }
}
