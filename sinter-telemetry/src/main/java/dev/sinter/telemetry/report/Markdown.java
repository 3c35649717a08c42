// The Markdown half of the report: the tables a write-up quotes (headline totals, time split, memory,
// energy, machine), in GitHub-flavoured Markdown, with every record string escaped for table cells.
package dev.sinter.telemetry.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** Renders the Markdown summary of a run record already checked by {@link RunReport}. */
final class Markdown {
  private Markdown() {}

  private static final List<String> TOTALS = List.of("steps", "tokens", "wall_s", "train_s", "tokens_per_s", "mfu", "flops");
  private static final List<String> MEMORY = List.of("params", "bytes_per_param", "state_bytes", "activation_bytes",
      "heap_peak_bytes", "rss_peak_bytes");
  private static final List<String> ENERGY = List.of("joules", "watts_avg", "source", "basis");
  private static final List<String> MACHINE = List.of("cpu", "cores", "memory_bytes", "os", "jdk", "kernels",
      "threads", "peak_gflops", "peak_source");

  static String render(JsonNode run) {
    StringBuilder md = new StringBuilder(4096);
    md.append("## Sinter run ").append(Text.md(run.get("run_id").asText())).append(" (")
        .append(Text.md(run.get("status").asText())).append(")\n\n");
    Text.str(run, "command").ifPresent(c -> md.append("Command: ").append(Text.md(c)).append("\n\n"));

    md.append("### Totals\n\n");
    keyValues(md, run.get("totals"), TOTALS, "no totals recorded");

    md.append("### Time split\n\n");
    timeSplit(md, run);

    md.append("### Memory\n\n");
    keyValues(md, run.get("memory"), MEMORY, "no memory figures recorded");

    md.append("### Energy\n\n");
    keyValues(md, run.get("energy"), ENERGY, "no energy recorded");

    md.append("### Machine\n\n");
    keyValues(md, run.get("machine"), MACHINE, "no machine recorded");
    return md.toString();
  }

  /** A figure/value table of the {@code order} keys present in {@code node}, or a note if none are. */
  private static void keyValues(StringBuilder md, JsonNode node, List<String> order, String absent) {
    Map<String, String> rows = new LinkedHashMap<>();
    if (node != null && node.isObject()) {
      for (String k : order) {
        JsonNode v = node.get(k);
        if (v != null && !v.isNull()) {
          rows.put(Text.label(k), Text.value(k, v));
        }
      }
    }
    if (rows.isEmpty()) {
      md.append("_").append(absent).append("_\n\n");
      return;
    }
    md.append("| figure | value |\n|---|---|\n");
    rows.forEach((k, v) -> md.append("| ").append(Text.md(k)).append(" | ").append(Text.md(v)).append(" |\n"));
    md.append('\n');
  }

  private static void timeSplit(StringBuilder md, JsonNode run) {
    JsonNode split = run.get("time_split_s");
    Map<String, Double> phases = new LinkedHashMap<>();
    if (split != null && split.isObject()) {
      for (Map.Entry<String, JsonNode> e : split.properties()) {
        OptionalDouble s = Text.num(split, e.getKey());
        if (s.isPresent() && s.getAsDouble() >= 0) {
          phases.put(e.getKey(), s.getAsDouble());
        }
      }
    }
    double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
    if (!(total > 0)) {
      md.append("_no time split recorded_\n\n");
      return;
    }
    md.append("| phase | seconds | share |\n|---|---:|---:|\n");
    phases.forEach((k, v) -> md.append("| ").append(Text.md(k)).append(" | ").append(Text.md(Text.seconds(v)))
        .append(" | ").append(Text.md(Text.percent(v / total))).append(" |\n"));
    md.append("| **accounted** | ").append(Text.md(Text.seconds(total))).append(" | ");
    OptionalDouble wall = Text.num(run.get("totals"), "wall_s");
    if (wall.isPresent() && wall.getAsDouble() > 0) {
      md.append(Text.md(Text.percent(total / wall.getAsDouble()))).append(" of wall-clock");
    }
    md.append(" |\n\n");
  }
}
