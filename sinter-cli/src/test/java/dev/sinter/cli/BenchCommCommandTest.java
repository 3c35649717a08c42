// `sinter bench comm` as a user meets it: the JSON rows and their fields, the ceilings in the same
// run, and option errors that say what is wrong.
package dev.sinter.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommCommandTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  @Test
  void jsonHasOneRowPerCollectiveAndBackendPlusTheCeilings() throws Exception {
    String[] r = run("bench", "comm", "--sizes", "4K", "--seconds", "0.01", "--json");
    assertEquals("0", r[0], r[2]);
    List<String> ops = new ArrayList<>();
    for (String line : r[1].strip().split("\n")) {
      JsonNode row = new ObjectMapper().readTree(line);
      for (String f : new String[] {"op", "backend", "ranks", "bytes", "us", "algbw_gbps", "busbw_gbps"}) {
        assertTrue(row.has(f), "missing " + f + " in " + line);
      }
      assertTrue(row.get("busbw_gbps").asDouble() > 0, line);
      ops.add(row.get("op").asText() + "/" + row.get("backend").asText());
    }
    assertTrue(ops.containsAll(List.of("tcp_stream/tcp", "memcpy/inproc", "all_reduce/inproc", "all_reduce/tcp",
        "reduce_scatter/tcp", "all_gather/tcp", "broadcast/tcp", "all_to_all/tcp", "all_reduce/tcp+shm",
        "reduce_scatter/tcp+shm", "all_gather/tcp+shm", "broadcast/tcp+shm", "all_to_all/tcp+shm")), ops.toString());
  }

  @Test
  void tableSaysHowTcpRanksRunAndJudgesTheTargets() {
    String[] r = run("bench", "comm", "--backend", "inproc", "--sizes", "64K", "--seconds", "0.01");
    assertEquals("0", r[0], r[2]);
    assertTrue(r[1].contains("threads of this JVM over real loopback sockets"), r[1]);
    assertTrue(r[1].contains("busbw(GB/s)") && r[1].contains("memcpy"), r[1]);
  }

  @Test
  void badOptionsAreUsageErrors() {
    String[] r = run("bench", "comm", "--backend", "ucx");
    assertEquals(Integer.toString(Main.USAGE), r[0]);
    assertTrue(r[2].contains("--backend must be inproc, tcp, tcp+shm or all"), r[2]);
    r = run("bench", "comm", "--sizes", "12Q");
    assertEquals(Integer.toString(Main.USAGE), r[0]);
    assertTrue(r[2].contains("--sizes: '12Q' is not a size"), r[2]);
    assertEquals(64L << 20, BenchCommCommand.parseBytes("64M", "--sizes"));
  }
}
