package org.streamlearn.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison and the parsing DocExamplesTest relies on: each must be able to say no. */
class ExpectedOutputTest {
  @Test
  void jsonMatchesOnKeysLengthsAndTypesWithNumbersFree() {
    String page = "{\"name\": \"digits\", \"version\": 30, \"metrics\": {\"loss\": 0.2, \"acc\": null}, \"classes\": [1, 2]}";
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"digits\",\"version\":655,\"metrics\":{\"loss\":null,\"acc\":0.9},\"classes\":[7,3]}")).isNull();
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"digits\",\"version\":655,\"metrics\":{\"loss\":0.1},\"classes\":[7,3]}"))
        .contains("$.metrics").contains("documented but not answered [acc]");
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"digits\",\"version\":655,\"metrics\":{\"loss\":0.1,\"acc\":1,\"x\":1},\"classes\":[7,3]}"))
        .contains("answered but not documented [x]");
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"co2\",\"version\":655,\"metrics\":{\"loss\":0.1,\"acc\":1},\"classes\":[7,3]}"))
        .contains("$.name").contains("co2");
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"digits\",\"version\":\"655\",\"metrics\":{\"loss\":0.1,\"acc\":1},\"classes\":[7,3]}"))
        .contains("$.version: expected a number");
    assertThat(ExpectedOutput.mismatch(page, "{\"name\":\"digits\",\"version\":1,\"metrics\":{\"loss\":0.1,\"acc\":1},\"classes\":[7]}"))
        .contains("$.classes: expected 2 elements");
    assertThat(ExpectedOutput.mismatch("{\"ready\": true}", "{\"ready\": false}")).contains("$.ready");
    assertThat(ExpectedOutput.mismatch(page, "not json")).contains("expected JSON");
  }

  @Test
  void httpMatchesStatusAndShownHeaders() {
    String page = "HTTP/1.1 200 OK\nETag: \"30\"\ncontent-type: application/octet-stream";
    String got = "HTTP/1.1 200 OK\r\nX-Content-Type-Options: nosniff\r\netag: \"655\"\r\ncontent-type: application/octet-stream\r\n\r\n";
    assertThat(ExpectedOutput.mismatch(page, got)).isNull();
    assertThat(ExpectedOutput.mismatch(page, got.replace("200 OK", "304 Not Modified"))).contains("expected status 200");
    assertThat(ExpectedOutput.mismatch(page, got.replace("octet-stream", "json"))).contains("content-type");
    assertThat(ExpectedOutput.mismatch("HTTP/1.1 404 Not Found\n\n{\"error\": \"unknown model\"}",
        "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n{\"error\":\"unknown route\"}")).contains("$.error");
  }

  @Test
  void textMatchesLinesInOrderWithNumbersFreeAndJsonData() {
    String page = "event: version\nid: 30\ndata: {\"version\": 30, \"examples\": 480}";
    String got = ": digits updates\nretry: 2000\n\nevent: version\nid: 486\ndata: {\"version\":486,\"examples\":5860}\n\n: heartbeat\n";
    assertThat(ExpectedOutput.mismatch(page, got)).isNull();
    assertThat(ExpectedOutput.mismatch(page, got.replace(",\"examples\":5860", ""))).contains("data:");
    assertThat(ExpectedOutput.mismatch("class 4 probability 0.764", "class 7 probability 0.5\n")).isNull();
    assertThat(ExpectedOutput.mismatch("class 4 probability 0.764", "label 7 probability 0.5\n")).contains("class");
    assertThat(ExpectedOutput.mismatch("a\nb", "b\na")).contains("'b'"); // order counts
    // A program's whole output: no line more or less than the page shows.
    assertThat(ExpectedOutput.mismatchExactLines("x 1\ny 2", "x 3\ny 4\n")).isNull();
    assertThat(ExpectedOutput.mismatchExactLines("x 1\ny 2", "x 3\nz 5\ny 4\n")).contains("expected 2 lines, got 3");
  }

  @Test
  void pagesAreParsedIntoCommandsWithLinesAndMarks(@TempDir Path dir) throws Exception {
    Path md = dir.resolve("page.md");
    Files.writeString(md, """
        Intro.

        ```console
        $ curl -s localhost:8080/health
        {"status": "UP"}
        $ long \\
          command
        ```

        <!-- example: pending (not built) -->
        ```console
        $ curl -s -X POST localhost:8080/x
        ```

        ```python
        print(1)
        ```
        ```text
        1
        ```

        ```json
        {"an": "illustration"}
        ```
        """);
    var ex = DocExamples.parse(md).examples();
    assertThat(ex).hasSize(3);
    assertThat(ex.get(0).commands()).hasSize(2);
    assertThat(ex.get(0).commands().get(0).line()).isEqualTo(4);
    assertThat(ex.get(0).commands().get(0).expected()).isEqualTo("{\"status\": \"UP\"}");
    assertThat(ex.get(0).commands().get(1).text()).isEqualTo("long \\\n  command");
    assertThat(ex.get(1).mark()).isEqualTo(DocExamples.Mark.PENDING);
    assertThat(ex.get(1).reason()).isEqualTo("not built");
    assertThat(ex.get(2).kind()).isEqualTo(DocExamples.Kind.PYTHON);
    assertThat(ex.get(2).expected()).isEqualTo("1\n");
  }
}
