package org.streamlearn.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Two small files beside a model's checkpoints.
 *
 * <ul>
 *   <li>{@code instance.id}: the instance's id in its consumer group (Kafka's {@code
 *       group.instance.id}), created at the first start and reused, so a restarted process is the
 *       same static member and takes its partitions back at once.
 *   <li>{@code incarnation}: the id of the model's version line, {@code <id> running} while a
 *       process trains and {@code <id> clean <step>} after a graceful stop whose last checkpoint
 *       holds what was last published. A start that restores exactly that step keeps the id; any
 *       other start (no checkpoint, a crash, an older checkpoint) begins a new one, because
 *       versions after the restored step may already have been published with other weights. So
 *       (incarnation, version) names one set of weights, which makes it a sound HTTP entity tag.
 * </ul>
 */
public final class Identity {
  static final String INSTANCE_FILE = "instance.id", INCARNATION_FILE = "incarnation";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Identity() {}

  /** The id kept in {@code dir/instance.id}, created ({@code <prefix>-<12 hex>}) if absent. */
  public static String instanceId(Path dir, String prefix) {
    Path f = dir.resolve(INSTANCE_FILE);
    try {
      if (Files.exists(f)) {
        String id = Files.readString(f, StandardCharsets.UTF_8).strip();
        if (id.matches("[A-Za-z0-9._-]{1,100}")) return id;
        throw new IllegalStateException(f + " holds '" + id + "', not an instance id ([A-Za-z0-9._-], 1 to 100): "
            + "delete the file (a new id is created) or set instance.id");
      }
      String id = (prefix + "-" + randomHex(6)).replaceAll("[^A-Za-z0-9._-]", "_");
      write(f, id + "\n");
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + f, e);
    }
  }

  /**
   * The incarnation to run with, marked running in {@code dir/incarnation}: the one kept there when
   * the last stop was clean at {@code restoredStep}, else a new one.
   *
   * @param restoredStep the step of the restored checkpoint, or -1 when none was restored
   */
  public static String beginIncarnation(Path dir, long restoredStep) {
    Path f = dir.resolve(INCARNATION_FILE);
    try {
      String id = null;
      if (restoredStep >= 0 && Files.exists(f)) {
        String[] w = Files.readString(f, StandardCharsets.UTF_8).strip().split("\\s+");
        if (w.length == 3 && w[1].equals("clean") && w[2].equals(Long.toString(restoredStep))) id = w[0];
      }
      if (id == null) id = newIncarnation();
      write(f, id + " running\n");
      return id;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + f, e);
    }
  }

  /** After a graceful stop whose last checkpoint is at {@code step} and holds the last published version. */
  public static void endClean(Path dir, String incarnation, long step) throws IOException {
    write(dir.resolve(INCARNATION_FILE), incarnation + " clean " + step + "\n");
  }

  /**
   * A new random incarnation: 8 decimal digits (digits only, so an ETag {@code "<incarnation>-<version>"}
   * reads as two numbers).
   */
  public static String newIncarnation() {
    return String.format("%08d", RANDOM.nextInt(100_000_000));
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void write(Path f, String text) throws IOException {
    Files.createDirectories(f.toAbsolutePath().getParent());
    Path tmp = Files.createTempFile(f.toAbsolutePath().getParent(), f.getFileName().toString(), ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
