package org.streamlearn.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runnable examples of a Markdown page, by the convention testing.md describes: {@code console}
 * blocks of {@code $ } commands each followed by its expected output, {@code python} blocks with an
 * optional {@code text} block of expected output right after, and {@code yaml} blocks marked
 * {@code <!-- example: config -->} or {@code config-error} (then the next {@code text} block is the
 * expected message). {@code <!-- example: skip (why) -->} and {@code pending (why)} mark the block
 * that follows.
 */
record DocExamples(Path file, List<Example> examples) {
  enum Kind { CONSOLE, PYTHON, CONFIG, CONFIG_ERROR }

  enum Mark { NONE, SKIP, PENDING }

  /** One command of a console block: the line it starts on, its text, and the output expected. */
  record Command(int line, String text, String expected) {}

  /** One example: a block (or, for console, its commands), where it is, and what it should give. */
  record Example(Path file, int line, Kind kind, Mark mark, String reason, String code, String expected,
      List<Command> commands) {
    String where() {
      return file + ":" + line;
    }
  }

  /** A fenced block: the line of its opening fence, its info string, its text, the marker above. */
  private record Block(int line, String info, String text, Mark mark, String markText, String reason) {}

  private static final Pattern MARK = Pattern.compile("<!--\\s*example:\\s*([a-z-]+)\\s*(?:\\((.*)\\))?\\s*-->");

  static DocExamples parse(Path file) throws IOException {
    List<Block> blocks = blocks(file, Files.readAllLines(file));
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Block b = blocks.get(i);
      String lang = b.info().split("\\s+")[0];
      Block next = i + 1 < blocks.size() ? blocks.get(i + 1) : null;
      String nextText = next != null && next.info().equals("text") ? next.text() : null;
      switch (lang) {
        case "console" -> out.add(new Example(file, b.line(), Kind.CONSOLE, b.mark(), b.reason(), b.text(), null,
            commands(b)));
        case "python" -> out.add(new Example(file, b.line(), Kind.PYTHON, b.mark(), b.reason(), b.text(), nextText,
            List.of()));
        case "yaml" -> {
          if ("config".equals(b.markText())) {
            out.add(new Example(file, b.line(), Kind.CONFIG, Mark.NONE, null, b.text(), null, List.of()));
          } else if ("config-error".equals(b.markText())) {
            if (nextText == null) throw new IllegalStateException(file + ":" + b.line()
                + ": a config-error example needs a text block with the expected message after it");
            out.add(new Example(file, b.line(), Kind.CONFIG_ERROR, Mark.NONE, null, b.text(), nextText, List.of()));
          }
        }
        default -> { } // an illustration
      }
    }
    return new DocExamples(file, out);
  }

  private static List<Block> blocks(Path file, List<String> lines) {
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.startsWith("```")) continue;
      int open = i;
      String info = l.substring(3).strip();
      StringBuilder text = new StringBuilder();
      for (i++; i < lines.size() && !lines.get(i).startsWith("```"); i++) text.append(lines.get(i)).append('\n');
      if (i >= lines.size()) throw new IllegalStateException(file + ":" + (open + 1) + ": unclosed code block");
      // The marker, if any, is the last non-blank line before the fence.
      Mark mark = Mark.NONE;
      String markText = null, reason = null;
      int p = open - 1;
      while (p >= 0 && lines.get(p).isBlank()) p--;
      Matcher m = p >= 0 ? MARK.matcher(lines.get(p).strip()) : null;
      if (m != null && m.matches()) {
        markText = m.group(1);
        reason = m.group(2);
        mark = switch (markText) {
          case "skip" -> Mark.SKIP;
          case "pending" -> Mark.PENDING;
          case "config", "config-error" -> Mark.NONE;
          default -> throw new IllegalStateException(file + ":" + (p + 1) + ": unknown example mark '" + markText
              + "' (skip, pending, config, config-error)");
        };
      }
      blocks.add(new Block(open + 1, info, text.toString(), mark, markText, reason));
    }
    return blocks;
  }

  /** The commands of a console block: each "$ " line (with its "\" continuations) and the lines after it. */
  private static List<Command> commands(Block b) {
    List<Command> out = new ArrayList<>();
    String[] lines = b.text().split("\n", -1);
    int i = 0;
    while (i < lines.length && lines[i].isBlank()) i++;
    while (i < lines.length) {
      if (!lines[i].startsWith("$ ")) {
        throw new IllegalStateException("line " + (b.line() + 1 + i) + ": a console block's first line must be a '$ ' command");
      }
      int start = b.line() + 1 + i;
      StringBuilder cmd = new StringBuilder(lines[i].substring(2));
      while (cmd.toString().endsWith("\\") && i + 1 < lines.length) cmd.append('\n').append(lines[++i]);
      StringBuilder expected = new StringBuilder();
      for (i++; i < lines.length && !lines[i].startsWith("$ "); i++) expected.append(lines[i]).append('\n');
      out.add(new Command(start, cmd.toString(), expected.toString().stripTrailing()));
    }
    return out;
  }
}
