// The run report renders a full record, a minimal one, one step and 100k steps; it escapes every
// record string and fetches nothing from outside the page.
package dev.sinter.telemetry.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ObjectNode minimal(String id) {
    ObjectNode run = JSON.createObjectNode();
    run.put("format", "sinter-run/1");
    run.put("run_id", id);
    run.put("status", "running");
    run.putArray("steps");
    return run;
  }

  private static ObjectNode full() throws IOException {
    return (ObjectNode) JSON.readTree("""
        {
          "format": "sinter-run/1",
          "run_id": "train-20261129-051500",
          "status": "completed",
          "started": "2026-11-29T05:15:00Z", "finished": "2026-11-29T05:17:03Z",
          "command": "sinter train --preset debug --set log.note='<b>hi</b>'",
          "config": {"model": {"dim": 64, "layers": 2}, "train": {"steps": 4, "batch": 2},
                     "optim": {"lr": 3.0e-4}, "data": {"source": "synthetic"},
                     "log": {"note": "<script>alert('x')</script>"}},
          "config_sha256": "ab12",
          "code": {"version": "0.1.0-SNAPSHOT", "git_commit": "unknown", "git_dirty": false},
          "data": {"source": "synthetic", "describe": "random tokens", "tokenizer_sha256": null, "data_sha256": null},
          "machine": {"cpu": "AMD EPYC 7763 64-Core Processor", "cores": 2, "memory_bytes": 8589934592,
                      "os": "Linux 6.1", "jdk": "25.0.1+8 (Eclipse Adoptium)", "hostname": "box & co",
                      "kernels": "vector (AVX2 256-bit)", "threads": 2, "peak_gflops": 198.4, "peak_source": "measured"},
          "model": {"params": 124439808, "flops_per_token": 8.1e8, "formula": "6N + 12LHQT"},
          "steps": [
            {"step": 1, "loss": 10.9, "lr": 1e-4, "grad_norm": 3.1, "tokens_per_s": 900, "mfu": 0.11, "hfu": 0.12, "step_ms": 500},
            {"step": 2, "loss": 9.7, "val_loss": 9.9, "lr": 2e-4, "grad_norm": 2.5, "tokens_per_s": 1000, "mfu": 0.12, "step_ms": 450},
            {"step": 3, "loss": 8.8, "lr": 3e-4, "tokens_per_s": 1010, "mfu": 0.125, "step_ms": 440},
            {"step": 4, "loss": 8.1, "val_loss": 8.4, "lr": 3e-4, "tokens_per_s": 1020, "mfu": 0.126, "step_ms": 430}
          ],
          "totals": {"steps": 4, "tokens": 4096, "wall_s": 123.4, "train_s": 1.82, "flops": 3.3e12,
                     "tokens_per_s": 987.6, "mfu": 0.1234},
          "time_split_s": {"forward": 40.0, "backward": 60.0, "optimizer": 10.0, "data": 5.0,
                           "checkpoint": 3.0, "communication": 0.0, "validation": 2.0, "idle": 3.4},
          "memory": {"params": 124439808, "state_bytes": 1991036928, "bytes_per_param": 16,
                     "activation_bytes": 536870912, "heap_peak_bytes": 3221225472, "rss_peak_bytes": 3758096384},
          "energy": {"joules": 1086.0, "source": "estimate",
                     "basis": "estimate: 2 busy cores x 4.4 W/core (AMD EPYC 7763: 280 W TDP / 64 cores) x 123.4 s; no RAPL counters under /sys/class/powercap",
                     "watts_avg": 8.8},
          "checkpoints": [{"step": 4, "path": "runs/x/ckpt-4", "bytes": 1991036928, "blocking_ms": 12.5, "write_ms": 800}]
        }
        """);
  }

  /** Nothing in the page points outside it: no script, stylesheet, font or image is fetched. */
  private static void assertSelfContained(String html) {
    String lower = html.toLowerCase(java.util.Locale.ROOT);
    assertFalse(lower.contains("<script"), "no script element");
    assertFalse(lower.contains("<link"), "no linked stylesheet");
    assertFalse(lower.contains("@import") || lower.contains("@font-face") || lower.contains("url(http"), "no CSS fetches");
    assertFalse(lower.contains("src="), "no external sources");
    assertFalse(lower.contains("href=\"http") || lower.contains("href='http"), "no outside links");
  }

  @Test
  void fullRunRendersEverySection(@TempDir Path dir) throws IOException {
    Path html = dir.resolve("out/report.html");
    Path md = dir.resolve("out/report.md");
    RunReport.write(full(), html, md);
    String page = Files.readString(html);

    assertTrue(page.startsWith("<!DOCTYPE html>"));
    assertTrue(page.contains("train-20261129-051500"));
    assertTrue(page.contains("status-completed"));
    assertEquals(3, count(page, "<svg"), "loss, throughput and time split charts");
    for (String id : new String[] {"totals", "machine", "config", "loss", "throughput", "time", "memory", "energy", "checkpoints"}) {
      assertTrue(page.contains("<h2 id=\"" + id + "\""), "section " + id);
    }
    // Escaped, never live: the config's <script>, the command's <b>, the hostname's &.
    assertTrue(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "config value escaped");
    assertTrue(page.contains("&lt;b&gt;hi&lt;/b&gt;"));
    assertTrue(page.contains("box &amp; co"));
    assertSelfContained(page);

    assertTrue(page.contains("log.note"), "config flattened to dotted keys");
    assertTrue(page.contains("8.00 GiB"), "machine memory in binary units");
    assertTrue(page.contains("12.3 %"), "MFU as a percentage");
    assertTrue(page.contains("forward 32.4 % (40.0 s)"), "legend gives each phase's share");
    assertTrue(page.contains("validation loss"), "validation points are in the loss chart");
    assertTrue(page.contains("An estimate from assumed power"), "estimated energy is labelled");
    assertTrue(page.contains("runs/x/ckpt-4"));
    assertTrue(page.contains("265.1 J per 1,000 tokens"), page.substring(page.indexOf("id=\"energy\"")));
    // Clip-path ids are per chart, so three charts on one page cannot collide.
    assertTrue(page.contains("loss-chart-") && page.contains("time-chart-"));

    String summary = Files.readString(md);
    assertEquals(RunReport.markdown(full()), summary);
  }

  @Test
  void markdownHasTheHeadlineTables() throws IOException {
    String md = RunReport.markdown(full());
    assertTrue(md.startsWith("## Sinter run train-20261129-051500 (completed)"), md);
    assertTrue(md.contains("| steps | 4 |"), md);
    assertTrue(md.contains("| tokens | 4,096 |"), md);
    assertTrue(md.contains("| wall-clock | 123.4 s (2 min 03 s) |"), md);
    assertTrue(md.contains("| tokens/s | 987.6 |"), md);
    assertTrue(md.contains("| MFU | 12.3 % |"), md);
    assertTrue(md.contains("| forward | 40.0 s | 32.4 % |"), md);
    assertTrue(md.contains("| **accounted** | 123.4 s (2 min 03 s) | 100.0 % of wall-clock |"), md);
    assertTrue(md.contains("| process RSS peak | 3.50 GiB |"), md);
    assertTrue(md.contains("| source | estimate |"), md);
    assertTrue(md.contains("280 W TDP / 64 cores"), md);
    assertTrue(md.contains("| CPU | AMD EPYC 7763 64-Core Processor |"), md);
    assertTrue(md.contains("--set log.note='&lt;b&gt;hi&lt;/b&gt;'"), "HTML in the command is escaped in Markdown too");
  }

  @Test
  void onlyRequiredFieldsStillRenders(@TempDir Path dir) throws IOException {
    ObjectNode run = minimal("bare <run>");
    run.remove("steps");
    RunReport.write(run, dir.resolve("r.html"), dir.resolve("r.md"));
    String page = Files.readString(dir.resolve("r.html"));
    assertTrue(page.contains("bare &lt;run&gt;"));
    assertTrue(page.contains("no loss recorded"));
    assertTrue(page.contains("no checkpoints written"));
    assertTrue(page.contains("no energy recorded"));
    assertSelfContained(page);
    String md = Files.readString(dir.resolve("r.md"));
    assertTrue(md.contains("bare &lt;run&gt; (running)"), md);
    assertTrue(md.contains("_no totals recorded_"), md);
  }

  @Test
  void oneStepAndNoValidationRender() {
    ObjectNode run = minimal("one");
    ObjectNode step = ((ArrayNode) run.get("steps")).addObject();
    step.put("step", 1).put("loss", 11.0).put("tokens_per_s", 50.0);
    String page = RunReport.html(run);
    assertEquals(2, count(page, "<svg"), "loss and throughput, no time split");
    assertFalse(page.contains("validation loss"));
    assertFalse(page.contains(">1.1E1<"), "a flat series gets a readable axis, not ten equal ticks");
  }

  @Test
  void hundredThousandStepsAreDownsampled() {
    ObjectNode run = minimal("long");
    ArrayNode steps = (ArrayNode) run.get("steps");
    for (int i = 1; i <= 100_000; i++) {
      ObjectNode s = steps.addObject();
      s.put("step", i).put("loss", 10.0 / Math.sqrt(i) + (i == 54_321 ? 7.0 : 0)).put("mfu", 0.3).put("tokens_per_s", 1000.0 + i % 7);
      if (i % 1000 == 0) {
        s.put("val_loss", 10.0 / Math.sqrt(i) + 0.1);
      }
    }
    String page = RunReport.html(run);
    assertTrue(page.contains("Downsampled from 100,000 points"));
    Matcher paths = Pattern.compile("<path[^>]* d='([^']*)'").matcher(page);
    int longest = 0;
    while (paths.find()) {
      longest = Math.max(longest, count(paths.group(1), "L") + 1);
    }
    assertTrue(longest > 1000 && longest <= Series.MAX_POINTS, "longest polyline has " + longest + " points");
    assertTrue(page.length() < 2_000_000, "page is " + page.length() + " chars");
  }

  @Test
  void wrongOrMissingRequiredFieldsAreNamed() throws IOException {
    ObjectNode run = minimal("x");
    run.put("format", "sinter-run/2");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.markdown(run));
    assertTrue(e.getMessage().contains("sinter-run/2") && e.getMessage().contains("sinter-run/1"), e.getMessage());
    ObjectNode noId = minimal("x");
    noId.remove("run_id");
    e = assertThrows(IllegalArgumentException.class, () -> RunReport.html(noId));
    assertTrue(e.getMessage().contains("\"run_id\""), e.getMessage());
  }

  @Test
  void readChecksTheFile(@TempDir Path dir) throws IOException {
    Path good = Files.writeString(dir.resolve("run.json"), full().toString());
    assertEquals("train-20261129-051500", RunReport.read(good).get("run_id").asText());
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"format\": ");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunReport.read(bad));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  private static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }
}
