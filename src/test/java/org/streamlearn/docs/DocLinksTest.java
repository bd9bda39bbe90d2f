package org.streamlearn.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every relative link of README.md and src/site/markdown/*.md names a file that exists, and a heading in it. */
class DocLinksTest {
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  /**
   * Pages another branch writes: a link to them is accepted while they are missing, and the test
   * fails once they exist so the entry is removed.
   */
  private static final Set<Path> WRITTEN_ELSEWHERE = Set.of();

  @Test
  void relativeLinksResolveToFilesAndHeadings() throws Exception {
    List<Path> pages = new ArrayList<>(List.of(Path.of("README.md")));
    try (Stream<Path> s = Files.list(DocExamplesTest.SITE)) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    List<String> broken = new ArrayList<>();
    for (Path page : pages) {
      List<String> lines = Files.readAllLines(page);
      boolean inCode = false;
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).startsWith("```")) inCode = !inCode;
        if (inCode) continue;
        Matcher m = LINK.matcher(lines.get(i));
        while (m.find()) {
          String href = m.group(1);
          if (href.matches("[a-z]+:.*")) continue; // http(s), mailto: not checked here
          String file = href.contains("#") ? href.substring(0, href.indexOf('#')) : href;
          String anchor = href.contains("#") ? href.substring(href.indexOf('#') + 1) : null;
          Path target = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
          Path rel = Path.of("").toAbsolutePath().relativize(target.toAbsolutePath());
          String where = page + ":" + (i + 1) + ": " + href;
          if (!Files.exists(target)) {
            if (!WRITTEN_ELSEWHERE.contains(rel)) broken.add(where + ": no file " + rel);
          } else if (anchor != null && !anchors(target).contains(anchor)) {
            broken.add(where + ": no heading #" + anchor + " in " + rel);
          }
        }
      }
    }
    assertThat(broken).as("broken links").isEmpty();
    for (Path p : WRITTEN_ELSEWHERE) {
      assertThat(p).as("%s exists now: remove it from WRITTEN_ELSEWHERE", p).doesNotExist();
    }
  }

  /** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as dashes. */
  static Set<String> anchors(Path md) throws Exception {
    Set<String> out = new HashSet<>();
    if (!md.toString().endsWith(".md")) return out;
    boolean inCode = false;
    for (String l : Files.readAllLines(md)) {
      if (l.startsWith("```")) inCode = !inCode;
      if (inCode || !l.startsWith("#")) continue;
      String title = l.replaceFirst("^#+\\s*", "").strip().toLowerCase(Locale.ROOT);
      out.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return out;
  }
}
