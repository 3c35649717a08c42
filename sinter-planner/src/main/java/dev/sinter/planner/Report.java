// Renders plans for people and programs: a console summary, a head-to-head table, a JSON tree (for
// --json) and a Markdown or HTML report. All four are built from the same numbers; ranges from the
// hardware catalog are printed as "low-high" and the power basis and its status go with energy.
package dev.sinter.planner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Formatting of plans. */
public final class Report {
  private Report() {}

  private static String f(String fmt, Object... a) {
    return String.format(Locale.ROOT, fmt, a);
  }

  /** "1.57T", "49.0B", "124M". */
  public static String count(double x) {
    String[] suffix = {"T", "B", "M", "K"};
    double[] scale = {1e12, 1e9, 1e6, 1e3};
    for (int i = 0; i < scale.length; i++) {
      if (x >= scale[i]) {
        double v = x / scale[i];
        return f(v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v, suffix[i]);
      }
    }
    return f("%.0f", x);
  }

  /** A catalog figure as "989" or, where its sources disagree, "989 (800-989)"; "n/a" when unpublished. */
  public static String figure(Figure fg) {
    if (!fg.known()) {
      return "n/a";
    }
    return fg.isRange() ? f("%s (%s-%s)", plain(fg.value()), plain(fg.low()), plain(fg.high())) : plain(fg.value());
  }

