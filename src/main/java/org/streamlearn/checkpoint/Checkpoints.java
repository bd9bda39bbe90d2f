package org.streamlearn.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.streamlearn.learn.LearnerState;

/**
 * Checkpoints of one model in a directory: {@code <model>-<step, 20 digits>.ckpt}, written
 * atomically (temporary file, fsync, rename, fsync of the directory) with a CRC-32C over the whole
 * file, the newest {@code keep} kept. Reading takes the newest file that is complete and whose
 * checksum holds; each one skipped is reported by name and reason.
 *
 * <p>Format (all numbers little-endian): 8 bytes {@code SLCKPT01}; u32 header length; the header,
 * UTF-8 JSON {@code {"model","spec","step","examples","created","offsets":{"topic-partition":next
 * offset},"trainingPaused","scalars":{...}}}; then the arrays, each a u32 count and that many float32 (or float64
 * for the metric scalars) in this order: params, optimizer state arrays (count first), good params,
 * good state arrays, pending x, pending y, metric scalars (float64), metric rings (count first);
 * last, u32 CRC-32C of everything before it. Fields added to the header later are optional (older
 * files without them load with a default), so the magic stays {@code SLCKPT01}: {@code
 * trainingPaused} (the control API's pause, which a restart keeps; absent = false), and in
 * {@code scalars} {@code stepOrigin}, {@code goodVersion}, {@code goodExamples}, {@code
 * rolledBackExamples}. Also optional, after the metric rings: the standardizer states (u32 count,
 * then each a u32 count and that many float64), written only when the model standardizes its
 * inputs or targets; a file without them loads with none.
 */
public final class Checkpoints {
  static final byte[] MAGIC = "SLCKPT01".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final String model;
  private final int keep;

  /**
   * A checkpoint read back: the learner state, the input offsets it covers, and whether training
   * was paused through the control API when it was taken.
   */
  public record Loaded(Path file, String model, Instant created, LearnerState state, Map<String, Long> offsets,
      boolean trainingPaused) {}

  /** What {@link #latest()} found: the newest valid checkpoint, if any, and every file it skipped. */
  public record Scan(Optional<Loaded> latest, List<String> problems) {}

  public Checkpoints(Path dir, String model, int keep) {
    if (keep < 1) throw new IllegalArgumentException("keep must be >= 1: " + keep);
    this.dir = dir;
    this.model = model;
    this.keep = keep;
  }

  public Path dir() {
    return dir;
  }

  /** Writes a checkpoint of s covering offsets; returns its path. Older ones beyond keep are deleted. */
  public Path write(LearnerState s, Map<String, Long> offsets) throws IOException {
    return write(s, offsets, false);
  }

