// Many ranks, one job, through real processes over TCP: data parallelism (plain, ZeRO-1, ZeRO-2)
// gives the losses of one rank with the same global batch; a rank killed with SIGKILL brings every
// other rank down within seconds with an error naming it; under the launcher the job restarts from
// its last checkpoint and ends with the weights of an uninterrupted run; and two "hosts" in their own
// network namespaces, joined by a veth pair, train together over real addresses (and real TCP: ranks
// in different namespaces must not take the shared-memory data plane).
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiRankTest {
  /** A debug-sized model whose steps take long enough to be interrupted mid-run. */
  private static final String[] MODEL = {"--set", "model.dim=64", "--set", "model.ffn_dim=256", "--set",
      "train.seq_len=64", "--set", "model.max_seq_len=64", "--set", "train.batch_size=4", "--set", "train.grad_accum=2",
      "--set", "train.threads=1", "--peak-gflops", "1"};
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir
  Path dir;

  private static List<String> train(Path out, int steps, String... extra) {
    List<String> a = new ArrayList<>(List.of("train", "--steps", Integer.toString(steps), "--out", out.toString()));
    a.addAll(List.of(MODEL));
    a.addAll(List.of(extra));
    return a;
  }

  private static JsonNode record(Path out) throws IOException {
    return new ObjectMapper().readTree(out.resolve("run.json").toFile());
  }

  private static List<Double> losses(Path out) throws IOException {
    List<Double> l = new ArrayList<>();
    for (JsonNode s : record(out).get("steps")) {
      l.add(s.get("loss").asDouble());
    }
    return l;
  }

  private static void assertClose(List<Double> want, List<Double> got, String what) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      double rel = Math.abs(got.get(i) - want.get(i)) / Math.abs(want.get(i));
      assertTrue(rel < 1e-5, what + ": step " + (i + 1) + " " + got.get(i) + " vs " + want.get(i));
    }
  }

  /** `sinter launch` in this JVM; its ranks are child processes. */
  private static CliTest.Result launch(int nproc, int maxRestarts, List<String> command) {
    List<String> a = new ArrayList<>(List.of("launch", "--nproc", Integer.toString(nproc), "--max-restarts",
        Integer.toString(maxRestarts), "--grace-s", "20", "--"));
    a.addAll(command);
    return CliTest.run(a.toArray(String[]::new));
  }

  @Test
  void dataParallelOverTcpMatchesOneRank() throws IOException {
    Path one = dir.resolve("one");
    CliTest.Result single = CliTest.run(train(one, 12).toArray(String[]::new));
    assertEquals(Main.OK, single.code(), single.err());
    for (String[] c : new String[][] {{"2", "0"}, {"4", "1"}, {"2", "2"}}) {
      Path out = dir.resolve("dp" + c[0] + "z" + c[1]);
      CliTest.Result r = launch(Integer.parseInt(c[0]), 0, train(out, 12, "--set", "parallel.zero=" + c[1]));
      assertEquals(Main.OK, r.code(), r.out() + r.err());
      assertTrue(r.out().contains("[rank 0]"), r.out());
      assertClose(losses(one), losses(out), "dp=" + c[0] + " zero=" + c[1]);
      JsonNode last = record(out).get("steps").get(11);
      assertTrue(last.get("comm_ms").asDouble() > 0, "communication was timed: " + last);
      assertEquals(Integer.parseInt(c[0]), last.get("rank_step_ms").size());
    }
  }

  /** Starts rank {@code rank} of a 2-rank job directly (no launcher), as torchrun would. */
  private Process rank(int rank, int port, Path out, Path log) throws IOException {
    List<String> cmd = LaunchCommand.childCommand(train(out, 400));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("MASTER_ADDR", "127.0.0.1");
    env.put("MASTER_PORT", Integer.toString(port));
    env.put("RANK", Integer.toString(rank));
    env.put("WORLD_SIZE", "2");
    env.put("LOCAL_RANK", Integer.toString(rank));
    env.put(LaunchCommand.SECRET_ENV, SECRET);
    return pb.start();
  }

  @Test
  void killingOneRankStopsTheOtherWithAnErrorNamingIt() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path out = dir.resolve("run");
    Process r0 = rank(0, port, out, dir.resolve("r0.log"));
    Process r1 = rank(1, port, out, dir.resolve("r1.log"));
    try {
      for (int i = 0; i < 600 && !Files.readString(dir.resolve("r0.log")).contains("step 3/"); i++) {
        Thread.sleep(100);
      }
      assertTrue(Files.readString(dir.resolve("r0.log")).contains("step 3/"), Files.readString(dir.resolve("r0.log")));
      long killed = System.nanoTime();
      r1.destroyForcibly(); // SIGKILL: no goodbye on the wire
      assertTrue(r0.waitFor(30, TimeUnit.SECONDS), "rank 0 still running 30 s after rank 1 died");
      double seconds = (System.nanoTime() - killed) / 1e9;
      String log = Files.readString(dir.resolve("r0.log"), StandardCharsets.UTF_8);
      assertTrue(r0.exitValue() != 0, log);
      assertTrue(log.contains("rank 1"), "the error names the dead rank: " + log);
      assertTrue(seconds < 30, "took " + seconds + " s");
    } finally {
      r0.destroyForcibly();
      r1.destroyForcibly();
    }
  }

  @Test
  void launcherRestartsFromTheLastCheckpointAndEndsWithTheUninterruptedWeights() throws Exception {
    Path straight = dir.resolve("straight");
    CliTest.Result ok = launch(2, 0, train(straight, 24, "--set", "checkpoint.every=4"));
    assertEquals(Main.OK, ok.code(), ok.err());
    Path out = dir.resolve("restarted");
    // Kill rank 1 once the step-8 checkpoint exists, from a watcher thread, while the launcher runs.
    Thread killer = new Thread(() -> {
      try {
        Path marker = out.resolve("checkpoints").resolve("step-00000008");
        for (int i = 0; i < 1200 && !Files.exists(marker); i++) {
          Thread.sleep(50);
        }
        ProcessHandle.current().descendants()
            .filter(p -> p.info().commandLine().orElse("").contains(out.toString()))
            .filter(p -> p.info().commandLine().orElse("").contains("dev.sinter.cli.Main"))
            .skip(1).findFirst().ifPresent(ProcessHandle::destroyForcibly);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    killer.start();
    CliTest.Result r = launch(2, 2, train(out, 24, "--set", "checkpoint.every=4"));
    killer.join();
    assertEquals(Main.OK, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("restart 1/2"), r.err());
    assertEquals(record(straight).get("weights_sha256").asText(), record(out).get("weights_sha256").asText(),
        "the restarted job ends with the uninterrupted job's weights");
  }

  @Test
  void twoHostsInNetworkNamespacesTrainTogether() throws Exception {
    Assumptions.assumeTrue(netns("add", "sinter-a") && netns("add", "sinter-b"),
        "network namespaces are unavailable here (needs root and `ip netns`); skipping the two-host test");
    try {
      sh("ip link add sinter-va netns sinter-a type veth peer name sinter-vb netns sinter-b");
      sh("ip -n sinter-a addr add 10.77.0.1/24 dev sinter-va");
      sh("ip -n sinter-b addr add 10.77.0.2/24 dev sinter-vb");
      for (String ns : new String[] {"sinter-a", "sinter-b"}) {
        sh("ip -n " + ns + " link set lo up");
      }
      sh("ip -n sinter-a link set sinter-va up");
      sh("ip -n sinter-b link set sinter-vb up");
      Path one = dir.resolve("one");
      assertEquals(Main.OK, CliTest.run(train(one, 6).toArray(String[]::new)).code());
      Path out = dir.resolve("two-hosts");
      List<Process> ps = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", r == 0 ? "sinter-a" : "sinter-b"));
        cmd.addAll(LaunchCommand.childCommand(train(out, 6)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
            .redirectOutput(dir.resolve("host" + r + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("MASTER_ADDR", "10.77.0.1");
        env.put("MASTER_PORT", "29517");
        env.put("RANK", Integer.toString(r));
        env.put("WORLD_SIZE", "2");
        env.put(LaunchCommand.SECRET_ENV, SECRET);
        ps.add(pb.start());
      }
      for (int r = 0; r < 2; r++) {
        assertTrue(ps.get(r).waitFor(120, TimeUnit.SECONDS), "host " + r + " did not finish");
        assertEquals(0, ps.get(r).exitValue(), Files.readString(dir.resolve("host" + r + ".log")));
      }
      assertTrue(Files.readString(dir.resolve("host1.log")).contains("rank 1 of 2"), Files.readString(dir.resolve("host1.log")));
      // Same kernel, same /dev/shm, but two network namespaces: two hosts, so real TCP, not shared memory.
      for (int r = 0; r < 2; r++) {
        String log = Files.readString(dir.resolve("host" + r + ".log"));
        assertTrue(log.contains("rank " + r + " data plane: TCP (other host) with rank " + (1 - r)), log);
      }
      assertClose(losses(one), losses(out), "two namespaces over a veth pair");
    } finally {
      netns("del", "sinter-a");
      netns("del", "sinter-b");
    }
  }

  private static boolean netns(String verb, String name) {
    try {
      Process p = new ProcessBuilder("ip", "netns", verb, name).redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sh(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command.split(" ")).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, command + ": " + text);
  }
}