  /** A number without a trailing ".0" when it is whole. */
  private static String plain(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  private static String range(double lo, double mid, double hi, String fmt) {
    if (Double.isNaN(mid)) {
      return "n/a";
    }
    if (Math.abs(hi - lo) <= 1e-9 * Math.max(1, Math.abs(mid))) {
      return f(fmt, mid);
    }
    return f(fmt, lo) + "-" + f(fmt, hi);
  }

  /** Days as "325" or "295-325". */
  public static String days(Planner.Plan p) {
    double[] d = p.daysRange();
    return range(d[0], d[1], d[2], d[1] >= 100 ? "%.0f" : "%.1f");
  }

  /** MWh as "11,649" or "10,572-16,201", "n/a" when the chip's power is not published. */
  public static String mwh(Planner.Plan p) {
    double[] e = p.energyRange();
    return range(e[0] / 1000, e[1] / 1000, e[2] / 1000, "%,.0f");
  }

  /** One line about the model. */
  public static String modelLine(Job job) {
    ModelShape m = job.model();
    ModelSpec s = m.spec;
    double fl = m.modelFlopsPerToken(job.seqLen());
    return f("%s: %s parameters (%s active per token, the N of 6N), %s/token at s = %d%s", s.name(),
        count(m.totalParams), count(m.activeParams), fl >= 1e9 ? f("%.1f GFLOP", fl / 1e9) : f("%.1f MFLOP", fl / 1e6),
        job.seqLen(),
        s.isMoe() ? f(", MoE %d routed experts top-%d + %d shared", s.routedExperts(), s.activeExperts(),
            s.sharedExperts()) : "");
  }

  /** One line about the cluster. */
  public static String clusterLine(Job job, Precision p) {
    Chip c = job.cluster().chip();
    Figure pk = c.figure(p.label() + "_tflops");
    double pf = c.peakFlops(p);
    String peak = pk != null && pk.isRange() ? f("%.1f (range %.1f-%.1f) TFLOP/s", pk.value(), pk.low(), pk.high())
        : pf >= 1e12 ? f("%.1f TFLOP/s", pf / 1e12) : f("%.1f GFLOP/s", pf / 1e9);
    double bw = c.hbmBytesPerS();
    return f("%d x %s: %s %s, %.0f GB at %s, scale-up %.0f GB/s x %d chips, scale-out %.0f Gb/s",
        job.cluster().count(), c.chipLabel(), peak, p.label(), c.hbmBytes() / 1e9,
        bw >= 1e12 ? f("%.2f TB/s", bw / 1e12) : f("%.1f GB/s", bw / 1e9), c.upBytesPerS() / 1e9, c.upDomain(),
        c.outBytesPerS() * 8 / 1e9);
  }

  /** The step-time breakdown as "gemm 36.0 + attention 4.7 + ...". */
  public static String breakdown(Estimate e) {
    StringBuilder b = new StringBuilder();
    double[] v = e.time().values();
    for (int i = 0; i < v.length; i++) {
      if (v[i] > 0.0005 * e.stepS()) {
        b.append(b.length() == 0 ? "" : " + ").append(Estimate.Breakdown.NAMES[i]).append(' ')
            .append(f(v[i] >= 10 ? "%.1f" : "%.2f", v[i]));
      }
    }
    return b.toString();
  }

  /** Memory terms as "weights 12.1 GB, ...". */
  public static String memory(Estimate.MemoryUse m) {
    return f("%.1f GB of %.1f usable (%.0f GB): weights %.1f, gradients %.1f, optimizer %.1f, activations %.1f"
        + " (%s stage, %.1f micro-batches in flight), logits %.1f, working set %.1f", m.total() / 1e9,
        m.usable() / 1e9, m.capacity() / 1e9, m.weights() / 1e9, m.grads() / 1e9, m.optimizer() / 1e9,
        m.activations() / 1e9, m.stage(), m.inFlight(), m.logits() / 1e9, m.workingSet() / 1e9);
  }

  /** The console summary of one plan (and the search that found it, if any). */
  public static String text(Planner.Plan p, Search.Result search) {
    StringBuilder b = new StringBuilder();
    Estimate e = p.estimate();
    RunTotals t = p.totals();
    Job job = p.job();
    b.append("model      ").append(modelLine(job)).append('\n');
    b.append("cluster    ").append(clusterLine(job, e.layout().precision())).append('\n');
    if (search != null) {
      b.append("search     ").append(searchLine(search)).append('\n');
    }
    b.append("layout     ").append(e.layout().shortSpec()).append("   (").append(e.layout().spec()).append(")\n");
    if (!e.feasible()) {
      b.append("INFEASIBLE ").append(e.reason()).append('\n');
    }
    b.append(f("step       %.3f s = %s%n", e.stepS(), breakdown(e)));
    b.append(f("throughput %,.0f tokens/s   MFU %.1f %%   HFU %.1f %%   (per-chip peak basis %s %s)%n",
        e.tokensPerS(), 100 * e.mfu(), 100 * e.hfu(), e.peakBasisFlops() >= 1e12
            ? f("%.1f TFLOP/s", e.peakBasisFlops() / 1e12) : f("%.1f GFLOP/s", e.peakBasisFlops() / 1e9),
        e.layout().precision() == Precision.FP8 ? "bf16 (fp8 run)" : e.layout().precision().label()));
    if (p.fast() != null) {
      b.append(f("range      the chip's sourced peak range gives %.1f-%.1f %% MFU (each against its own peak)%n",
          100 * p.slow().mfu(), 100 * p.fast().mfu()));
    }
    b.append("memory     ").append(memory(e.memory())).append('\n');
    if (t.tokens() > 0) {
      Goodput.Outcome g = t.goodput();
      b.append(f("run        %s tokens: %,.0f steps; %s days (%.1f without failures; ETTR %.1f %%: cluster MTBF %.1f h,"
          + " checkpoint %.0f s every %.0f min, restart %.0f s)%n", count(t.tokens()), t.steps(), days(p),
          t.idealS() / 86400, 100 * g.ettr(), g.mtbfS() / 3600, g.checkpointS(), g.intervalS() / 60, g.restartS()));
      b.append(f("cost       %s chip-hours; %s MWh (%s power %s W per chip, %s; PUE %.2f)%n", count(t.chipHours()),
          mwh(p), t.powerBasis(), Double.isNaN(t.powerW()) ? "n/a" : range(t.powerLowW(), t.powerW(), t.powerHighW(),
              "%.0f"), t.powerStatus(), t.pue()));
      b.append(f("goodput    MFU x ETTR = %.1f %%%n", 100 * e.mfu() * g.ettr()));
    }
    return b.toString();
  }

  /** "33,696 layouts in 0.40 s: 2,568 fit; overflow: gradients 15,028, ...". */
  public static String searchLine(Search.Result r) {
    StringBuilder b = new StringBuilder(f("%,d layouts in %.2f s (%,.0f/s): %,d fit", r.candidates(), r.elapsedS(),
        r.candidates() / Math.max(1e-9, r.elapsedS()), r.feasible()));
    if (!r.overflowByTerm().isEmpty()) {
      b.append("; out of memory, by largest term:");
      r.overflowByTerm().entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
          .forEach(en -> b.append(' ').append(en.getKey()).append(' ').append(f("%,d", en.getValue())).append(','));
      b.setLength(b.length() - 1);
    }
    return b.toString();
  }

  /** What to print when no layout fits. */
  public static String nothingFits(Job job, Search.Result r) {
    StringBuilder b = new StringBuilder();
    b.append("model      ").append(modelLine(job)).append('\n');
    b.append("cluster    ").append(clusterLine(job, r.closest().isEmpty() ? Precision.BF16
        : r.closest().get(0).layout().precision())).append('\n');
    b.append("search     ").append(searchLine(r)).append('\n');
    b.append("INFEASIBLE no layout fits in memory; the closest:\n");
    for (Estimate e : r.closest()) {
      b.append("  ").append(e.layout().shortSpec()).append(": ").append(e.reason()).append('\n');
    }
    return b.toString();
  }

  /** Column headers of the head-to-head table. */
  static final String[] COMPARE_HEADER = {"cluster", "layout", "days", "MFU", "tokens/s", "chip-hours", "MWh",
      "power basis", "memory headroom"};

  /** The head-to-head table, plain text. */
  public static String compareTable(List<Planner.Searched> rows) {
    return table(COMPARE_HEADER, compareRows(rows));
  }

  /** Rows of the head-to-head table. */
  public static List<String[]> compareRows(List<Planner.Searched> rows) {
    List<String[]> out = new ArrayList<>();
    for (Planner.Searched s : rows) {
      if (s.plan() == null) {
        Estimate c = s.search().closest().isEmpty() ? null : s.search().closest().get(0);
        out.add(new String[] {"-", "no layout fits", "-", "-", "-", "-", "-", "-",
            c == null ? "-" : f("short by %.1f GB (%s)", -c.memory().headroom() / 1e9,
                MemoryModel.bindingTerm(c.memory()))});
        continue;
      }
      Planner.Plan p = s.plan();
      Estimate e = p.estimate();
      RunTotals t = p.totals();
      Estimate.MemoryUse m = e.memory();
      out.add(new String[] {p.job().cluster().count() + " x " + p.job().cluster().chip().id(), e.layout().shortSpec(),
          days(p), f("%.1f %%", 100 * e.mfu()), f("%,.0f", e.tokensPerS()), count(t.chipHours()), mwh(p),
          t.powerBasis() + " " + (Double.isNaN(t.powerW()) ? "n/a" : range(t.powerLowW(), t.powerW(), t.powerHighW(),
              "%.0f") + " W") + " " + t.powerStatus(),
          f("%.1f GB (%.0f %%)", m.headroom() / 1e9, 100 * m.headroom() / m.usable())});
    }
    return out;
  }

  /** A plain-text table with aligned columns. */
  public static String table(String[] header, List<String[]> rows) {
    int[] w = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      w[i] = header[i].length();
      for (String[] r : rows) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    appendRow(b, header, w);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      rule.append("-".repeat(w[i])).append(i + 1 < w.length ? "  " : "");
    }
    b.append(rule).append('\n');
    for (String[] r : rows) {
      appendRow(b, r, w);
    }
    return b.toString();
  }

