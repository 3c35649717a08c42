// The hardware catalog: chips.tsv (shipped) plus any file a user adds, such as the "local" CPU entry
// that `sinter plan calibrate` writes. One figure per line, each with status and source; this class
// assembles them into Chip records and finds a chip by id or alias.
package dev.sinter.planner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Chips by id, built from long-format TSV catalogs. */
public final class HardwareCatalog {
  /** Numeric fields a chip must have (value may be "n/a" where the catalog says so). */
  static final List<String> REQUIRED = List.of("hbm_gb", "hbm_tbps", "scaleup_gbyte_s", "scaleup_domain",
      "scaleup_latency_us", "scaleup_efficiency", "scaleout_gbit_s", "scaleout_latency_us",
      "scaleout_efficiency", "tdp_w", "allin_w");
  static final Set<String> NUMERIC = Set.of("bf16_tflops", "fp16_tflops", "fp8_tflops", "fp32_tflops",
      "hbm_gb", "hbm_tbps", "scaleup_gbyte_s", "scaleup_domain", "scaleup_latency_us", "scaleup_efficiency",
      "scaleout_gbit_s", "scaleout_latency_us", "scaleout_efficiency", "tdp_w", "allin_w");
  static final Set<String> TEXT = Set.of("name", "vendor", "aliases", "profile");

  private final Map<String, Chip> chips = new LinkedHashMap<>();

  private HardwareCatalog() {}

  /** The shipped catalog (chips.tsv and local.tsv). */
  public static HardwareCatalog builtIn() {
    HardwareCatalog c = new HardwareCatalog();
    c.add(Tsv.resource("chips.tsv"));
    c.add(Tsv.resource("local.tsv"));
    return c;
  }

  /** The shipped catalog plus user files (later entries replace earlier ones with the same id). */
  public static HardwareCatalog withFiles(List<Path> files) {
    HardwareCatalog c = builtIn();
    for (Path p : files) {
      c.add(Tsv.file(p, "--hardware-file"));
    }
    return c;
  }

  /** Adds every chip of a TSV text (for tests and calibration output). */
  public HardwareCatalog addText(String tsv, String origin) {
    add(Tsv.parse(tsv, origin));
    return this;
  }

  private void add(Tsv t) {
    for (String col : List.of("chip", "field", "value", "status", "source")) {
      if (!t.header().contains(col)) {
        throw new PlanException(t.origin(), "missing column \"" + col + "\"");
      }
    }
    Map<String, Map<String, Figure>> figs = new LinkedHashMap<>();
    Map<String, Map<String, String>> texts = new LinkedHashMap<>();
    for (Tsv.Row r : t.rows()) {
      String id = r.get("chip");
      String field = r.get("field");
      String value = r.get("value");
      if (TEXT.contains(field)) {
        texts.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(field, value);
        continue;
      }
      if (!NUMERIC.contains(field)) {
        throw new PlanException(r.where(), "unknown field \"" + field + "\" (known: " + String.join(", ", NUMERIC)
            + ", " + String.join(", ", TEXT) + ")");
      }
      double v = value.equalsIgnoreCase("n/a") ? Double.NaN : number(r, "value", value);
      double lo = r.opt("low").isEmpty() ? v : number(r, "low", r.opt("low"));
      double hi = r.opt("high").isEmpty() ? v : number(r, "high", r.opt("high"));
      Figure f;
      try {
        f = new Figure(v, lo, hi, r.opt("unit"), r.get("status"), r.get("source"));
      } catch (IllegalArgumentException e) {
        throw new PlanException(r.where(), e.getMessage());
      }
      figs.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(field, f);
      texts.computeIfAbsent(id, k -> new LinkedHashMap<>());
    }
    for (Map.Entry<String, Map<String, String>> e : texts.entrySet()) {
      chips.put(e.getKey(), build(t.origin(), e.getKey(), e.getValue(), figs.getOrDefault(e.getKey(), Map.of())));
    }
  }

  private static double number(Tsv.Row r, String col, String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new PlanException(r.where(), "column " + col + " must be a number or n/a, got \"" + s + "\"");
    }
  }

  private static Chip build(String origin, String id, Map<String, String> text, Map<String, Figure> f) {
    for (String req : REQUIRED) {
      if (!f.containsKey(req)) {
        throw new PlanException(origin, "chip " + id + " lacks field " + req);
      }
    }
    String name = text.getOrDefault("name", id);
    List<String> aliases = new ArrayList<>();
    for (String a : text.getOrDefault("aliases", "").split(",")) {
      if (!a.isBlank()) {
        aliases.add(a.strip().toLowerCase(Locale.ROOT));
      }
    }
    int domain = (int) val(f, "scaleup_domain");
    return new Chip(id, name, aliases, text.getOrDefault("profile", "accelerator"),
        val(f, "bf16_tflops") * 1e12, val(f, "fp16_tflops") * 1e12, val(f, "fp8_tflops") * 1e12,
        val(f, "fp32_tflops") * 1e12, val(f, "hbm_gb") * 1e9, val(f, "hbm_tbps") * 1e12,
        val(f, "scaleup_gbyte_s") * 1e9, domain, val(f, "scaleup_latency_us") * 1e-6,
        val(f, "scaleup_efficiency"), val(f, "scaleout_gbit_s") * 1e9 / 8, val(f, "scaleout_latency_us") * 1e-6,
        val(f, "scaleout_efficiency"), val(f, "tdp_w"), val(f, "allin_w"), f);
  }

  private static double val(Map<String, Figure> f, String k) {
    Figure g = f.get(k);
    return g == null ? Double.NaN : g.value();
  }

  /** Every chip, in catalog order. */
  public List<Chip> chips() {
    return List.copyOf(chips.values());
  }

  /** A chip by id or alias (case-insensitive); the error lists what exists. */
  public Chip get(String nameOrAlias) {
    String k = nameOrAlias.strip().toLowerCase(Locale.ROOT);
    Chip c = chips.get(k);
    if (c != null) {
      return c;
    }
    for (Chip x : chips.values()) {
      if (x.aliases().contains(k)) {
        return x;
      }
    }
    throw new PlanException("chip", "unknown chip \"" + nameOrAlias + "\" (known: " + String.join(", ", chips.keySet())
        + "; aliases such as h100, 910c, b200 work too)");
  }
}
