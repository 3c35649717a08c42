// `sinter plan`: predicted step time, throughput, MFU/HFU, memory, wall-clock, chip-hours, energy and
// goodput of a model on a cluster — for one layout (--layout), the fastest feasible one (--search,
// the default) or head to head over several clusters (--compare). Output as a console summary,
// JSON (--json) and a Markdown or HTML report (--report). Subcommands: validate, calibrate, bench,
// list. The cost model lives in sinter-planner; this file only parses options and prints.
package dev.sinter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sinter.planner.Cluster;
import dev.sinter.planner.Efficiency;
import dev.sinter.planner.Estimate;
import dev.sinter.planner.Goodput;
import dev.sinter.planner.HardwareCatalog;
import dev.sinter.planner.Job;
import dev.sinter.planner.Layout;
import dev.sinter.planner.ModelCatalog;
import dev.sinter.planner.ModelSpec;
import dev.sinter.planner.PlanException;
import dev.sinter.planner.Planner;
import dev.sinter.planner.Precision;
import dev.sinter.planner.Report;
import dev.sinter.planner.ReportDocument;
import dev.sinter.planner.RunTotals;
import dev.sinter.planner.Search;
import dev.sinter.train.ConfigLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Plans training runs. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = {"Predict step time, tokens/s, MFU, memory, wall-clock, chip-hours, energy and goodput of a model"
        + " on a cluster: one layout (--layout), the fastest feasible one (--search, default), or head to head"
        + " (--compare).",
        "Example: sinter plan --model deepseek-v4-pro-1.6t --tokens 32T --compare 910c:1024,h100:1024,h800:2048,b200:1024"},
    subcommands = {PlanValidateCommand.class, PlanCalibrateCommand.class, PlanBenchCommand.class,
        PlanListCommand.class})
