// The live console line of a training run: rewritten in place on a terminal, one line per report
// otherwise (logs, CI), so output stays readable in both.
package dev.sinter.cli;

import dev.sinter.train.StepStats;
import java.io.PrintWriter;

/** Prints step metrics with an ETA. */
final class Progress {
  private final PrintWriter out;
  private final int total;
  private final boolean hfu;
  private final boolean live = System.console() != null && System.console().isTerminal();
  private final long start = System.nanoTime();
  private double valLoss = Double.NaN;
  private boolean midLine;

  Progress(PrintWriter out, int total, boolean hfu) {
    this.out = out;
    this.total = total;
    this.hfu = hfu;
  }

  /** Remembers the latest validation loss; shown on every following line. */
  void validation(double loss) {
    valLoss = loss;
  }

  void update(StepStats s) {
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = elapsed / s.step() * (total - s.step());
    String line = String.format("step %d/%d | loss %.4f%s | lr %.2e | norm %.3f | %.0f ms | %.0f tok/s | MFU %.1f%%%s | ETA %s",
        s.step(), total, s.loss(), Double.isNaN(valLoss) ? "" : String.format(" | val %.4f", valLoss), s.lr(), s.gradNorm(), s.stepMs(), s.tokensPerS(), 100 * s.mfu(),
        hfu ? String.format(" HFU %.1f%%", 100 * s.hfu()) : "", formatDuration(eta));
    if (live) {
      out.print("\r" + line + "\u001b[K");
      midLine = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends a live line in progress, so that another message starts on a line of its own. */
  void interrupt() {
    if (midLine) {
      out.println();
      midLine = false;
    }
  }

  void finish() {
    interrupt();
    out.flush();
  }

  static String formatDuration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, s % 3600 / 60)
        : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }
}
