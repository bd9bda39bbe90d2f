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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * r &lt;step&gt; &lt;to&gt;                    the divergence guard rolled back to the state of version &lt;to&gt;, which is
 *                                  now version &lt;step&gt;: the t lines before it with a step after &lt;to&gt;
 *                                  and up to &lt;step&gt; are not in the state; a control reset writes
 *                                  {@code r <step> 0} (the seed's state, and the version line goes on)
 * time &lt;epoch ms&gt;                 wall clock before a chunk of rows is taken (at most one per ms)
 * lost &lt;tp,tp,...&gt;                the group took these partitions away without a hand-over (session
 *                                  expired; or revoked with rows still queued), written by the
 *                                  consumer thread at that moment, after every t line of a row the
 *                                  trainer took of them ({@code RowRing#giveUp})
 * dropped &lt;rows&gt;                   the trainer passed the queued rows of the partitions of the
 *                                  oldest {@code lost} line not yet followed by its dropped line:
 *                                  this many were dropped, not trained
 * </pre>
 *
 * <p>(Files written before the {@code dropped} line have {@code lost <tp,...> <rows>}, written by the
 * trainer once it had passed the rows; they are read too.)
 *
 * <p>A lost partition's t lines before its {@code lost} line stay in the state (they are trained;
 * the next checkpoint holds them and their offsets), and none follows for the dropped rows: its
 * later t lines come from a later assignment, which starts at the group's committed offset.
 *
 * <p>The buffer is written to the file (not fsynced: kill -9 keeps the page cache) before every
 * checkpoint is written, so every record a checkpoint holds has its line on disk; a {@code restore}
 * marker then says that lines after the newest {@code ckpt} of that step are not in the state, and
 * that the state is again what it was at that marker: a rollback after it is undone with the rest
 * (the restored learner holds the steps it discarded, and meets the same divergence again when it
 * trains the same records). Steps are weights versions, which never repeat within a history: a
 * batch whose loss or gradient was not finite takes the version of the rolled-back state (the {@code
 * <step>} of its {@code r} line), the next batch the one after (see {@code OnlineLearner}). A
 * rollback found in the weights themselves (cause {@code parameters}) leaves the rows of the batch
 * being assembled, whose t lines say {@code <step> + 1}, in the state. Lines are kept in a
 * preallocated buffer (no allocation per record) and written when it fills.
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

  /**
   * The divergence guard rolled back to version {@code to}, and that state is now version {@code
   * step} (see {@code Divergence.versionAfter}).
   */
  synchronized void rolledBack(long step, long to) {
    text("r ").num(step).text(" ").num(to).nl();
    flush();
  }

  /** The wall clock, before the trainer takes a chunk of rows: dates the t lines after it. */
  synchronized void time(long epochMillis) {
    room(300);
    text("time ").num(epochMillis).nl();
  }

  /** Partitions ("a-0,a-1") lost without a hand-over (consumer thread, at the loss). */
  synchronized void lost(String partitions) {
    room(partitions.length() + 64);
    text("lost ").text(partitions).nl();
    flush();
  }

  /** The trainer passed the queued rows of the oldest loss not yet reported: this many were dropped. */
  synchronized void dropped(long rows) {
    room(64);
    text("dropped ").num(rows).nl();
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
   *     run, minus those after the newest checkpoint marker of the step restored by the next run,
   *     minus those whose steps a rollback discarded
   * @param lost trained lines whose effect was dropped by a restore (trained again after it); not to be
   *     confused with partitions lost to a session expiry ({@code partitionsLost})
   * @param rolledBack trained lines whose step a rollback of the divergence guard or a reset discarded
   *     (and no restore brought back): the steps after the version rolled back to, and the batch that
   *     failed; their records are not in the state and are not trained again
   * @param afterLastCheckpoint effective lines after the last durable checkpoint (the last ckpt marker
   *     followed by a durable marker of its step): held only by the live state, lost if the process
   *     died
   * @param commits the last offset committed per topic-partition
   * @param runs process starts
   * @param partitionsLost partitions lost without a hand-over, once per loss, in order
   * @param rowsDropped queued rows of lost partitions dropped (never trained, so in no list above)
   * @param lostTail trained lines of a partition this replica then lost, at or after its last commit
   *     of it before the loss: in this state, and trained again by the next owner from that commit
   *     (the same tail as a killed replica's after its last commit)
   */
  public record Read(String replica, List<Entry> effective, List<Entry> lost, List<Entry> rolledBack,
      List<Entry> afterLastCheckpoint, Map<String, Long> commits, int runs, List<String> partitionsLost,
      long rowsDropped, List<Entry> lostTail) {}

  /** A trained line while reading: its entry, where its adding sits in the history, what became of it. */
  private static final class Slot {
    final Entry e;
    final int added;
    byte state; // IN, ROLLED or LOST

    Slot(Entry e, int added) {
      this.e = e;
      this.added = added;
    }
  }

  private static final byte IN = 0, ROLLED = 1, LOST = 2;

  /**
   * Parses an audit file; a malformed line fails naming its number. The history is a list of
   * operations (a record trained, a trained record rolled back); a ckpt marker remembers its length,
   * and a restore undoes every operation after the marker of the restored step.
   */
  public static Read read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<Slot> slots = new ArrayList<>();
    List<Slot> history = new ArrayList<>(); // operations; a slot's first occurrence trained it, a later one rolled it back
    List<Entry> lost = new ArrayList<>();
    // History length at each "ckpt <step>" (newest wins).
    Map<Long, Integer> ckptAt = new HashMap<>();
    Map<String, Long> commits = new LinkedHashMap<>();
    List<String> partitionsLost = new ArrayList<>();
    Set<Slot> lostTail = new LinkedHashSet<>(); // by identity: each trained line once
    long rowsDropped = 0;
    String replica = null;
    int run = 0, lastCkpt = 0;
    long millis = 0;
    Integer pending = null; // history length at the newest ckpt marker, until its durable marker
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
            lastCkpt = history.size();
            pending = null;
          }
          case "t" -> {
            Slot s = new Slot(new Entry(replica, run, f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), millis),
                history.size());
            slots.add(s);
            history.add(s);
          }
          case "time" -> millis = Long.parseLong(f[1]);
          case "d" -> { } // dead-lettered, not trained
          case "ckpt" -> {
            ckptAt.put(Long.parseLong(f[1]), history.size());
            pending = history.size();
            pendingStep = Long.parseLong(f[1]);
          }
          case "durable" -> {
            if (pending != null && Long.parseLong(f[1]) == pendingStep) lastCkpt = pending;
            else if (ckptAt.containsKey(Long.parseLong(f[1]))) lastCkpt = Math.max(lastCkpt, ckptAt.get(Long.parseLong(f[1])));
          }
          case "r" -> {
            if (f.length != 3) throw new IOException("expected 'r <step> <to>'");
            long step = Long.parseLong(f[1]), to = Long.parseLong(f[2]);
            if (to > step) throw new IOException("rolled back to version " + to + ", after the version " + step + " it became");
            // Steps only grow along the history (restores cut it at a marker), so the discarded
            // ones are at its end; lines of a restored-over history are lost and skipped.
            for (int i = slots.size() - 1; i >= 0; i--) {
              Slot s = slots.get(i);
              if (s.state == LOST) continue;
              if (s.e.step() <= to) break;
              if (s.state == IN && s.e.step() <= step) {
                s.state = ROLLED;
                history.add(s);
              }
            }
          }
          case "restore" -> {
            Integer at = ckptAt.get(Long.parseLong(f[1]));
            if (at == null) throw new IOException("restore of step " + f[1] + " without a ckpt marker of that step");
            List<Entry> dropped = new ArrayList<>();
            for (int i = history.size() - 1; i >= at; i--) { // undo, newest first
              Slot s = history.get(i);
              if (s.state == ROLLED && s.added < at) s.state = IN; // in the restored state again
              else if (s.added == i) {
                s.state = LOST;
                dropped.add(s.e);
              } else {
                s.state = LOST; // trained after the marker and rolled back since: lost with the rest
              }
            }
            history.subList(at, history.size()).clear();
            java.util.Collections.reverse(dropped);
            lost.addAll(dropped);
            ckptAt.values().removeIf(i -> i > at);
            lastCkpt = at;
            pending = null;
          }
          case "commit" -> commits.put(f[1], Long.parseLong(f[2]));
          case "dropped" -> rowsDropped += Long.parseLong(f[1]);
          case "lost" -> {
            if (f.length == 3) rowsDropped += Long.parseLong(f[2]); // the older form
            else if (f.length != 2) throw new IOException("expected 'lost <tp,tp,...>'");
            for (String tp : f[1].split(",")) {
              partitionsLost.add(tp);
              long from = commits.getOrDefault(tp, 0L);
              for (Slot s : slots)
                if (s.state == IN && s.e.tp().equals(tp) && s.e.offset() >= from) lostTail.add(s);
            }
          }
          default -> throw new IOException("unknown event '" + f[0] + "'");
        }
      } catch (IOException | RuntimeException e) {
        throw new IOException(file + " line " + (n + 1) + " '" + line + "': " + e.getMessage(), e);
      }
    }
    List<Entry> effective = new ArrayList<>(), rolledBack = new ArrayList<>(), tail = new ArrayList<>();
    for (Slot s : slots) {
      if (s.state == IN) {
        effective.add(s.e);
        if (s.added >= lastCkpt) tail.add(s.e);
      } else if (s.state == ROLLED) {
        rolledBack.add(s.e);
      }
    }
    return new Read(replica, List.copyOf(effective), List.copyOf(lost), List.copyOf(rolledBack), List.copyOf(tail),
        commits, run, List.copyOf(partitionsLost), rowsDropped,
        lostTail.stream().filter(s -> s.state == IN).map(s -> s.e).toList()); // still in the state at the end
  }
}
