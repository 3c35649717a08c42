// `sinter report run.json`: turns a run record (format sinter-run/1) into one self-contained HTML
// page (inline CSS and SVG charts; no script, font or stylesheet is fetched) and a Markdown summary
// for pasting into docs. Only format, run_id and status are required; every other section is drawn
// when its fields are there and says so when they are not, so a failed or still-running run renders.
package dev.sinter.telemetry.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Supplier;

/** Renders a run record as an HTML report and a Markdown summary. */
public final class RunReport {
  /** The run-record format this reader understands. */
  public static final String FORMAT = "sinter-run/1";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> TOTALS_ORDER =
      List.of("steps", "tokens", "wall_s", "train_s", "flops", "tokens_per_s", "mfu");
  private static final List<String> MACHINE_ORDER = List.of("cpu", "cores", "memory_bytes", "os", "jdk",
      "hostname", "kernels", "threads", "peak_gflops", "peak_source");
  private static final List<String> MEMORY_ORDER = List.of("params", "bytes_per_param", "state_bytes",
      "activation_bytes", "heap_peak_bytes", "rss_peak_bytes");
  private static final List<String> ENERGY_ORDER = List.of("joules", "watts_avg", "source", "basis");
  private static final List<String> CHECKPOINT_ORDER = List.of("step", "path", "bytes", "blocking_ms", "write_ms");

  private RunReport() {}