  /** As {@link #write(LearnerState, Map)}, recording whether training is paused by the control API. */
  public Path write(LearnerState s, Map<String, Long> offsets, boolean trainingPaused) throws IOException {
    Files.createDirectories(dir);
    byte[] bytes = encode(model, s, offsets, Instant.now(), trainingPaused);
    Path target = dir.resolve(String.format("%s-%020d.ckpt", model, s.step()));
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) ch.write(b);
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true); // the rename itself must survive a crash
    } catch (IOException ignored) {
      // some file systems cannot fsync a directory; the file itself is synced
    }
    List<Path> all = files();
    for (int i = keep; i < all.size(); i++) Files.deleteIfExists(all.get(i));
    return target;
  }

  /** This model's checkpoint files, newest (highest step) first. */
  public List<Path> files() throws IOException {
    if (!Files.isDirectory(dir)) return List.of();
    try (var st = Files.list(dir)) {
      return st.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith(model + "-") && n.endsWith(".ckpt") && n.length() == model.length() + 1 + 20 + 5;
      }).sorted((a, b) -> b.getFileName().toString().compareTo(a.getFileName().toString())).toList();
    }
  }

  /** The newest checkpoint that reads back intact; damaged ones are skipped and named. */
  public Scan latest() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Path p : files()) {
      try {
        return new Scan(Optional.of(read(p)), problems);
      } catch (CheckpointException e) {
        problems.add(p.getFileName() + ": " + e.getMessage());
      }
    }
    return new Scan(Optional.empty(), problems);
  }

  /** Reads and verifies one checkpoint file. */
  public static Loaded read(Path p) throws IOException, CheckpointException {
    byte[] bytes = Files.readAllBytes(p);
    return decode(p, bytes);
  }

  // ---- encoding ----

  static byte[] encode(String model, LearnerState s, Map<String, Long> offsets, Instant created, boolean trainingPaused)
      throws IOException {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("model", model);
    h.put("spec", s.spec());
    h.put("step", s.step());
    h.put("examples", s.examples());
    h.put("created", created.toString());
    h.put("offsets", new LinkedHashMap<>(offsets));
    h.put("trainingPaused", trainingPaused);
    Map<String, Object> sc = new LinkedHashMap<>();
    sc.put("lrFactor", s.lrFactor());
    sc.put("divergences", s.divergences());
    sc.put("lastDivergenceStep", s.lastDivergenceStep());
    sc.put("lastGradNorm", Float.isFinite(s.lastGradNorm()) ? s.lastGradNorm() : null);
    sc.put("lastLoss", Float.isFinite(s.lastLoss()) ? s.lastLoss() : null);
    sc.put("goodStep", s.goodStep());
    sc.put("pending", s.pending());
    sc.put("stepOrigin", s.stepOrigin());
    sc.put("goodVersion", s.goodVersion());
    sc.put("goodExamples", s.goodExamples());
    sc.put("rolledBackExamples", s.rolledBackExamples());
    h.put("scalars", sc);
    byte[] header = JSON.writeValueAsBytes(h);
    long n = 8 + 4 + header.length + floats(s.params()) + floats(s.optimizerState()) + floats(s.goodParams())
        + floats(s.goodState()) + floats(s.pendingX()) + floats(s.pendingY()) + 4 + 8L * s.metricScalars().length
        + floats(s.metricRings()) + doubles(s.scalers()) + 4;
    if (n > Integer.MAX_VALUE) throw new IOException("checkpoint of " + n + " bytes is too large");
    ByteBuffer b = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).putInt(header.length).put(header);
    put(b, s.params());
    put(b, s.optimizerState());
    put(b, s.goodParams());
    put(b, s.goodState());
    put(b, s.pendingX());
    put(b, s.pendingY());
    b.putInt(s.metricScalars().length);
    for (double d : s.metricScalars()) b.putDouble(d);
    put(b, s.metricRings());
    if (s.scalers().length > 0) {
      b.putInt(s.scalers().length);
      for (double[] d : s.scalers()) {
        b.putInt(d.length);
        for (double v : d) b.putDouble(v);
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    return b.array();
  }

  private static long floats(float[] a) {
    return 4 + 4L * a.length;
  }

  /** Bytes of the optional standardizer section: none when there is no standardizer. */
  private static long doubles(double[][] a) {
    if (a.length == 0) return 0;
    long n = 4;
    for (double[] x : a) n += 4 + 8L * x.length;
    return n;
  }

  private static long floats(float[][] a) {
    long n = 4;
    for (float[] x : a) n += floats(x);
    return n;
  }

  private static void put(ByteBuffer b, float[] a) {
    b.putInt(a.length);
    b.asFloatBuffer().put(a);
    b.position(b.position() + 4 * a.length);
  }

  private static void put(ByteBuffer b, float[][] a) {
    b.putInt(a.length);
    for (float[] x : a) put(b, x);
  }

  // ---- decoding ----

  static Loaded decode(Path p, byte[] bytes) throws CheckpointException {
    if (bytes.length < 8 + 4 + 4) throw new CheckpointException("truncated: " + bytes.length + " bytes");
    for (int i = 0; i < 8; i++) if (bytes[i] != MAGIC[i]) throw new CheckpointException("not a Streamlearn checkpoint (bad magic)");
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    int stored = b.getInt(bytes.length - 4);
    if (stored != (int) crc.getValue())
      throw new CheckpointException(String.format("checksum mismatch (stored %08x, computed %08x): damaged or truncated",
          stored, (int) crc.getValue()));
    try {
      b.position(8);
      int hl = b.getInt();
      if (hl < 2 || hl > bytes.length) throw new CheckpointException("bad header length " + hl);
      @SuppressWarnings("unchecked")
      Map<String, Object> h = JSON.readValue(bytes, 12, hl, Map.class);
      b.position(12 + hl);
      float[] params = floats(b);
      float[][] state = floatArrays(b);
      float[] goodParams = floats(b);
      float[][] goodState = floatArrays(b);
      float[] px = floats(b), py = floats(b);
      int ns = count(b, 8);
      double[] scalars = new double[ns];
      for (int i = 0; i < ns; i++) scalars[i] = b.getDouble();
      float[][] rings = floatArrays(b);
      double[][] scalers = new double[0][];
      if (b.position() < bytes.length - 4) { // the optional standardizer section
        scalers = new double[count(b, 4)][];
        for (int i = 0; i < scalers.length; i++) {
          scalers[i] = new double[count(b, 8)];
          for (int j = 0; j < scalers[i].length; j++) scalers[i][j] = b.getDouble();
        }
      }
      if (b.position() != bytes.length - 4) throw new CheckpointException("trailing bytes after the arrays");
      @SuppressWarnings("unchecked")
      Map<String, Object> sc = (Map<String, Object>) h.get("scalars");
      Map<String, Long> offsets = new LinkedHashMap<>();
      @SuppressWarnings("unchecked")
      Map<String, Object> off = (Map<String, Object>) h.get("offsets");
      for (var e : off.entrySet()) offsets.put(e.getKey(), ((Number) e.getValue()).longValue());
      LearnerState s = new LearnerState((String) h.get("spec"), num(h, "step").longValue(), num(h, "examples").longValue(),
          num(sc, "lrFactor").floatValue(), num(sc, "divergences").longValue(), num(sc, "lastDivergenceStep").longValue(),
          optFloat(sc, "lastGradNorm"), optFloat(sc, "lastLoss"), params, state, goodParams, goodState,
          num(sc, "goodStep").longValue(), num(sc, "pending").intValue(), px, py, scalars, rings,
          // absent in checkpoints written before resets and monotonic versions: no steps discarded
          sc.get("stepOrigin") instanceof Number o ? o.longValue() : 0L,
          sc.get("goodVersion") instanceof Number g ? g.longValue() : num(sc, "goodStep").longValue(),
          // absent before the rolled-back examples were counted: none counted, none since the good copy
          sc.get("goodExamples") instanceof Number ge ? ge.longValue() : num(h, "examples").longValue(),
          sc.get("rolledBackExamples") instanceof Number rb ? rb.longValue() : 0L, scalers);
      Object paused = h.get("trainingPaused"); // absent in files from before the pause was kept
      if (paused != null && !(paused instanceof Boolean))
        throw new CheckpointException("header field trainingPaused is " + paused + ", not a boolean");
      return new Loaded(p, (String) h.get("model"), Instant.parse((String) h.get("created")), s, offsets,
          Boolean.TRUE.equals(paused));
    } catch (CheckpointException e) {
      throw e;
    } catch (RuntimeException | IOException e) {
      throw new CheckpointException("unreadable despite a valid checksum: " + e);
    }
  }

  private static Number num(Map<String, Object> m, String k) throws CheckpointException {
    if (!(m.get(k) instanceof Number n)) throw new CheckpointException("header lacks " + k);
    return n;
  }

  private static float optFloat(Map<String, Object> m, String k) {
    return m.get(k) instanceof Number n ? n.floatValue() : Float.NaN;
  }

  private static int count(ByteBuffer b, int width) throws CheckpointException {
    int n = b.getInt();
    if (n < 0 || (long) n * width > b.remaining()) throw new CheckpointException("array of " + n + " elements runs past the end");
    return n;
  }

  private static float[] floats(ByteBuffer b) throws CheckpointException {
    float[] a = new float[count(b, 4)];
    b.asFloatBuffer().get(a);
    b.position(b.position() + 4 * a.length);
    return a;
  }

  private static float[][] floatArrays(ByteBuffer b) throws CheckpointException {
    int n = count(b, 4);
    float[][] a = new float[n][];
    for (int i = 0; i < n; i++) a[i] = floats(b);
    return a;
  }
}
