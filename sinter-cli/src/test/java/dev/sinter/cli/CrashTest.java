// Work survives the process dying: a training process killed in the middle of writing a checkpoint
// leaves the previous checkpoint intact and `latest` pointing at it, and a process stopped by
// SIGTERM saves a checkpoint first. These run `sinter train` as real child processes.
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.train.checkpoint.CheckpointLoader;
import dev.sinter.train.checkpoint.CheckpointManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashTest {
  @TempDir
  Path dir;

  /** Starts `sinter train ARGS` in a child JVM with the test's class path and extra JVM options. */
  private Process train(List<String> jvm, String... args) throws IOException {
    List<String> train = new ArrayList<>(List.of("train"));
    train.addAll(List.of(args));
    List<String> cmd = new ArrayList<>(LaunchCommand.childCommand(train));
    cmd.addAll(1, jvm); // JVM options go right after the java executable
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
  }


  private String log() throws IOException {
    return Files.readString(dir.resolve("log.txt"), StandardCharsets.UTF_8);
  }

  @Test
  void killedMidSaveLeavesThePreviousCheckpointAndLatestIntact() throws Exception {
    Path out = dir.resolve("run");
    Process p = train(List.of("-D" + CheckpointManager.HALT_PROPERTY + "=4"), "--steps", "6", "--peak-gflops", "1",
        "--out", out.toString(), "--set", "checkpoint.every=2");
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
    assertEquals(99, p.exitValue(), log());
    Path ckpts = out.resolve("checkpoints");
    assertTrue(Files.isDirectory(ckpts.resolve(".step-00000004.tmp")), "the save was not interrupted: " + log());
    assertFalse(Files.exists(ckpts.resolve("step-00000004")));
    assertEquals("step-00000002", Files.readString(ckpts.resolve(CheckpointManager.LATEST)).strip());
    assertEquals(2, CheckpointLoader.verify(ckpts.resolve("step-00000002")).step());
    // and the run resumes from it, clearing the debris
    CliTest.Result r = CliTest.run("train", "--resume", "latest", "--out", out.toString(), "--peak-gflops", "1");
    assertEquals(Main.OK, r.code(), r.err());
    assertTrue(r.out().contains("resumed from") && r.out().contains("step-00000002"), r.out());
    assertFalse(Files.exists(ckpts.resolve(".step-00000004.tmp")));
    assertEquals("step-00000006", Files.readString(ckpts.resolve(CheckpointManager.LATEST)).strip());
  }

  @Test
  void sigtermSavesACheckpointAndRecordsAnInterruptedRun() throws Exception {
    Path out = dir.resolve("run");
    Process p = train(List.of(), "--steps", "100000", "--peak-gflops", "1", "--out", out.toString());
    // wait until it is training
    for (int i = 0; i < 600 && !log().contains("step 2/"); i++) {
      Thread.sleep(100);
    }
    assertTrue(log().contains("step 2/"), log());
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not stop");
    assertTrue(log().contains("stopped by a signal"), log());
    CheckpointLoader.Verified v = CheckpointLoader.resolve(out, w -> {});
    assertTrue(v.step() >= 2, "saved at step " + v.step());
    JsonNode record = new ObjectMapper().readTree(out.resolve("run.json").toFile());
    assertEquals("interrupted", record.get("status").asText());
    assertEquals(v.step(), record.get("totals").get("final_step").asInt());
  }
}
