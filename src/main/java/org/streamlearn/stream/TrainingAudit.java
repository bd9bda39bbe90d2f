package org.streamlearn.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training audit log ({@code audit.path}): an append-only text file from which a test or an
 * operator can reconstruct exactly which records a model's state contains, across kill -9 and
 * restarts. A debugging feature, off by default; when off the trainer holds no instance and pays
 * nothing. One line per event, fields separated by one space:
 *
 * <pre>
 * start &lt;replica&gt; &lt;epoch ms&gt;       the process started (every line until the next start is this replica's)
 * restore &lt;step&gt;                   the checkpoint of this step was restored
 * t &lt;topic-partition&gt; &lt;offset&gt; &lt;step&gt;  a record went into the batch that becomes this optimizer step
 * d &lt;topic-partition&gt; &lt;offset&gt;      a record was dead-lettered (not trained)
 * ckpt &lt;step&gt;                      the state as of this line (every t line before it) is being checkpointed
 * durable &lt;step&gt;                   that checkpoint is written and fsynced (from the writer thread)
 * commit &lt;topic-partition&gt; &lt;offset&gt;  the group committed this offset for the partition
 * time &lt;epoch ms&gt;                 wall clock before a chunk of rows is taken (at most one per ms)
 * lost &lt;tp,tp,...&gt; &lt;rows&gt;          the group took these partitions away without a hand-over (session
 *                                  expired): this many queued rows of them were dropped, not trained
 * </pre>
 *
 * <p>A lost partition's t lines before its {@code lost} line stay in the state (they are trained;
 * the next checkpoint holds them and their offsets), and none follows for the dropped rows: its
 * later t lines come from a later assignment, which starts at the group's committed offset.
 *
 * <p>The buffer is written to the file (not fsynced: kill -9 keeps the page cache) before every
 * checkpoint is written, so every record a checkpoint holds has its line on disk; a {@code restore}
 * marker then says that lines after the newest {@code ckpt} of that step are not in the state. Lines
 * are kept in a preallocated buffer (no allocation per record) and written when it fills.
 */
public final class TrainingAudit implements AutoCloseable {
  private final FileChannel ch;
  private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
  private final Map<String, byte[]> names = new HashMap<>();

  /** Opens (creating, appending) the file and writes the start line. */
  public TrainingAudit(Path file, String replica) {
    try {
      if (file.getParent() != null) Files.createDirectories(file.getParent());
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open audit.path " + file, e);
    }
    text("start ").text(replica).text(" ").num(System.currentTimeMillis()).nl();
    flush();
  }

  /** A record went into the batch that becomes {@code step}. */
  synchronized void trained(String tp, long offset, long step) {
    room(300);
    text("t ").name(tp).text(" ").num(offset).text(" ").num(step).nl();
  }

  synchronized void deadLettered(String tp, long offset) {
    room(300);
    text("d ").name(tp).text(" ").num(offset).nl();
  }

  /** Marker, then everything to the file: call before the checkpoint of {@code step} is written. */
  synchronized void checkpoint(long step) {
    text("ckpt ").num(step).nl();
    flush();
  }

  /** The checkpoint of {@code step} is durable. */
  synchronized void durable(long step) {
    text("durable ").num(step).nl();
    flush();
  }

  /** The wall clock, before the trainer takes a chunk of rows: dates the t lines after it. */
  synchronized void time(long epochMillis) {
    room(300);
    text("time ").num(epochMillis).nl();
  }

  /** Partitions ("a-0,a-1") lost without a hand-over, and the queued rows of them dropped. */
  synchronized void dropped(String partitions, long rows) {
    room(partitions.length() + 64);
    text("lost ").text(partitions).text(" ").num(rows).nl();
    flush();
  }

  synchronized void restored(long step) {
    text("restore ").num(step).nl();
    flush();
  }

  synchronized void committed(String tp, long offset) {
    room(300);
    text("commit ").name(tp).text(" ").num(offset).nl();
    flush();
  }

