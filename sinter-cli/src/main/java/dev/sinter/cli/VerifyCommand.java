// `sinter verify RUN`: re-runs the first K steps of a recorded run from its recorded config (and,
// for a resumed run, its starting checkpoint) and confirms every recorded loss bit for bit — or
// names the first step where the re-run diverges and by how much.
package dev.sinter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.telemetry.report.RunReport;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.RunRecord;
import dev.sinter.train.StepStats;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import dev.sinter.train.TrainingRun;
import dev.sinter.train.checkpoint.CheckpointLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Checks a run record by re-running it. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Re-run the first K steps of a recorded run and confirm its losses bit for bit.")
public final class VerifyCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "RUN", description = "run.json, or the run directory that holds it.")
  Path run;

  @Option(names = "--steps", paramLabel = "K", description = "Steps to re-run (default: all recorded, at most 20).")
  Integer steps;

  @Option(names = "--threads", description = "Kernel threads for the re-run (results do not depend on it).")
  Integer threads;

  @Override
  @SuppressWarnings("unchecked")
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    Path file = Files.isDirectory(run) ? run.resolve("run.json") : run;
    JsonNode rec = RunReport.read(file);
    JsonNode recorded = rec.path("steps");
    if (recorded.isEmpty()) {
      throw new IllegalArgumentException(file + " records no steps; there is nothing to verify");
    }
    int k = steps != null ? steps : Math.min(20, recorded.size());
    if (k < 1 || k > recorded.size()) {
      throw new IllegalArgumentException("--steps must be in [1, " + recorded.size() + "] (the recorded steps), got " + k);
    }
    Map<String, Object> tree = new ObjectMapper().convertValue(rec.get("config"), Map.class);
    List<String> overrides = new ArrayList<>();
    if (threads != null) {
      overrides.add("train.threads=" + threads);
    }
    TrainConfig cfg = ConfigLoader.fromTree(tree, overrides);
    double peak = rec.path("machine").path("peak_gflops").asDouble(1);
    try (Trainer trainer = new Trainer(cfg, peak * 1e9)) {
      if (rec.hasNonNull("init_from")) {
        Path from = Path.of(rec.get("init_from").asText());
        CheckpointLoader.loadWeights(from, cfg.model(), trainer.model().layout(), trainer.model().params);
      }
      if (rec.has("resumed_from")) {
        TrainingRun.restore(trainer, CheckpointLoader.verify(Path.of(rec.path("resumed_from").path("path").asText())));
      }
      o.printf("verifying %d of %d recorded steps of %s (config sha256 %s)%n", k, recorded.size(), file,
          rec.path("config_sha256").asText("?"));
      for (int i = 0; i < k; i++) {
        JsonNode want = recorded.get(i);
        StepStats s = trainer.trainStep();
        if (s.step() != want.path("step").asInt()) {
          throw new IllegalStateException("re-run is at step " + s.step() + " but the record's row " + i + " is step "
              + want.path("step").asInt());
        }
        double w = want.path("loss").asDouble();
        if (Double.doubleToLongBits(w) != Double.doubleToLongBits(s.loss())) {
          o.printf("DIVERGED at step %d: recorded loss %s, re-run %s (difference %.3e)%n", s.step(),
              Double.toString(w), Double.toString(s.loss()), s.loss() - w);
          o.printf("steps 1..%d matched bit for bit; check the data (%s) and code version (%s)%n", i,
              rec.path("data").path("source").asText(), rec.path("code").path("git_commit").asText());
          o.flush();
          return Main.FAILED;
        }
        if (want.has("val_loss")) {
          double vw = want.get("val_loss").asDouble();
          double vr = trainer.validate();
          if (Double.doubleToLongBits(vw) != Double.doubleToLongBits(vr)) {
            o.printf("DIVERGED at step %d: recorded validation loss %s, re-run %s%n", s.step(), vw, vr);
            o.flush();
            return Main.FAILED;
          }
        }
      }
      boolean whole = k == recorded.size() && rec.hasNonNull("weights_sha256")
          && rec.path("totals").path("final_step").asInt() == trainer.step();
      if (whole) {
        String sha = RunRecord.sha256(trainer.model().params);
        if (!sha.equals(rec.get("weights_sha256").asText())) {
          o.printf("DIVERGED: every loss matched, but the final weights hash %s, not the recorded %s%n", sha,
              rec.get("weights_sha256").asText());
          o.flush();
          return Main.FAILED;
        }
      }
      o.printf("OK: %d steps match bit for bit (last loss %s)%s%n", k, recorded.get(k - 1).path("loss").asText(),
          whole ? ", and so do the final weights" : "");
      o.flush();
    }
    return Main.OK;
  }
}
