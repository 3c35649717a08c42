// `sinter report RUN`: turns a run record into a self-contained HTML report and a Markdown summary
// next to it (report.html, report.md).
package dev.sinter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sinter.telemetry.report.RunReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Writes the report of a run. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Write report.html (curves, time split, memory, energy, machine, config) and report.md for a run.")
public final class ReportCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN", description = "run.json, or the run directory that holds it.")
  Path run;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    Path file = Files.isDirectory(run) ? run.resolve("run.json") : run;
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no run record (a run directory holds run.json)");
    }
    render(file, o);
    o.print(RunReport.markdown(RunReport.read(file)));
    o.flush();
    return Main.OK;
  }

  /** Writes report.html and report.md beside {@code runJson} and says where. */
  static void render(Path runJson, PrintWriter o) {
    JsonNode run = RunReport.read(runJson);
    Path dir = runJson.toAbsolutePath().getParent();
    RunReport.write(run, dir.resolve("report.html"), dir.resolve("report.md"));
    o.println("report: " + dir.resolve("report.html") + " and report.md");
    o.flush();
  }
}
