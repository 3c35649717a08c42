// The CLI as a user meets it: what it prints, what it writes, and its exit codes.
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir
  Path dir;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void trainWritesMetricsAndReportsMfu() throws Exception {
    Path metrics = dir.resolve("m.jsonl");
    Result r = run("train", "--steps", "3", "--peak-gflops", "100", "--metrics-out", metrics.toString(),
        "--out", dir.resolve("run").toString());
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("step 3/3"), r.out());
    assertTrue(r.out().contains("MFU"), r.out());
    List<String> lines = Files.readAllLines(metrics);
    assertEquals(3, lines.size());
    JsonNode last = new ObjectMapper().readTree(lines.get(2));
    for (String f : new String[] {"step", "loss", "lr", "grad_norm", "step_ms", "tokens_per_s", "mfu", "hfu"}) {
      assertTrue(last.has(f), "missing field " + f + " in " + lines.get(2));
    }
    assertEquals(3, last.get("step").asInt());
  }

  @Test
  void runDirectoryHoldsRecordReportAndCheckpointAndServesPrometheusOnLoopback() throws Exception {
    Path run = dir.resolve("run");
    Result r = run("train", "--steps", "2", "--peak-gflops", "100", "--out", run.toString(),
        "--set", "log.prometheus=\"0\"");
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("Prometheus text format at http://127.0.0.1:"), r.out());
    for (String f : new String[] {"run.json", "metrics.jsonl", "report.html", "report.md", "checkpoints/latest"}) {
      assertTrue(Files.exists(run.resolve(f)), "missing " + f);
    }
    JsonNode rec = new ObjectMapper().readTree(run.resolve("run.json").toFile());
    for (String f : new String[] {"config", "config_sha256", "code", "data", "machine", "steps", "totals",
        "time_split_s", "memory", "energy", "checkpoints", "weights_sha256"}) {
      assertTrue(rec.has(f), "run.json lacks " + f);
    }
    String energy = rec.get("energy").get("source").asText();
    assertTrue(energy.equals("rapl") || energy.equals("estimate"), energy);
    Result report = run("report", run.toString());
    assertEquals(Main.OK, report.code(), report.err());
    assertTrue(report.out().contains("report.html"), report.out());
  }

  @Test
  void unknownKeyIsOneLineWithExitCodeTwo() {
    Result r = run("train", "--set", "model.dimm=3", "--peak-gflops", "1");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().startsWith("error: model.dimm: unknown key"), r.err());
    assertFalse(r.err().contains("Exception"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void missingConfigFileIsNamed() {
    Result r = run("train", "--config", dir.resolve("nope.toml").toString(), "--peak-gflops", "1");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("nope.toml"), r.err());
  }

  @Test
  void truncatedTokenFileIsNamed() throws Exception {
    Path f = dir.resolve("tokens.u16");
    Files.write(f, new byte[] {1, 0, 2});
    Result r = run("train", "--data", f.toString(), "--steps", "1", "--peak-gflops", "1", "--out", dir.resolve("r").toString());
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("tokens.u16") && r.err().contains("truncated"), r.err());
  }

  @Test
  void benchTrainJson() throws Exception {
    Result r = run("bench", "train", "--preset", "debug", "--warmup", "1", "--steps", "2", "--peak-gflops", "100", "--json");
    assertEquals(Main.OK, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    for (String f : new String[] {"preset", "batch", "seq", "tokens_per_s", "mfu", "step_ms", "setup_ms"}) {
      assertTrue(j.has(f), "missing " + f + " in " + r.out());
    }
    // A given peak is used as is: one "probe", no re-measurement after the steps.
    assertEquals(100.0, j.get("peak_gflops").asDouble());
    assertEquals(1, j.get("peak_gflops_probes").size(), r.out());
  }

  @Test
  void benchGenerateComparesCacheWithRecomputation() throws Exception {
    Result r = run("bench", "generate", "--preset", "debug", "--tokens", "16", "--json");
    assertEquals(Main.OK, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.get("kv_cache_tokens_per_s").asDouble() > 0, r.out());
    assertTrue(j.get("no_cache_tokens_per_s").asDouble() > 0, r.out());
  }
}