  private static void appendRow(StringBuilder b, String[] r, int[] w) {
    for (int i = 0; i < r.length; i++) {
      b.append(r[i]).append(i + 1 < r.length ? " ".repeat(w[i] - r[i].length() + 2) : "");
    }
    b.append('\n');
  }

  /** A Markdown table. */
  public static String markdownTable(String[] header, List<String[]> rows) {
    StringBuilder b = new StringBuilder("| " + String.join(" | ", header) + " |\n|");
    for (int i = 0; i < header.length; i++) {
      b.append("---|");
    }
    b.append('\n');
    for (String[] r : rows) {
      b.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    return b.toString();
  }

  /** The JSON tree of a plan (numbers in SI units: seconds, bytes, FLOP/s, kWh). */
  public static Map<String, Object> json(Planner.Plan p, Search.Result search) {
    Map<String, Object> m = new LinkedHashMap<>();
    Job job = p.job();
    Estimate e = p.estimate();
    m.put("model", job.model().spec.name());
    m.put("params_total", job.model().totalParams);
    m.put("params_active", job.model().activeParams);
    m.put("model_flops_per_token", e.modelFlopsPerToken());
    m.put("hardware_flops_per_token", e.hardwareFlopsPerToken());
    m.put("seq_len", job.seqLen());
    m.put("chip", job.cluster().chip().id());
    m.put("chips", job.cluster().count());
    m.put("layout", e.layout().spec());
    m.put("layout_short", e.layout().shortSpec());
    m.put("feasible", e.feasible());
    if (!e.feasible()) {
      m.put("infeasible_reason", e.reason());
    }
    m.put("step_s", e.stepS());
    Map<String, Object> bd = new LinkedHashMap<>();
    double[] v = e.time().values();
    for (int i = 0; i < v.length; i++) {
      bd.put(Estimate.Breakdown.NAMES[i], v[i]);
    }
    m.put("step_breakdown_s", bd);
    m.put("tokens_per_s", e.tokensPerS());
    m.put("mfu", e.mfu());
    m.put("hfu", e.hfu());
    m.put("mfu_peak_basis_flops", e.peakBasisFlops());
    Estimate.MemoryUse mu = e.memory();
    Map<String, Object> mem = new LinkedHashMap<>();
    mem.put("weights", mu.weights());
    mem.put("gradients", mu.grads());
    mem.put("optimizer", mu.optimizer());
    mem.put("activations", mu.activations());
    mem.put("logits", mu.logits());
    mem.put("working_set", mu.workingSet());
    mem.put("total", mu.total());
    mem.put("usable", mu.usable());
    mem.put("capacity", mu.capacity());
    mem.put("headroom", mu.headroom());
    mem.put("binding_stage", mu.stage());
    mem.put("micro_batches_in_flight", mu.inFlight());
    m.put("memory_bytes_per_chip", mem);
    RunTotals t = p.totals();
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("tokens", t.tokens());
    run.put("steps", t.steps());
    run.put("days", p.daysRange()[1]);
    run.put("days_range", p.daysRange());
    run.put("days_without_failures", t.idealS() / 86400);
    run.put("chip_hours", t.chipHours());
    run.put("energy_kwh", t.energyKwh());
    run.put("energy_kwh_range", p.energyRange());
    run.put("power_w_per_chip", t.powerW());
    run.put("power_basis", t.powerBasis());
    run.put("power_status", t.powerStatus());
    run.put("pue", t.pue());
    run.put("ettr", t.goodput().ettr());
    run.put("cluster_mtbf_s", t.goodput().mtbfS());
    run.put("checkpoint_s", t.goodput().checkpointS());
    run.put("checkpoint_interval_s", t.goodput().intervalS());
    run.put("goodput", e.mfu() * t.goodput().ettr());
    m.put("run", run);
    if (p.fast() != null) {
      m.put("mfu_range", new double[] {p.slow().mfu(), p.fast().mfu()});
      m.put("tokens_per_s_range", new double[] {p.slow().tokensPerS(), p.fast().tokensPerS()});
    }
    if (search != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("candidates", search.candidates());
      s.put("feasible", search.feasible());
      s.put("elapsed_s", search.elapsedS());
      s.put("out_of_memory_by_largest_term", search.overflowByTerm());
      List<Map<String, Object>> top = new ArrayList<>();
      for (Estimate x : search.top()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("layout", x.layout().spec());
        r.put("step_s", x.stepS());
        r.put("mfu", x.mfu());
        r.put("memory_bytes", x.memory().total());
        top.add(r);
      }
      s.put("top", top);
      m.put("search", s);
    }
    return m;
  }

  /** JSON of a search where nothing fits. */
  public static Map<String, Object> jsonNothingFits(Job job, Search.Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", job.model().spec.name());
    m.put("chip", job.cluster().chip().id());
    m.put("chips", job.cluster().count());
    m.put("feasible", false);
    m.put("candidates", r.candidates());
    m.put("out_of_memory_by_largest_term", r.overflowByTerm());
    List<Map<String, Object>> c = new ArrayList<>();
    for (Estimate e : r.closest()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("layout", e.layout().spec());
      x.put("infeasible_reason", e.reason());
      c.add(x);
    }
    m.put("closest", c);
    return m;
  }
}
