// The --report file: the same numbers as the console, as a Markdown or HTML document with the
// step-time breakdown, memory terms, run totals, and the hardware figures and efficiency factors
// used, each with its status and source.
package dev.sinter.planner;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A small document model rendered to Markdown or HTML. */
public final class ReportDocument {
  private final List<Object[]> blocks = new ArrayList<>(); // {kind, payload...}

  private ReportDocument() {}

  private ReportDocument add(Object... block) {
    blocks.add(block);
    return this;
  }

  /**
   * Builds the report of one or more searched (or evaluated) plans of the same model.
   *
   * @param title   document title
   * @param command the command line that produced it (printed for reproducibility)
   * @param plans   the plans; entries whose plan is null had no feasible layout
   */
  public static ReportDocument of(String title, String command, List<Planner.Searched> plans) {
    ReportDocument d = new ReportDocument();
    d.add("h1", title);
    d.add("p", "Produced by `" + command + "`. Every number below comes from Sinter's planner cost model"
        + " (docs/planner.md); hardware figures carry their status and source, listed at the end.");
    Job first = null;
    for (Planner.Searched s : plans) {
      if (s.plan() != null) {
        first = s.plan().job();
        break;
      }
    }
    if (first != null) {
      d.add("h2", "Model");
      d.add("p", Report.modelLine(first));
      if (!first.model().spec.sources().isEmpty()) {
        List<String> items = new ArrayList<>();
        first.model().spec.sources().forEach((k, v) -> items.add(k + ": " + v));
        d.add("ul", items);
      }
    }
    if (plans.size() > 1) {
      d.add("h2", "Head to head");
      d.add("table", Report.COMPARE_HEADER, Report.compareRows(plans));
    }
    Set<Chip> chips = new LinkedHashSet<>();
    for (Planner.Searched s : plans) {
      if (s.plan() == null) {
        continue;
      }
      Planner.Plan p = s.plan();
      Estimate e = p.estimate();
      chips.add(p.job().cluster().chip());
      d.add("h2", p.job().cluster().count() + " x " + p.job().cluster().chip().chipLabel());
      List<String> lines = new ArrayList<>();
      lines.add("cluster: " + Report.clusterLine(p.job(), e.layout().precision()));
      if (s.search() != null) {
        lines.add("search: " + Report.searchLine(s.search()));
      }
      lines.add("layout: " + e.layout().shortSpec() + " (`" + e.layout().spec() + "`)");
      lines.add(String.format(Locale.ROOT, "step %.3f s; %,.0f tokens/s; MFU %.1f %%; HFU %.1f %%", e.stepS(),
          e.tokensPerS(), 100 * e.mfu(), 100 * e.hfu()));
      RunTotals t = p.totals();
      if (t.tokens() > 0) {
        lines.add(String.format(Locale.ROOT, "%s tokens in %s days (ETTR %.1f %%), %s chip-hours, %s MWh (%s, %s)",
            Report.count(t.tokens()), Report.days(p), 100 * t.goodput().ettr(), Report.count(t.chipHours()),
            Report.mwh(p), t.powerBasis(), t.powerStatus()));
      }
      d.add("ul", lines);
      List<String[]> rows = new ArrayList<>();
      double[] v = e.time().values();
      for (int i = 0; i < v.length; i++) {
        rows.add(new String[] {Estimate.Breakdown.NAMES[i], String.format(Locale.ROOT, "%.3f", v[i]),
            String.format(Locale.ROOT, "%.1f %%", 100 * v[i] / e.stepS())});
      }
      d.add("table", new String[] {"step part", "seconds", "share"}, rows);
      Estimate.MemoryUse m = e.memory();
      List<String[]> mem = new ArrayList<>();
      String[] names = {"weights", "gradients", "optimizer state", "activations", "logits", "working set", "total",
          "usable"};
      double[] vals = {m.weights(), m.grads(), m.optimizer(), m.activations(), m.logits(), m.workingSet(), m.total(),
          m.usable()};
      for (int i = 0; i < names.length; i++) {
        mem.add(new String[] {names[i], String.format(Locale.ROOT, "%.2f", vals[i] / 1e9)});
      }
      d.add("table", new String[] {"memory per chip (" + m.stage() + " stage)", "GB"}, mem);
    }
    for (Planner.Searched s : plans) {
      if (s.plan() == null) {
        d.add("h2", "No feasible layout");
        List<String> items = new ArrayList<>();
        for (Estimate e : s.search().closest()) {
          items.add(e.layout().shortSpec() + ": " + e.reason());
        }
        d.add("ul", items);
      }
    }
    d.add("h2", "Hardware figures used");
    List<String[]> rows = new ArrayList<>();
    for (Chip c : chips) {
      for (Map.Entry<String, Figure> en : new java.util.TreeMap<>(c.figures()).entrySet()) {
        Figure fg = en.getValue();
        rows.add(new String[] {c.id(), en.getKey(), Report.figure(fg) + " " + fg.unit(), fg.status(), fg.source()});
      }
    }
    d.add("table", new String[] {"chip", "field", "value", "status", "source"}, rows);
    return d;
  }

  /** Markdown. */
  @SuppressWarnings("unchecked")
  public String markdown() {
    StringBuilder b = new StringBuilder();
    for (Object[] blk : blocks) {
      switch ((String) blk[0]) {
        case "h1" -> b.append("# ").append(blk[1]).append("\n\n");
        case "h2" -> b.append("## ").append(blk[1]).append("\n\n");
        case "p" -> b.append(blk[1]).append("\n\n");
        case "ul" -> {
          for (String s : (List<String>) blk[1]) {
            b.append("- ").append(s).append('\n');
          }
          b.append('\n');
        }
        case "table" -> b.append(Report.markdownTable((String[]) blk[1], (List<String[]>) blk[2])).append('\n');
        default -> throw new IllegalStateException((String) blk[0]);
      }
    }
    return b.toString();
  }

  /** A self-contained HTML page. */
  @SuppressWarnings("unchecked")
  public String html() {
    StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    b.append(esc(blocks.isEmpty() ? "Sinter plan" : (String) blocks.get(0)[1])).append("</title><style>"
        + "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
        + "font-size:14px}th{background:#f3f3f3}code{background:#f6f6f6;padding:0 3px}</style></head><body>\n");
    for (Object[] blk : blocks) {
      switch ((String) blk[0]) {
        case "h1" -> b.append("<h1>").append(esc((String) blk[1])).append("</h1>\n");
        case "h2" -> b.append("<h2>").append(esc((String) blk[1])).append("</h2>\n");
        case "p" -> b.append("<p>").append(code(esc((String) blk[1]))).append("</p>\n");
        case "ul" -> {
          b.append("<ul>\n");
          for (String s : (List<String>) blk[1]) {
            b.append("<li>").append(code(esc(s))).append("</li>\n");
          }
          b.append("</ul>\n");
        }
        case "table" -> {
          b.append("<table><tr>");
          for (String h : (String[]) blk[1]) {
            b.append("<th>").append(esc(h)).append("</th>");
          }
          b.append("</tr>\n");
          for (String[] r : (List<String[]>) blk[2]) {
            b.append("<tr>");
            for (String c : r) {
              b.append("<td>").append(esc(c)).append("</td>");
            }
            b.append("</tr>\n");
          }
          b.append("</table>\n");
        }
        default -> throw new IllegalStateException((String) blk[0]);
      }
    }
    return b.append("</body></html>\n").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String code(String s) {
    return s.replaceAll("`([^`]*)`", "<code>$1</code>");
  }
}
