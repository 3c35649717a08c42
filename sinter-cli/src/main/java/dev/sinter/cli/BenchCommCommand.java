// `sinter bench comm`: an nccl-tests-style table of every collective on the in-process and TCP back
// ends (TCP twice: "tcp" with every byte on the sockets, "tcp+shm" with the same-host shared-memory
// data plane), with the loopback TCP stream and single-thread memcpy ceilings measured in the same
// run, and whether the bandwidth targets are met on this machine. The measuring lives in
// dev.sinter.comm.bench.CommBench; this file parses options and prints.
package dev.sinter.cli;

import dev.sinter.comm.Wire;
import dev.sinter.comm.bench.CommBench;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Collective bandwidth of both back ends against the loopback-TCP and memcpy ceilings. */
@Command(name = "comm", mixinStandardHelpOptions = true,
    description = {"Time, algorithm bandwidth and bus bandwidth of every collective (nccl-tests conventions) on the"
        + " in-process and TCP back ends, next to the loopback TCP stream and memcpy ceilings measured in the same run.",
        "TCP ranks run as threads of this JVM, each with its own sockets and I/O threads, over real loopback sockets;"
            + " as tcp every byte crosses the sockets, as tcp+shm the data goes through shared memory (same host)."})
public final class BenchCommCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--ranks", defaultValue = "2", description = "Ranks per group (default ${DEFAULT-VALUE}).")
  int ranks;

  @Option(names = "--backend", defaultValue = "all", split = ",", description = "inproc, tcp (sockets only),"
      + " tcp+shm (shared memory between ranks of this host) or all; several with commas (default ${DEFAULT-VALUE}).")
  List<String> backend;

  @Option(names = "--sizes", split = ",", paramLabel = "SIZE",
      description = "Buffer sizes in bytes, with K/M/G suffixes (default 4K,64K,1M,16M,64M).")
  List<String> sizes;

  @Option(names = "--wire", defaultValue = "fp32",
      description = "Wire precision of the reducing collectives: fp32 or bf16 (default ${DEFAULT-VALUE}).")
  String wire;

  @Option(names = "--chunk", defaultValue = "1M", description = "TCP frame size (default ${DEFAULT-VALUE}).")
  String chunk;

  @Option(names = "--seconds", defaultValue = "0.4", description = "Timed seconds per size (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--json", description = "Print one JSON object per row: op, backend, ranks, bytes, us, algbw_gbps,"
      + " busbw_gbps (GB/s = 1e9 bytes/s).")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    CommBench.Options d = CommBench.Options.defaults();
    List<String> backends = new ArrayList<>();
    for (String b : backend) {
      if (b.equals("all")) {
        backends.addAll(CommBench.BACKENDS);
      } else if (CommBench.BACKENDS.contains(b)) {
        backends.add(b);
      } else {
        throw new IllegalArgumentException("--backend must be inproc, tcp, tcp+shm or all (several with commas), got "
            + b);
      }
    }
    long[] bytes = sizes == null ? d.sizes() : sizes.stream().mapToLong(s -> parseBytes(s, "--sizes")).toArray();
    Wire w = switch (wire.toLowerCase(Locale.ROOT)) {
      case "fp32" -> Wire.FP32;
      case "bf16" -> Wire.BF16;
      default -> throw new IllegalArgumentException("--wire must be fp32 or bf16, got " + wire);
    };
    long chunkBytes = parseBytes(chunk, "--chunk");
    if (chunkBytes < 4096 || chunkBytes > (64 << 20)) {
      throw new IllegalArgumentException("--chunk must be in [4K, 64M], got " + chunk);
    }
    CommBench.Options o = new CommBench.Options(ranks, backends, bytes, w, seconds, (int) chunkBytes);
    if (!json) {
      out.printf("# sinter bench comm: %d ranks, %s, wire %s; TCP ranks are threads of this JVM over real loopback"
          + " sockets (tcp+shm: data through shared memory, the sockets only for setup and liveness)%n", ranks,
          String.join(" + ", backends), w.name().toLowerCase(Locale.ROOT));
      out.println("# time: slowest rank, best of 3 loops; algbw = bytes/time; busbw = algbw x 2(n-1)/n (all_reduce),"
          + " (n-1)/n (reduce_scatter, all_gather, all_to_all), 1 (broadcast); GB/s = 1e9 B/s");
      out.flush();
    }
    List<CommBench.Row> rows = new ArrayList<>();
    CommBench.run(o, r -> {
      rows.add(r);
      if (json) {
        out.println(r.json());
        out.flush();
      }
    });
    if (!json) {
      out.print(CommBench.table(rows));
      for (String v : CommBench.verdicts(rows)) {
        out.println(v);
      }
    }
    out.flush();
    return Main.OK;
  }

  /** "64M" → 67108864; plain numbers are bytes. */
  static long parseBytes(String s, String option) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    long mult = 1;
    if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
      mult = switch (t.charAt(t.length() - 1)) {
        case 'K' -> 1L << 10;
        case 'M' -> 1L << 20;
        default -> 1L << 30;
      };
      t = t.substring(0, t.length() - 1);
    }
    try {
      return Math.multiplyExact(Long.parseLong(t), mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(option + ": '" + s + "' is not a size (e.g. 4096, 64K, 16M)");
    }
  }
}