  /**
   * Reads and checks a run record.
   *
   * @param runJson the run.json a training run wrote
   * @throws IllegalArgumentException if the file is not JSON or not a {@value #FORMAT} record
   * @throws UncheckedIOException     if the file cannot be read
   */
  public static JsonNode read(Path runJson) {
    JsonNode run;
    try {
      run = JSON.readTree(runJson.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IllegalArgumentException(runJson + " is not valid JSON: " + e.getOriginalMessage()
          + "; pass the run.json that `sinter train` wrote", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read run record " + runJson + ": " + e.getMessage(), e);
    }
    check(run, runJson.toString());
    return run;
  }

  /**
   * Writes the HTML report and the Markdown summary, creating parent directories.
   *
   * @param run      a {@value #FORMAT} run record
   * @param html     where the self-contained HTML page goes
   * @param markdown where the Markdown summary goes
   * @throws IllegalArgumentException if a required field (format, run_id, status) is missing or wrong
   */
  public static void write(JsonNode run, Path html, Path markdown) {
    check(run, "run record");
    writeFile(html, html(run));
    writeFile(markdown, markdown(run));
  }

  /**
   * The Markdown summary: headline totals, time split, memory, energy and machine tables.
   *
   * @param run a {@value #FORMAT} run record
   */
  public static String markdown(JsonNode run) {
    check(run, "run record");
    return Markdown.render(run);
  }

  /**
   * The HTML report as one string: everything inline, every string from the record escaped.
   *
   * @param run a {@value #FORMAT} run record
   */
  public static String html(JsonNode run) {
    check(run, "run record");
    String id = run.get("run_id").asText();
    String status = run.get("status").asText();
    StringBuilder h = new StringBuilder(64 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Sinter run ").append(Text.html(id)).append("</title>\n<style>\n").append(CSS)
        .append("</style>\n</head>\n<body>\n");
    header(h, run, id, status);

    section(h, "totals", "Totals");
    Text.object(run, "totals").ifPresentOrElse(t -> table(h, t, TOTALS_ORDER), () -> none(h, "no totals recorded"));

    section(h, "machine", "Machine");
    Text.object(run, "machine").ifPresentOrElse(m -> table(h, m, MACHINE_ORDER), () -> none(h, "no machine recorded"));

    section(h, "config", "Configuration");
    configTables(h, run);

    JsonNode steps = run.get("steps");
    section(h, "loss", "Loss");
    Series loss = Series.fromSteps(steps, "loss", "training loss", 1);
    Series val = Series.fromSteps(steps, "val_loss", "validation loss", 1);
    if (loss.isEmpty() && val.isEmpty()) {
      none(h, "no loss recorded");
    } else {
      List<Series> curves = new ArrayList<>();
      List<Boolean> markersOnly = new ArrayList<>();
      for (Series s : List.of(loss, val)) {
        if (!s.isEmpty()) {
          curves.add(s);
          markersOnly.add(s == val);
        }
      }
      figure(h, () -> Charts.lines("loss-chart", "loss (nats/token)", curves, markersOnly),
          pointsNote(curves));
    }

    section(h, "throughput", "Throughput and MFU");
    Series tps = Series.fromSteps(steps, "tokens_per_s", "tokens/s", 1);
    Series mfu = Series.fromSteps(steps, "mfu", "MFU (%)", 100);
    if (tps.isEmpty() && mfu.isEmpty()) {
      none(h, "no throughput recorded");
    } else if (tps.isEmpty() || mfu.isEmpty()) {
      Series only = tps.isEmpty() ? mfu : tps;
      figure(h, () -> Charts.lines("throughput-chart", only.name(), List.of(only), List.of(false)),
          pointsNote(List.of(only)));
    } else {
      figure(h, () -> Charts.twoPanels("throughput-chart", tps, "tokens/s", mfu, "MFU (%)"),
          pointsNote(List.of(tps, mfu)));
    }

    section(h, "time", "Where the time went");
    timeSplit(h, run);

    section(h, "memory", "Memory");
    Text.object(run, "memory").ifPresentOrElse(m -> table(h, m, MEMORY_ORDER), () -> none(h, "no memory figures recorded"));

    section(h, "energy", "Energy");
    energy(h, run);

    section(h, "checkpoints", "Checkpoints");
    checkpoints(h, run.get("checkpoints"));

    h.append("<footer>").append(Text.html(run.get("format").asText()))
        .append(" · rendered by <code>sinter report</code></footer>\n</body>\n</html>\n");
    return h.toString();
  }

  /** Rejects a record without the three required fields, naming what is wrong. */
  static void check(JsonNode run, String where) {
    if (run == null || !run.isObject()) {
      throw new IllegalArgumentException(where + ": a run record must be a JSON object");
    }
    JsonNode format = run.get("format");
    if (format == null || !format.isTextual()) {
      throw new IllegalArgumentException(where + ": missing \"format\"; expected \"" + FORMAT + "\"");
    }
    if (!format.asText().equals(FORMAT)) {
      throw new IllegalArgumentException(where + ": format is \"" + format.asText() + "\" but this Sinter reads \""
          + FORMAT + "\"; render it with the Sinter version that wrote it");
    }
    for (String field : List.of("run_id", "status")) {
      JsonNode v = run.get(field);
      if (v == null || !v.isTextual() || v.asText().isBlank()) {
        throw new IllegalArgumentException(where + ": missing required field \"" + field + "\"");
      }
    }
  }

  private static void header(StringBuilder h, JsonNode run, String id, String status) {
    String statusClass = status.toLowerCase(Locale.ROOT).replaceAll("[^a-z]", "");
    h.append("<header>\n<h1>Sinter run <code>").append(Text.html(id)).append("</code> <span class=\"status status-")
        .append(statusClass).append("\">").append(Text.html(status)).append("</span></h1>\n<p>");
    Text.str(run, "started").ifPresent(s -> h.append("started ").append(Text.html(s)));
    Text.str(run, "finished").ifPresent(s -> h.append(" · finished ").append(Text.html(s)));
    h.append("</p>\n");
    Text.str(run, "command").ifPresent(c -> h.append("<pre class=\"command\">").append(Text.html(c)).append("</pre>\n"));
    h.append("</header>\n");
  }

  private static void configTables(StringBuilder h, JsonNode run) {
    boolean any = false;
    for (String part : List.of("model", "code", "data")) {
      JsonNode node = Text.object(run, part).orElse(null);
      if (node != null) {
        h.append("<h3>").append(part).append("</h3>\n");
        table(h, node, List.of());
        any = true;
      }
    }
    JsonNode config = Text.object(run, "config").orElse(null);
    if (config != null) {
      h.append("<h3>config");
      Text.str(run, "config_sha256").ifPresent(s -> h.append(" <small>SHA-256 <code>").append(Text.html(s)).append("</code></small>"));
      h.append("</h3>\n");
      Map<String, JsonNode> flat = new LinkedHashMap<>();
      flatten("", config, flat);
      h.append("<table class=\"kv\">\n");
      flat.forEach((k, v) -> row(h, k, v.isValueNode() ? v.asText() : v.toString()));
      h.append("</table>\n");
      any = true;
    }
    if (!any) {
      none(h, "no configuration recorded");
    }
  }

  private static void timeSplit(StringBuilder h, JsonNode run) {
    JsonNode split = Text.object(run, "time_split_s").orElse(null);
    Map<String, Double> phases = new LinkedHashMap<>();
    if (split != null) {
      for (Map.Entry<String, JsonNode> e : split.properties()) {
        OptionalDouble s = Text.num(split, e.getKey());
        if (s.isPresent() && s.getAsDouble() > 0) {
          phases.put(e.getKey(), s.getAsDouble());
        }
      }
    }
    if (phases.isEmpty()) {
      none(h, "no time split recorded");
      return;
    }
    double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
    figure(h, () -> Charts.stackedBar("time-chart", phases), "");
    h.append("<table>\n<tr><th>phase</th><th>seconds</th><th>share</th></tr>\n");
    phases.forEach((k, v) -> h.append("<tr><td>").append(Text.html(k)).append("</td><td>")
        .append(Text.html(Text.seconds(v))).append("</td><td>").append(Text.percent(v / total)).append("</td></tr>\n"));
    h.append("<tr class=\"sum\"><td>accounted</td><td>").append(Text.html(Text.seconds(total))).append("</td><td>");
    OptionalDouble wall = Text.num(run.get("totals"), "wall_s");
    h.append(wall.isPresent() && wall.getAsDouble() > 0
        ? Text.percent(total / wall.getAsDouble()) + " of wall-clock" : "").append("</td></tr>\n</table>\n");
  }

  private static void energy(StringBuilder h, JsonNode run) {
    JsonNode energy = Text.object(run, "energy").orElse(null);
    if (energy == null) {
      none(h, "no energy recorded");
      return;
    }
    if ("estimate".equals(energy.path("source").asText())) {
      h.append("<p class=\"note\">An estimate from assumed power, not a measurement; the basis says what was assumed.</p>\n");
    }
    table(h, energy, ENERGY_ORDER);
    OptionalDouble joules = Text.num(energy, "joules");
    OptionalDouble tokens = Text.num(run.get("totals"), "tokens");
    if (joules.isPresent() && tokens.isPresent() && tokens.getAsDouble() > 0) {
      h.append("<p>").append(String.format(Locale.ROOT, "%,.1f", joules.getAsDouble() / tokens.getAsDouble() * 1000))
          .append(" J per 1,000 tokens trained.</p>\n");
    }
  }

  private static void checkpoints(StringBuilder h, JsonNode list) {
    if (list == null || !list.isArray() || list.isEmpty()) {
      none(h, "no checkpoints written");
      return;
    }
    List<String> columns = new ArrayList<>(CHECKPOINT_ORDER);
    for (JsonNode c : list) {
      for (Map.Entry<String, JsonNode> e : c.properties()) {
        if (!columns.contains(e.getKey())) {
          columns.add(e.getKey());
        }
      }
    }
    h.append("<table>\n<tr>");
    columns.forEach(c -> h.append("<th>").append(Text.html(Text.label(c))).append("</th>"));
    h.append("</tr>\n");
    for (JsonNode c : list) {
      h.append("<tr>");
      columns.forEach(col -> h.append("<td>").append(Text.html(Text.value(col, c.get(col)))).append("</td>"));
      h.append("</tr>\n");
    }
    h.append("</table>\n");
  }

  /** A two-column table of an object's fields, known keys first in {@code order}, nested ones dotted. */
  private static void table(StringBuilder h, JsonNode object, List<String> order) {
    Map<String, JsonNode> flat = new LinkedHashMap<>();
    for (String k : order) {
      if (object.has(k)) {
        flat.put(k, object.get(k));
      }
    }
    Map<String, JsonNode> rest = new LinkedHashMap<>();
    flatten("", object, rest);
    rest.forEach(flat::putIfAbsent);
    h.append("<table class=\"kv\">\n");
    flat.forEach((k, v) -> row(h, Text.label(k), Text.value(k, v)));
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String key, String value) {
    h.append("<tr><th>").append(Text.html(key)).append("</th><td>").append(Text.html(value)).append("</td></tr>\n");
  }

  private static void flatten(String prefix, JsonNode node, Map<String, JsonNode> out) {
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      String key = prefix + e.getKey();
      if (e.getValue().isObject() && !e.getValue().isEmpty()) {
        flatten(key + ".", e.getValue(), out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static void section(StringBuilder h, String id, String title) {
    h.append("<h2 id=\"").append(id).append("\">").append(title).append("</h2>\n");
  }

  private static void none(StringBuilder h, String what) {
    h.append("<p class=\"none\">").append(Text.html(what)).append("</p>\n");
  }

  /** Draws a chart; if the platform cannot (no fonts, broken AWT), says so and the tables still come. */
  private static void figure(StringBuilder h, Supplier<String> chart, String caption) {
    String svg;
    try {
      svg = chart.get();
    } catch (RuntimeException | LinkageError | java.awt.AWTError e) {
      none(h, "chart not drawn: " + e);
      return;
    }
    h.append("<figure>").append(svg);
    if (!caption.isEmpty()) {
      h.append("<figcaption>").append(Text.html(caption)).append("</figcaption>");
    }
    h.append("</figure>\n");
  }

  private static String pointsNote(List<Series> series) {
    int most = series.stream().mapToInt(Series::size).max().orElse(0);
    if (most <= Series.MAX_POINTS) {
      return "";
    }
    return "Downsampled from " + Text.count(most) + " points to at most " + Text.count(Series.MAX_POINTS)
        + " per series, keeping each bucket's lowest and highest value.";
  }

  private static void writeFile(Path file, String text) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write report " + file + ": " + e.getMessage(), e);
    }
  }

  private static final String CSS = """
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}
      h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{font-size:1em;margin-bottom:.3em}
      code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}
      pre.command{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
      table{border-collapse:collapse;margin:.5em 0}th,td{padding:.25em .8em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
      table.kv th{font-weight:normal;color:#555;white-space:nowrap}td{word-break:break-word}
      tr.sum td{font-weight:bold}figure{margin:1em 0}figure svg{width:100%;height:auto}figcaption{color:#666;font-size:.9em}
      .status{font-size:.7em;padding:.1em .5em;border-radius:.3em;background:#eee;vertical-align:middle}
      .status-completed{background:#d4f4d4}.status-failed{background:#f8d0d0}.status-interrupted{background:#fbe7c0}.status-running{background:#d6e6fa}
      .none{color:#777;font-style:italic}.note{color:#8a5a00}footer{margin-top:3em;color:#888;font-size:.85em}
      """;
}