public final class PlanCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", description = "A planner preset (sinter plan list), an engine preset (llama-tiny, ...)"
      + " or a TOML file with a [model] table in the engine's config format.")
  String model;

  @Option(names = "--cluster", description = "CHIP:COUNT, e.g. h100:1024 or 910c:1024.")
  String cluster;

  @Option(names = "--compare", split = ",", description = "Search each CHIP:COUNT and print a head-to-head table.")
  List<String> compare;

  @Option(names = "--layout", description = "Evaluate one layout: tp=8,pp=8,vpp=3,dp=..,ep=..,cp=..,zero=1,"
      + "recompute=none|selective|full,mbs=1,gbs=..,precision=bf16|fp16|fp8|fp32,schedule=1f1b|interleaved|dualpipe,"
      + "sp=..,flash=..,overlap_dp=..,hsdp=..")
  String layout;

  @Option(names = "--search", description = "Find the fastest layout that fits in memory (the default).")
  boolean search;

  @Option(names = "--tokens", description = "Training budget in tokens, e.g. 32T, 300B, 1.5e12 (default: the model's).")
  String tokens;

  @Option(names = "--seq", defaultValue = "0", description = "Sequence length (default: the model's).")
  int seq;

  @Option(names = "--gbs", defaultValue = "0", description = "Global batch in sequences (default: the model's).")
  long gbs;

  @Option(names = "--precision", description = "bf16 | fp16 | fp8 | fp32 for the search (default: bf16, fp32 on"
      + " the local CPU).")
  String precision;

  @Option(names = "--json", description = "Print JSON instead of the summary.")
  boolean json;

  @Option(names = "--report", description = "Also write a report: FILE.md (Markdown) or FILE.html.")
  Path report;

  @Option(names = "--top", defaultValue = "5", description = "Layouts to list after a search.")
  int top;

  @Option(names = "--hardware-file", description = "Extra chip catalog (TSV, chips.tsv format), e.g. the local"
      + " entry `sinter plan calibrate` writes. Repeatable.")
  List<Path> hardwareFiles;

  @Option(names = "--efficiency-file", description = "Extra efficiency profiles (TOML), e.g. local-cpu.")
  List<Path> efficiencyFiles;

  @Option(names = "--power-basis", defaultValue = "auto", description = "auto (all-in where known, else TDP) | tdp |"
      + " allin.")
  String powerBasis;

  @Option(names = "--pue", defaultValue = "1.0", description = "Power usage effectiveness applied to energy.")
  double pue;

  @Option(names = "--failure-rate", description = "Failures per chip-hour (default: Llama 3's 1.97e-5).")
  Double failureRate;

  @Option(names = "--checkpoint-s", description = "Seconds a checkpoint blocks training (default: state per chip"
      + " / 5 GB/s).")
  Double checkpointS;

  @Option(names = "--restart-s", defaultValue = "600", description = "Seconds to detect a failure and restart.")
  double restartS;

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (model == null) {
      throw new PlanException("--model", "missing (e.g. --model deepseek-v4-pro-1.6t; `sinter plan list` shows"
          + " the presets)");
    }
    if (cluster == null && (compare == null || compare.isEmpty())) {
      throw new PlanException("--cluster", "missing: give --cluster CHIP:COUNT or --compare CHIP:COUNT,...");
    }
    if (layout != null && (search || compare != null)) {
      throw new PlanException("--layout", "evaluates one layout on --cluster; it cannot be combined with --search"
          + " or --compare");
    }
    if (top < 1) {
      throw new PlanException("--top", "must be >= 1, got " + top);
    }
    Planner planner = planner(hardwareFiles, efficiencyFiles);
    ModelSpec m = loadModel(model);
    double budget = tokens == null ? 0 : parseTokens(tokens);
    Goodput g = new Goodput(failureRate == null ? Goodput.LLAMA3_FAILURES_PER_GPU_HOUR : failureRate,
        checkpointS == null ? Double.NaN : checkpointS, 5e9, restartS);
    RunTotals.PowerBasis basis = switch (powerBasis.toLowerCase(Locale.ROOT)) {
      case "auto" -> RunTotals.PowerBasis.AUTO;
      case "tdp" -> RunTotals.PowerBasis.TDP;
      case "allin", "all-in" -> RunTotals.PowerBasis.ALLIN;
      default -> throw new PlanException("--power-basis", "must be auto, tdp or allin, got \"" + powerBasis + "\"");
    };
    String command = "sinter " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    if (layout != null) {
      Cluster c = Cluster.parse(cluster, planner.hardware());
      Job job = planner.job(m, c, seq, budget);
      Layout l = Layout.parse(layout, c.count(), new Layout.Defaults(gbs > 0 ? gbs : m.globalBatch(),
          m.microBatch(), m.recompute() ? Layout.Recompute.FULL : Layout.Recompute.NONE, defaultPrecision(c)));
      Planner.Plan p = planner.plan(job, l, g, basis, pue);
      if (json) {
        out.println(JSON.writeValueAsString(Report.json(p, null)));
      } else {
        out.print(Report.text(p, null));
      }
      writeReport(command, List.of(new Planner.Searched(null, p)), out);
      out.flush();
      return p.estimate().feasible() ? Main.OK : Main.FAILED;
    }
    List<Cluster> clusters = new ArrayList<>();
    if (cluster != null) {
      clusters.add(Cluster.parse(cluster, planner.hardware()));
    }
    if (compare != null) {
      for (String s : compare) {
        clusters.add(Cluster.parse(s.strip(), planner.hardware()));
      }
    }
    List<Job> jobs = new ArrayList<>();
    List<Planner.Searched> results = new ArrayList<>();
    for (Cluster c : clusters) {
      Job job = planner.job(m, c, seq, budget);
      jobs.add(job);
      Search.Options o = Search.Options.defaults(precision == null ? defaultPrecision(c)
          : Precision.parse(precision, "--precision"), gbs > 0 ? gbs : m.globalBatch());
      results.add(planner.search(job, new Search.Options(o.precision(), o.globalBatch(),
          m.microBatch() > 0 ? new int[] {m.microBatch()} : o.microBatches(), o.maxCp(), o.flash(),
          top), g, basis, pue));
    }
    if (json) {
      List<Object> js = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        Planner.Searched s = results.get(i);
        js.add(s.plan() != null ? Report.json(s.plan(), s.search())
            : Report.jsonNothingFits(jobs.get(i), s.search()));
      }
      out.println(JSON.writeValueAsString(js.size() == 1 ? js.get(0) : js));
    } else if (results.size() == 1) {
      Planner.Searched s = results.get(0);
      if (s.plan() == null) {
        out.print(Report.nothingFits(jobs.get(0), s.search()));
      } else {
        out.print(Report.text(s.plan(), s.search()));
        out.println();
        out.print(topTable(s.search()));
      }
    } else {
      out.println(Report.modelLine(jobs.get(0)));
      for (int i = 0; i < results.size(); i++) {
        out.println("search " + clusters.get(i).label() + ": " + Report.searchLine(results.get(i).search()));
      }
      out.println();
      out.print(Report.compareTable(results));
    }
    writeReport(command, results, out);
    out.flush();
    boolean any = results.stream().anyMatch(s -> s.plan() != null);
    return any ? Main.OK : Main.FAILED;
  }

  private String topTable(Search.Result r) {
    List<String[]> rows = new ArrayList<>();
    int k = 0;
    for (Estimate e : r.top()) {
      if (k++ == top) {
        break;
      }
      rows.add(new String[] {e.layout().shortSpec(), String.format(Locale.ROOT, "%.3f", e.stepS()),
          String.format(Locale.ROOT, "%.1f %%", 100 * e.mfu()), String.format(Locale.ROOT, "%.1f GB",
              e.memory().total() / 1e9)});
    }
    return Report.table(new String[] {"fastest layouts", "step s", "MFU", "memory/chip"}, rows);
  }

  private void writeReport(String command, List<Planner.Searched> results, PrintWriter out) throws IOException {
    if (report == null) {
      return;
    }
    String name = report.getFileName().toString().toLowerCase(Locale.ROOT);
    ModelSpec first = null;
    for (Planner.Searched s : results) {
      if (s.plan() != null) {
        first = s.plan().job().model().spec;
        break;
      }
    }
    ReportDocument d = ReportDocument.of("Sinter plan: " + (first == null ? model : first.name()), command, results);
    String text;
    if (name.endsWith(".md")) {
      text = d.markdown();
    } else if (name.endsWith(".html") || name.endsWith(".htm")) {
      text = d.html();
    } else {
      throw new PlanException("--report", "the file name must end in .md or .html, got " + report);
    }
    Path parent = report.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(report, text);
    if (!json) {
      out.println("report: " + report);
    }
  }

  /** bf16 where the chip has it, else fp32 (the local CPU). */
  static Precision defaultPrecision(Cluster c) {
    return c.chip().supports(Precision.BF16) ? Precision.BF16 : Precision.FP32;
  }

  /** The shipped catalogs plus user files. */
  static Planner planner(List<Path> hardwareFiles, List<Path> efficiencyFiles) {
    HardwareCatalog hw = HardwareCatalog.withFiles(hardwareFiles == null ? List.of() : hardwareFiles);
    Map<String, Efficiency> prof = new LinkedHashMap<>(Efficiency.builtIn());
    if (efficiencyFiles != null) {
      for (Path p : efficiencyFiles) {
        if (!Files.isRegularFile(p)) {
          throw new PlanException("--efficiency-file", "no such file " + p);
        }
        prof.putAll(Efficiency.file(p));
      }
    }
    return new Planner(hw, prof);
  }

  /** A planner preset, an engine preset (resolved with the engine's defaults), or a model file. */
  static ModelSpec loadModel(String name) {
    if (!ModelCatalog.presets().contains(name) && ConfigLoader.presets().contains(name)) {
      return ModelCatalog.fromTree(ConfigLoader.resolve(name, null, List.of()), "engine preset " + name, name);
    }
    return ModelCatalog.load(name);
  }

  /** "32T", "300B", "1.5e12", "2M" → tokens. */
  static double parseTokens(String s) {
    String t = s.strip().replace("_", "").replace(",", "");
    double mult = 1;
    char last = Character.toUpperCase(t.isEmpty() ? ' ' : t.charAt(t.length() - 1));
    switch (last) {
      case 'K' -> mult = 1e3;
      case 'M' -> mult = 1e6;
      case 'B', 'G' -> mult = 1e9;
      case 'T' -> mult = 1e12;
      default -> mult = 1;
    }
    if (mult != 1) {
      t = t.substring(0, t.length() - 1);
    }
    try {
      double v = Double.parseDouble(t) * mult;
      if (!(v > 0)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new PlanException("--tokens", "must be a positive number such as 32T, 300B or 1.5e12, got \"" + s + "\"");
    }
  }
}
