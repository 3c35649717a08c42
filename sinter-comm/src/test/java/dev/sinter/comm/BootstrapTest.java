// Bootstrap from a launcher's environment: torchrun's and Slurm's variable names, hostlist
// expansion, the derived port, the secret from a variable or a file, errors that name the variable,
// and a real three-rank job started from three environments.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapTest {
  private static final String SECRET = new String(Ranks.SECRET, StandardCharsets.UTF_8);

  @TempDir
  Path dir;

  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static String error(Map<String, String> env) {
    return assertThrows(IllegalArgumentException.class, () -> Bootstrap.settings(env)).getMessage();
  }

  @Test
  void readsTorchrunVariables() {
    Bootstrap.Settings s = Bootstrap.settings(env("RANK", "1", "WORLD_SIZE", "4", "LOCAL_RANK", "1", "MASTER_ADDR",
        "127.0.0.1", "MASTER_PORT", "29500", "SINTER_JOB_SECRET", SECRET));
    assertEquals(List.of(1, 4, 1, "127.0.0.1", 29500, "torchrun"),
        List.of(s.rank(), s.worldSize(), s.localRank(), s.masterAddr(), s.masterPort(), s.source()));
    assertEquals(SECRET, new String(s.secret(), StandardCharsets.UTF_8));
  }

  @Test
  void readsSlurmVariablesTakingTheFirstHostAndDerivingThePortFromTheJobId() {
    Bootstrap.Settings s = Bootstrap.settings(env("SLURM_PROCID", "3", "SLURM_NTASKS", "8", "SLURM_LOCALID", "1",
        "SLURM_STEP_NODELIST", "node[01-03,07]", "SLURM_NODELIST", "other[1-9]", "SLURM_JOB_ID", "123456",
        "SINTER_JOB_SECRET", SECRET));
    assertEquals(List.of(3, 8, 1, "node01", 15000 + 123456 % 15000, "slurm", "sinter/123456/"),
        List.of(s.rank(), s.worldSize(), s.localRank(), s.masterAddr(), s.masterPort(), s.source(), s.keyPrefix()));
    Bootstrap.Settings t = Bootstrap.settings(env("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_JOB_NODELIST",
        "gpu-[009-010]", "SLURM_JOB_ID", "7", "MASTER_ADDR", "10.0.0.5", "MASTER_PORT", "1234",
        "SINTER_JOB_SECRET", SECRET));
    assertEquals(List.of("10.0.0.5", 1234), List.of(t.masterAddr(), t.masterPort()), "MASTER_* override Slurm's");
  }

  @Test
  void torchrunNamesWinOverSlurmNames() {
    Bootstrap.Settings s = Bootstrap.settings(env("RANK", "0", "WORLD_SIZE", "2", "SLURM_PROCID", "5", "SLURM_NTASKS",
        "16", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500", "SINTER_JOB_SECRET", SECRET));
    assertEquals(List.of(0, 2, "torchrun"), List.of(s.rank(), s.worldSize(), s.source()));
  }

  @Test
  void readsTheSecretFromAFileWithoutItsTrailingNewline() throws Exception {
    Path f = dir.resolve("secret");
    Files.writeString(f, SECRET + "\n");
    Bootstrap.Settings s = Bootstrap.settings(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1",
        "MASTER_PORT", "29500", "SINTER_JOB_SECRET_FILE", f.toString()));
    assertEquals(SECRET, new String(s.secret(), StandardCharsets.UTF_8));
    String e = error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1",
        "SINTER_JOB_SECRET_FILE", dir.resolve("missing").toString()));
    assertTrue(e.startsWith("SINTER_JOB_SECRET_FILE: cannot read"), e);
  }

  @Test
  void errorsNameTheVariable() {
    assertTrue(error(env()).contains("RANK and WORLD_SIZE") && error(env()).contains("SLURM_PROCID"));
    assertTrue(error(env("RANK", "x", "WORLD_SIZE", "2")).startsWith("RANK must be an integer"));
    assertTrue(error(env("RANK", "2", "WORLD_SIZE", "2")).startsWith("RANK (2) must be less than WORLD_SIZE (2)"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "0")).startsWith("WORLD_SIZE must be an integer >= 1"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "2")).startsWith("MASTER_ADDR is not set"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h")).startsWith("MASTER_PORT is not set"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "70000"))
        .startsWith("MASTER_PORT must be a port"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1"))
        .contains("SINTER_JOB_SECRET"));
    assertTrue(error(env("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "1", "SINTER_JOB_SECRET",
        "short")).startsWith("SINTER_JOB_SECRET must be at least 16 bytes"));
    assertTrue(error(env("SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_NODELIST", "n[1-2"))
        .contains("malformed hostlist"));
  }

  @Test
  void sinterShmZeroKeepsEveryByteOnTcpAndOtherValuesAreNamedErrors() {
    String[] base = {"RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500",
        "SINTER_JOB_SECRET", SECRET};
    assertTrue(Bootstrap.settings(env(base)).sharedMemory(), "on by default");
    for (String off : new String[] {"0", "off", "false", "OFF"}) {
      Map<String, String> e = env(base);
      e.put("SINTER_SHM", off);
      assertTrue(!Bootstrap.settings(e).sharedMemory(), "SINTER_SHM=" + off);
    }
    for (String on : new String[] {"1", "on", "true", "auto"}) {
      Map<String, String> e = env(base);
      e.put("SINTER_SHM", on);
      assertTrue(Bootstrap.settings(e).sharedMemory(), "SINTER_SHM=" + on);
    }
    Map<String, String> bad = env(base);
    bad.put("SINTER_SHM", "maybe");
    assertTrue(error(bad).startsWith("SINTER_SHM must be 0/off/false"), error(bad));
  }

  @Test
  void expandsHostlists() {
    assertEquals(List.of("node01", "node02", "node03", "node07"), Bootstrap.expandHostlist("node[01-03,07]"));
    assertEquals(List.of("a", "b8", "b9", "b10"), Bootstrap.expandHostlist("a,b[8-10]"));
    assertEquals(List.of("r1n1", "r1n2", "r2n1", "r2n2"), Bootstrap.expandHostlist("r[1-2]n[1-2]"));
    assertEquals(List.of("gpu-009", "gpu-010", "gpu-011", "cpu"), Bootstrap.expandHostlist("gpu-[009-011],cpu"));
    assertThrows(IllegalArgumentException.class, () -> Bootstrap.expandHostlist("n[3-1]"));
    assertThrows(IllegalArgumentException.class, () -> Bootstrap.expandHostlist("n]1["));
  }

  @Test
  void aWorldOfOneNeedsNoNetworkAndNoSecret() {
    try (Communicator c = Bootstrap.fromEnvironment(env("RANK", "0", "WORLD_SIZE", "1"))) {
      assertEquals(List.of(0, 1), List.of(c.rank(), c.size()));
    }
  }

  @Test
  void threeRanksBootstrapFromTheirEnvironmentsAndReduce() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    int n = 3;
    List<Communicator> cs = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
      List<Future<Communicator>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        Map<String, String> e = env("RANK", "" + r, "WORLD_SIZE", "" + n, "LOCAL_RANK", "" + r, "MASTER_ADDR",
            "127.0.0.1", "MASTER_PORT", "" + port, "SINTER_JOB_SECRET", SECRET);
        fs.add(pool.submit(() -> Bootstrap.fromEnvironment(e, Duration.ofSeconds(20))));
      }
      for (Future<Communicator> f : fs) {
        cs.add(f.get(30, TimeUnit.SECONDS));
      }
    }
    List<Float> sums = Ranks.run(cs, "bootstrap", 20, c -> {
      float[] x = {c.rank() + 1};
      c.allReduce(x, 0, 1, ReduceOp.SUM);
      return x[0];
    });
    assertEquals(List.of(6f, 6f, 6f), sums);
    assertEquals("tcp", cs.get(0).backend());
    Ranks.closeAll(cs);
  }
}
