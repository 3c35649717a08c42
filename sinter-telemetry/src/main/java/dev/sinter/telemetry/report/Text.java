// How the report turns run-record values into text: escaping for HTML and Markdown, and units for
// bytes, seconds, counts, FLOPs and utilisation, shared by the HTML page and the Markdown summary.
package dev.sinter.telemetry.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** Formatting and escaping for report cells; every method accepts a missing value. */
final class Text {
  private Text() {}

  /** Shown where a value is absent. */
  static final String NONE = "—";

  /** Human labels for the record's keys; a key not listed is shown as written. */
  private static final Map<String, String> LABELS = Map.ofEntries(
      Map.entry("steps", "steps"), Map.entry("tokens", "tokens"), Map.entry("wall_s", "wall-clock"),
      Map.entry("train_s", "training time"), Map.entry("flops", "model FLOPs"),
      Map.entry("tokens_per_s", "tokens/s"), Map.entry("mfu", "MFU"), Map.entry("hfu", "HFU"),
      Map.entry("memory_bytes", "memory"), Map.entry("cpu", "CPU"), Map.entry("jdk", "JDK"),
      Map.entry("os", "OS"), Map.entry("peak_gflops", "peak GFLOP/s"), Map.entry("peak_source", "peak source"),
      Map.entry("params", "parameters"), Map.entry("state_bytes", "parameter + optimizer state"),
      Map.entry("bytes_per_param", "state bytes per parameter"), Map.entry("activation_bytes", "activations"),
      Map.entry("heap_peak_bytes", "JVM heap peak"), Map.entry("rss_peak_bytes", "process RSS peak"),
      Map.entry("flops_per_token", "FLOPs per token"), Map.entry("joules", "energy"),
      Map.entry("watts_avg", "average power"), Map.entry("blocking_ms", "blocking"), Map.entry("write_ms", "write"),
      Map.entry("bytes", "size"), Map.entry("git_commit", "git commit"), Map.entry("git_dirty", "uncommitted changes"),
      Map.entry("tokenizer_sha256", "tokenizer SHA-256"), Map.entry("data_sha256", "data SHA-256"));

  static String label(String key) {
    return LABELS.getOrDefault(key, key);
  }

  /** Escapes text for HTML element content and quoted attribute values. */
  static String html(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Escapes text for a Markdown table cell: pipes and newlines would break the table, and HTML
   * tags would be rendered by most Markdown viewers.
   */
  static String md(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("*", "\\*")
        .replace("_", "\\_").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\r", " ").replace("\n", " ");
  }

  /** The field's value as a finite number, if it is one. */
  static OptionalDouble num(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(v.asDouble());
  }

  /** The field's value as text, if it is a non-blank string. */
  static Optional<String> str(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      return Optional.empty();
    }
    return Optional.of(v.asText());
  }

  /** The field if it is a non-empty object. */
  static Optional<JsonNode> object(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v != null && v.isObject() && !v.isEmpty() ? Optional.of(v) : Optional.empty();
  }

  /** A value under a known key, in its unit (bytes, seconds, utilisation, ...); unescaped. */
  static String value(String key, JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) {
      return NONE;
    }
    if (!v.isNumber()) {
      return v.isValueNode() ? v.asText() : v.toString();
    }
    double d = v.asDouble();
    if (key.endsWith("bytes") && !key.equals("bytes_per_param")) {
      return bytes(d);
    }
    if (key.endsWith("_ms")) {
      return String.format(Locale.ROOT, "%,.1f ms", d);
    }
    if (key.endsWith("_s") && !key.endsWith("per_s")) {
      return seconds(d);
    }
    return switch (key) {
      case "mfu", "hfu" -> percent(d);
      case "flops", "flops_per_token" -> String.format(Locale.ROOT, "%.3e", d);
      case "joules" -> joules(d);
      case "watts_avg" -> String.format(Locale.ROOT, "%,.1f W", d);
      case "params" -> count(d) + " (" + String.format(Locale.ROOT, "%.1f M", d / 1e6) + ")";
      default -> count(d);
    };
  }

  /** Bytes in binary units, e.g. "1.50 GiB"; a negative value means unknown. */
  static String bytes(double b) {
    if (b < 0 || !Double.isFinite(b)) {
      return "unknown";
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (b >= 1024 && u < units.length - 1) {
      b /= 1024;
      u++;
    }
    return u == 0 ? String.format(Locale.ROOT, "%.0f B", b) : String.format(Locale.ROOT, "%.2f %s", b, units[u]);
  }

  /** Seconds, with hours and minutes added past a minute. */
  static String seconds(double s) {
    String plain = String.format(Locale.ROOT, "%,.1f s", s);
    if (!(s >= 60) || !Double.isFinite(s)) {
      return plain;
    }
    long whole = Math.round(s);
    long h = whole / 3600;
    long m = (whole % 3600) / 60;
    long sec = whole % 60;
    String hms = h > 0 ? String.format(Locale.ROOT, "%d h %02d min", h, m)
        : String.format(Locale.ROOT, "%d min %02d s", m, sec);
    return plain + " (" + hms + ")";
  }

  /** A fraction as a percentage, e.g. 0.4123 as "41.2 %". */
  static String percent(double fraction) {
    return String.format(Locale.ROOT, "%.1f %%", fraction * 100);
  }

  /** Joules with the watt-hours people pay for (3,600 J per Wh). */
  static String joules(double j) {
    double wh = j / 3600;
    return wh < 1000 ? String.format(Locale.ROOT, "%,.0f J (%.3g Wh)", j, wh)
        : String.format(Locale.ROOT, "%,.0f J (%,.2f kWh)", j, wh / 1000);
  }

  /** An integer with thousands separators, or a float to four significant digits. */
  static String count(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return String.format(Locale.ROOT, "%,d", (long) d);
    }
    if (Math.abs(d) >= 1e6 || (d != 0 && Math.abs(d) < 1e-3)) {
      return String.format(Locale.ROOT, "%.4g", d);
    }
    return String.format(Locale.ROOT, "%,.4f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