  synchronized void flush() {
    buf.flip();
    try {
      while (buf.hasRemaining()) ch.write(buf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training audit", e);
    } finally {
      buf.clear();
    }
  }

  @Override public synchronized void close() {
    flush();
    try {
      ch.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void room(int bytes) {
    if (buf.remaining() < bytes) flush();
  }

  private TrainingAudit text(String s) {
    for (int i = 0; i < s.length(); i++) buf.put((byte) s.charAt(i));
    return this;
  }

  private TrainingAudit name(String tp) {
    byte[] b = names.get(tp);
    if (b == null) names.put(tp, b = tp.getBytes(StandardCharsets.UTF_8));
    buf.put(b);
    return this;
  }

  private TrainingAudit num(long v) {
    if (v < 0) {
      buf.put((byte) '-');
      v = -v;
    }
    long div = 1;
    while (div <= v / 10) div *= 10;
    for (; div > 0; div /= 10) buf.put((byte) ('0' + (v / div) % 10));
    return this;
  }

  private void nl() {
    buf.put((byte) '\n');
  }

  // ---- reading ------------------------------------------------------------------------------

  /**
   * One trained record: which replica trained it into which step, in which process run, and the
   * newest wall clock before it (its time line, or its run's start).
   */
  public record Entry(String replica, int run, String tp, long offset, long step, long millis) {
    public String id() {
      return tp + "@" + offset;
    }
  }

  /**
   * An audit file read back.
   *
   * @param effective the records the newest state of this replica holds: trained lines of every
   *     run, minus those after the newest checkpoint marker of the step restored by the next run
   * @param lost trained lines whose effect was dropped by a restore (trained again after it); not to be
   *     confused with partitions lost to a session expiry ({@code partitionsLost})
   * @param afterLastCheckpoint trained lines after the last durable checkpoint (the last ckpt marker
   *     followed by a durable marker of its step): held only by the live state, lost if the process
   *     died
   * @param commits the last offset committed per topic-partition
   * @param runs process starts
   * @param partitionsLost partitions lost without a hand-over, once per loss, in order
   * @param rowsDropped queued rows of lost partitions dropped (never trained, so in no list above)
   */
  public record Read(String replica, List<Entry> effective, List<Entry> lost, List<Entry> afterLastCheckpoint,
      Map<String, Long> commits, int runs, List<String> partitionsLost, long rowsDropped) {}

  /** Parses an audit file; a malformed line fails naming its number. */
  public static Read read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Entry> kept = new ArrayList<>(), lost = new ArrayList<>();
    // Index into kept just after each "ckpt <step>" (newest wins).
    Map<Long, Integer> ckptAt = new HashMap<>();
    Map<String, Long> commits = new LinkedHashMap<>();
    List<String> partitionsLost = new ArrayList<>();
    long rowsDropped = 0;
    String replica = null;
    int run = 0, lastCkpt = 0;
    long millis = 0;
    Integer pending = null; // index of the newest ckpt marker, until its durable marker
    long pendingStep = -1;
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      if (line.isEmpty()) continue;
      String[] f = line.split(" ");
      try {
        switch (f[0]) {
          case "start" -> {
            replica = f[1];
            millis = Long.parseLong(f[2]);
            run++;
            lastCkpt = kept.size();
            pending = null;
          }
          case "t" -> kept.add(new Entry(replica, run, f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), millis));
          case "time" -> millis = Long.parseLong(f[1]);
          case "d" -> { } // dead-lettered, not trained
          case "ckpt" -> {
            ckptAt.put(Long.parseLong(f[1]), kept.size());
            pending = kept.size();
            pendingStep = Long.parseLong(f[1]);
          }
          case "durable" -> {
            if (pending != null && Long.parseLong(f[1]) == pendingStep) lastCkpt = pending;
            else if (ckptAt.containsKey(Long.parseLong(f[1]))) lastCkpt = Math.max(lastCkpt, ckptAt.get(Long.parseLong(f[1])));
          }
          case "restore" -> {
            Integer at = ckptAt.get(Long.parseLong(f[1]));
            if (at == null) throw new IOException("restore of step " + f[1] + " without a ckpt marker of that step");
            List<Entry> dropped = kept.subList(at, kept.size());
            lost.addAll(dropped);
            dropped.clear();
            ckptAt.values().removeIf(i -> i > at);
            lastCkpt = at;
            pending = null;
          }
          case "commit" -> commits.put(f[1], Long.parseLong(f[2]));
          case "lost" -> {
            long rows = Long.parseLong(f[2]);
            partitionsLost.addAll(List.of(f[1].split(",")));
            rowsDropped += rows;
          }
          default -> throw new IOException("unknown event '" + f[0] + "'");
        }
      } catch (IOException | RuntimeException e) {
        throw new IOException(file + " line " + (n + 1) + " '" + line + "': " + e.getMessage(), e);
      }
    }
    return new Read(replica, List.copyOf(kept), List.copyOf(lost), List.copyOf(kept.subList(lastCkpt, kept.size())),
        commits, run, List.copyOf(partitionsLost), rowsDropped);
  }
}
