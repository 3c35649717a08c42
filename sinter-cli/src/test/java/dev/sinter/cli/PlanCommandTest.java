// `sinter plan` as a user meets it: what it prints, writes and returns.
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
  @TempDir
  Path dir;

  private static CliTest.Result run(String... args) {
    return CliTest.run(args);
  }

  @Test
  void searchPrintsJsonWithStepMfuMemoryAndRun() throws Exception {
    CliTest.Result r = run("plan", "--model", "gpt3-175b", "--cluster", "a100:1024", "--tokens", "300B", "--json");
    assertEquals(Main.OK, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    for (String f : new String[] {"layout", "step_s", "step_breakdown_s", "tokens_per_s", "mfu", "hfu",
        "memory_bytes_per_chip", "run", "search"}) {
      assertTrue(j.has(f), "missing " + f + " in " + r.out());
    }
    assertTrue(j.get("feasible").asBoolean());
    assertTrue(j.get("run").get("days").asDouble() > 0);
    assertTrue(j.get("search").get("candidates").asLong() > 100);
  }

  @Test
  void anInfeasibleLayoutIsPrintedWithItsReasonAndExitsOne() {
    CliTest.Result r = run("plan", "--model", "gpt3-175b", "--cluster", "a100:8", "--layout", "tp=8");
    assertEquals(Main.FAILED, r.code(), r.err());
    assertTrue(r.out().contains("INFEASIBLE out of memory"), r.out());
    assertTrue(r.out().contains("optimizer state overflows"), r.out());
  }

  @Test
  void nonsenseIsOneLineWithExitCodeTwo() {
    CliTest.Result zero = run("plan", "--model", "gpt3-175b", "--cluster", "h100:0");
    assertEquals(Main.USAGE, zero.code());
    assertEquals("error: --cluster: chip count must be >= 1, got 0", zero.err().strip());
    CliTest.Result tp = run("plan", "--model", "gpt3-175b", "--cluster", "a100:7", "--layout", "tp=7");
    assertEquals(Main.USAGE, tp.code());
    assertTrue(tp.err().startsWith("error: layout.tp: tp = 7 must divide the model's 96 attention heads"), tp.err());
    CliTest.Result chip = run("plan", "--model", "gpt3-175b", "--cluster", "z80:8");
    assertEquals(Main.USAGE, chip.code());
    assertTrue(chip.err().contains("unknown chip \"z80\""), chip.err());
    assertFalse(chip.err().contains("\tat "), chip.err());
    CliTest.Result noModel = run("plan", "--cluster", "h100:8");
    assertEquals(Main.USAGE, noModel.code());
    assertTrue(noModel.err().startsWith("error: --model: missing"), noModel.err());
  }

  @Test
  void compareWritesAMarkdownAndAnHtmlReport() throws Exception {
    Path md = dir.resolve("h2h.md");
    CliTest.Result r = run("plan", "--model", "llama3-405b", "--tokens", "15.6T", "--compare", "h100:1024,b200:1024",
        "--report", md.toString());
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("1024 x nvidia_b200"), r.out());
    String text = Files.readString(md);
    assertTrue(text.startsWith("# Sinter plan: llama3-405b"), text);
    assertTrue(text.contains("## Head to head"), text);
    assertTrue(text.contains("## Hardware figures used"), text);
    Path html = dir.resolve("h2h.html");
    assertEquals(Main.OK, run("plan", "--model", "llama3-405b", "--cluster", "h100:1024", "--report",
        html.toString()).code());
    assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"));
    assertEquals(Main.USAGE, run("plan", "--model", "llama3-405b", "--cluster", "h100:1024", "--report",
        dir.resolve("x.pdf").toString()).code());
  }

  @Test
  void validateMeetsTheTargets() {
    CliTest.Result r = run("plan", "validate");
    assertEquals(Main.OK, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("all targets met"), r.out());
    assertTrue(r.out().contains("KOR22-175B-SP+selective"), r.out());
  }

  @Test
  void engineConfigsPlanOnTheLocalChip() throws Exception {
    CliTest.Result r = run("plan", "--model", "llama-tiny", "--cluster", "local:1", "--layout", "precision=fp32",
        "--json");
    assertEquals(Main.OK, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.get("layout").asText().contains("mbs=8,gbs=8"), r.out());
    Path f = dir.resolve("tiny.toml");
    Files.writeString(f, "[model]\nvocab_size = 4096\ndim = 256\nlayers = 4\nheads = 8\nkv_heads = 4\nffn_dim = 688\n"
        + "[train]\nbatch_size = 8\nseq_len = 256\n");
    CliTest.Result g = run("plan", "--model", f.toString(), "--cluster", "local:1", "--layout", "precision=fp32",
        "--json");
    assertEquals(Main.OK, g.code(), g.err());
    assertEquals(j.get("step_s").asDouble(), new ObjectMapper().readTree(g.out()).get("step_s").asDouble(), 1e-12);
  }

  @Test
  void listAndBenchRun() throws Exception {
    CliTest.Result l = run("plan", "list");
    assertEquals(Main.OK, l.code());
    assertTrue(l.out().contains("ascend_910c") && l.out().contains("deepseek-v4-pro-1.6t"), l.out());
    CliTest.Result b = run("plan", "bench", "--rounds", "1", "--json");
    assertEquals(Main.OK, b.code(), b.err());
    assertTrue(new ObjectMapper().readTree(b.out()).get("candidates").asLong() >= 10_000, b.out());
  }
}
