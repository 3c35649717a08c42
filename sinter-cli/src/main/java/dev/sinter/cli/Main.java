// Entry point of the `sinter` command: picocli subcommands, named exit codes, and one place that
// turns user errors into a single clear line instead of a stack trace.
package dev.sinter.cli;

import dev.sinter.model.ConfigException;
import dev.sinter.train.checkpoint.CheckpointException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The sinter command line. */
@Command(name = "sinter", mixinStandardHelpOptions = true, version = "sinter 0.1.0",
    description = "Full-parameter LLM training in Java that publishes its runtime numbers.",
    subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class,
        ReportCommand.class, VerifyCommand.class, LaunchCommand.class, DataCommand.class, BenchCommand.class,
        PlanCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** Exit codes: success, a failure at run time, a usage or configuration error. */
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Builds the command line with the given output streams (tests pass their own). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter e = cmd.getErr();
      if (ex instanceof ConfigException || ex instanceof IllegalArgumentException) {
        e.println("error: " + ex.getMessage());
        e.flush();
        return USAGE;
      }
      if (ex instanceof java.io.UncheckedIOException || ex instanceof CheckpointException) {
        e.println("error: " + ex.getMessage());
        e.flush();
        return FAILED;
      }
      throw ex;
    });
    return cl;
  }

  public static void main(String[] args) {
    // One short line per log record ("INFO: kernels: vector (auto), ...") instead of JUL's two.
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%n");
    }
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(commandLine(out, err).execute(args));
  }
}
