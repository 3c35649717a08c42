// `sinter bench comm`: nccl-tests-style figures for every collective on both back ends, next to the
// two ceilings that bound them, measured in the same run: what one loopback TCP socket carries and
// what one thread can memcpy. The TCP back end is measured two ways: "tcp" keeps every byte on the
// sockets (shared memory off), "tcp+shm" is the same ranks with the same-host shared-memory data
// plane (the TCP connections then only carry setup and liveness).
//
// Conventions (those of nccl-tests, so figures compare): bytes is the size of the buffer the call
// works on (all-to-all: the bytes each rank sends in all); time is the mean time per call of the
// slowest rank over a timed loop, best of three loops (these shared 2-vCPU machines are noisy, and
// the ceilings are best-of-three too, so the ratios compare like with like); algbw = bytes / time;
// busbw = algbw × f with f = 2(n−1)/n for all-reduce, (n−1)/n for reduce-scatter, all-gather and
// all-to-all, and 1 for broadcast. GB/s are 10^9 bytes per second.
//
// A third reference row, tcp_stream_duplex, is the same socket carrying data both ways at once
// (bandwidth per direction). It is the real bound for a 2-rank all-reduce on one host: each rank
// must send and receive the whole buffer, so both directions are busy and, on a machine whose
// cores do all the copying, each gets about half the one-way stream. In general all-reduce busbw on
// a single host is at most the stream bandwidth / n over sockets. The shared-memory data plane is
// not bound by it: no kernel copies, one copy into the ring and one out per byte (the ring
// collectives' reader combines or unpacks straight out of the ring), so memcpy bounds it.
//
// TCP ranks are threads of this JVM, each with its own sockets, reader and sender threads and
// buffers, connected over real loopback sockets: every byte crosses the kernel's TCP stack exactly
// as between processes. Threads rather than processes keep the bench one command with no launcher;
// what they share that processes would not is the heap, the GC and the JIT.
package dev.sinter.comm.bench;

import dev.sinter.comm.Communicator;
import dev.sinter.comm.InProcessGroup;
import dev.sinter.comm.ReduceOp;
import dev.sinter.comm.RendezvousStore;
import dev.sinter.comm.TcpGroup;
import dev.sinter.comm.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/** Collective bandwidth of both back ends against the loopback-TCP and memcpy ceilings. */
public final class CommBench {
  /** The collectives measured, by their names in the output. */
  public static final List<String> OPS =
      List.of("all_reduce", "reduce_scatter", "all_gather", "broadcast", "all_to_all");
  /** The back ends, by their names in the output: in-process, TCP sockets only, TCP with shared memory. */
  public static final List<String> BACKENDS = List.of("inproc", "tcp", "tcp+shm");

  private CommBench() {}

  /** One line of the table (and one JSON object). Ceilings have op "tcp_stream" or "memcpy". */
  public record Row(String op, String backend, int ranks, long bytes, double us, double algbwGbps, double busbwGbps) {
    /** {"op","backend","ranks","bytes","us","algbw_gbps","busbw_gbps"} on one line. */
    public String json() {
      return String.format(Locale.ROOT, "{\"op\":\"%s\",\"backend\":\"%s\",\"ranks\":%d,\"bytes\":%d,\"us\":%.3f,"
          + "\"algbw_gbps\":%.4f,\"busbw_gbps\":%.4f}", op, backend, ranks, bytes, us, algbwGbps, busbwGbps);
    }
  }

  /**
   * What to measure.
   *
   * @param ranks          ranks per group (at least 2: a group of one moves nothing)
   * @param backends       any of "inproc", "tcp" (sockets only) and "tcp+shm" (same-host shared memory)
   * @param sizes          buffer sizes in bytes (multiples of 4)
   * @param wire           precision on the wire for the reducing collectives
   * @param secondsPerSize target time of the timed loop at each size
   * @param chunkBytes     TCP frame size
   */
  public record Options(int ranks, List<String> backends, long[] sizes, Wire wire, double secondsPerSize,
      int chunkBytes) {
    public Options {
      if (ranks < 2) {
        throw new IllegalArgumentException("--ranks must be at least 2, got " + ranks);
      }
      for (String b : backends) {
        if (!BACKENDS.contains(b)) {
          throw new IllegalArgumentException("--backend must be inproc, tcp, tcp+shm or all, got " + b);
        }
      }
      for (long s : sizes) {
        if (s < 4 || s % 4 != 0 || s > (1L << 31) - 4) {
          throw new IllegalArgumentException("--sizes: each size must be a multiple of 4 bytes in [4, 2 GiB), got " + s);
        }
      }
      if (!(secondsPerSize > 0)) {
        throw new IllegalArgumentException("seconds per size must be positive, got " + secondsPerSize);
      }
    }

    /** 2 ranks, every back end, 4 KiB to 64 MiB, fp32, 0.4 s per size, 1 MiB frames. */
    public static Options defaults() {
      return new Options(2, BACKENDS, new long[] {4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20},
          Wire.FP32, 0.4, 1 << 20);
    }
  }

  /**
   * Measures the ceilings, then every collective at every size on every back end; rows go to
   * {@code sink} as they come.
   */
  public static List<Row> run(Options o, Consumer<Row> sink) {
    List<Row> rows = new ArrayList<>();
    Consumer<Row> add = r -> {
      rows.add(r);
      sink.accept(r);
    };
    add.accept(tcpStream(o.secondsPerSize(), false));
    add.accept(tcpStream(o.secondsPerSize(), true));
    add.accept(memcpy(64 << 20, o.secondsPerSize()));
    for (String backend : o.backends()) {
      List<Communicator> cs = open(backend, o);
      try {
        // A pass over every collective first, so the first rows do not pay for the JIT: a small
        // message (the tree algorithms) and a large one (the chunked ring and the shared-memory
        // posted receives), long enough for C2 to compile the loops. With the small pass alone the
        // 64 MiB all-reduce over shared memory read 2.3–2.4 GB/s at 0.4 s per size and 3.1 at 2 s.
        Options warm = new Options(o.ranks(), o.backends(), o.sizes(), o.wire(), 0.02, o.chunkBytes());
        Options warmLarge = new Options(o.ranks(), o.backends(), o.sizes(), o.wire(), 0.3, o.chunkBytes());
        long largest = java.util.Arrays.stream(o.sizes()).max().orElse(0);
        for (String op : OPS) {
          point(cs, backend, op, 1 << 14, warm);
          if (largest > 4L << 20) {
            point(cs, backend, op, (int) (Math.min(largest, 16L << 20) / 4), warmLarge);
          }
        }
        for (String op : OPS) {
          for (long size : o.sizes()) {
            add.accept(point(cs, backend, op, (int) (size / 4), o));
          }
        }
      } finally {
        cs.forEach(Communicator::close);
      }
    }
    return rows;
  }

  private static List<Communicator> open(String backend, Options o) {
    int n = o.ranks();
    List<Communicator> cs = new ArrayList<>();
    if (backend.equals("inproc")) {
      InProcessGroup g = new InProcessGroup(n, 120_000);
      for (int r = 0; r < n; r++) {
        cs.add(g.rank(r));
      }
      return cs;
    }
    boolean shm = backend.equals("tcp+shm");
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    RendezvousStore store = RendezvousStore.start(0, secret);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<TcpGroup>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        TcpGroup.Context ctx = new TcpGroup.Context().rank(r).worldSize(n).storeAddress(store.address()).secret(secret)
            .chunkBytes(o.chunkBytes()).timeout(Duration.ofSeconds(120)).ownedStore(r == 0 ? store : null)
            .sharedMemory(shm);
        fs.add(pool.submit(() -> TcpGroup.connect(ctx)));
      }
      for (Future<TcpGroup> f : fs) {
        cs.add(f.get());
      }
      for (Communicator c : cs) {
        for (int q = 0; q < n && shm; q++) {
          String via = ((TcpGroup) c).dataPlane(q);
          if (q != c.rank() && !via.equals(TcpGroup.VIA_SHARED_MEMORY)) {
            throw new IllegalStateException("rank " + c.rank() + " reaches rank " + q + " over " + via);
          }
        }
      }
      return cs;
    } catch (Exception e) {
      cs.forEach(Communicator::close);
      store.close();
      throw new IllegalStateException("could not connect " + n + " TCP ranks over loopback: " + e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
  }

  /** nccl-tests' bus factor: how many times the buffer crosses each rank's link in the best algorithm. */
  public static double busFactor(String op, int n) {
    return switch (op) {
      case "all_reduce" -> 2.0 * (n - 1) / n;
      case "broadcast" -> 1.0;
      default -> (double) (n - 1) / n;
    };
  }

  private static Row point(List<Communicator> cs, String backend, String op, int count, Options o) {
    int n = cs.size();
    // The slowest rank's best loop: the loops start together (a barrier) so their rounds line up.
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Double>> fs = new ArrayList<>();
      for (Communicator c : cs) {
        fs.add(pool.submit(() -> timeOnRank(c, op, count, o)));
      }
      double worst = 0;
      for (Future<Double> f : fs) {
        worst = Math.max(worst, f.get());
      }
      long bytes = 4L * count;
      double algbw = bytes / worst / 1e9;
      return new Row(op, backend, n, bytes, worst * 1e6, algbw, algbw * busFactor(op, n));
    } catch (Exception e) {
      throw new IllegalStateException(op + " on " + backend + " failed: " + e.getMessage(), e);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Seconds per call on this rank: two calls to size the run, a count that rank 0 picks for all,
   * an untimed fifth of it, then three timed loops, of which the best counts.
   */
  private static double timeOnRank(Communicator c, String op, int count, Options o) {
    int n = c.size();
    float[] buf = new float[count];
    for (int i = 0; i < count; i++) {
      buf[i] = (c.rank() + 1) * 1e-3f;
    }
    int split = count / n;
    int[] counts = new int[n];
    java.util.Arrays.fill(counts, split);
    float[] recv = op.equals("all_to_all") ? new float[split * n] : null;
    Runnable call = switch (op) {
      case "all_reduce" -> () -> c.allReduce(buf, 0, count, ReduceOp.SUM, o.wire());
      case "reduce_scatter" -> () -> c.reduceScatter(buf, 0, count, ReduceOp.SUM, o.wire());
      case "all_gather" -> () -> c.allGather(buf, 0, count, o.wire());
      case "broadcast" -> () -> c.broadcast(buf, 0, count, 0);
      case "all_to_all" -> () -> c.allToAll(buf, 0, counts, recv, 0, counts);
      default -> throw new IllegalArgumentException("unknown op " + op);
    };
    long w0 = System.nanoTime();
    call.run();
    call.run();
    double warm = (System.nanoTime() - w0) / 2e9;
    float[] iters = {(float) Math.max(3, Math.min(10_000, Math.ceil(o.secondsPerSize() / Math.max(warm, 1e-7))))};
    c.broadcast(iters, 0, 1, 0);
    // A fifth of the run again untimed, so the JIT and the buffer pools have settled.
    for (int i = 0; i < (int) iters[0] / 5; i++) {
      call.run();
    }
    int perRound = Math.max(1, (int) iters[0] / 3);
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      c.barrier();
      long t0 = System.nanoTime();
      for (int i = 0; i < perRound; i++) {
        call.run();
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9 / perRound);
    }
    return best;
  }

  /**
   * The loopback TCP ceiling: one socket, a writer thread and a reader thread, 4 MiB writes from a
   * direct buffer, best of three runs of about {@code seconds} each. With {@code duplex}, the same
   * again in the other direction at the same time, reported per direction.
   */
  public static Row tcpStream(double seconds, boolean duplex) {
    int chunk = 4 << 20;
    double best = 0;
    long bestBytes = 0;
    double bestS = 0;
    try (ServerSocketChannel ss = ServerSocketChannel.open()) {
      ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel out = SocketChannel.open(ss.getLocalAddress()); SocketChannel in = ss.accept()) {
        long total = 256L << 20; // first run sizes the later ones
        for (int run = 0; run < 4; run++) {
          long bytes = total;
          long t0 = System.nanoTime();
          Thread reader = Thread.ofPlatform().start(() -> drain(in, bytes, chunk));
          Thread back = duplex ? Thread.ofPlatform().start(() -> pour(in, bytes, chunk)) : null;
          Thread backReader = duplex ? Thread.ofPlatform().start(() -> drain(out, bytes, chunk)) : null;
          pour(out, bytes, chunk);
          reader.join();
          if (duplex) {
            back.join();
            backReader.join();
          }
          double s = (System.nanoTime() - t0) / 1e9;
          if (run > 0 && bytes / s > best) {
            best = bytes / s;
            bestBytes = bytes;
            bestS = s;
          }
          total = Math.max(chunk, (long) (bytes / s * seconds) / chunk * chunk);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("loopback TCP stream: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new Row(duplex ? "tcp_stream_duplex" : "tcp_stream", "tcp", 2, bestBytes, bestS * 1e6, best / 1e9,
        best / 1e9);
  }

  private static void pour(SocketChannel out, long bytes, int chunk) {
    ByteBuffer b = ByteBuffer.allocateDirect(chunk);
    try {
      for (long left = bytes; left > 0; ) {
        b.clear().limit((int) Math.min(chunk, left));
        while (b.hasRemaining()) {
          left -= out.write(b);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void drain(SocketChannel in, long bytes, int chunk) {
    ByteBuffer b = ByteBuffer.allocateDirect(chunk);
    try {
      for (long left = bytes; left > 0; ) {
        b.clear().limit((int) Math.min(chunk, left));
        int k = in.read(b);
        if (k < 0) {
          throw new IOException("end of stream");
        }
        left -= k;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The memcpy ceiling: System.arraycopy of a buffer far larger than the caches, one thread. */
  public static Row memcpy(int bytes, double seconds) {
    float[] a = new float[bytes / 4];
    float[] b = new float[bytes / 4];
    java.util.Arrays.fill(a, 1f);
    double best = Double.MAX_VALUE;
    long t0 = System.nanoTime();
    int reps = 0;
    while (reps < 5 || (System.nanoTime() - t0) / 1e9 < seconds) {
      long s = System.nanoTime();
      System.arraycopy(a, 0, b, 0, a.length);
      best = Math.min(best, (System.nanoTime() - s) / 1e9);
      reps++;
    }
    return new Row("memcpy", "inproc", 1, bytes, best * 1e6, bytes / best / 1e9, bytes / best / 1e9);
  }

  /**
   * Runs the defaults and prints the table: {@code java -cp sinter-comm/target/classes
   * dev.sinter.comm.bench.CommBench [ranks] [backend] [sizes,...] [chunkBytes]}.
   */
  public static void main(String[] args) {
    Options d = Options.defaults();
    int ranks = args.length > 0 ? Integer.parseInt(args[0]) : d.ranks();
    List<String> backends = args.length > 1 && !args[1].equals("all") ? List.of(args[1].split(",")) : d.backends();
    long[] sizes = args.length > 2
        ? java.util.Arrays.stream(args[2].split(",")).mapToLong(Long::parseLong).toArray() : d.sizes();
    int chunk = args.length > 3 ? Integer.parseInt(args[3]) : d.chunkBytes();
    List<Row> rows = run(new Options(ranks, backends, sizes, d.wire(), d.secondsPerSize(), chunk), r -> {});
    System.out.print(table(rows));
    verdicts(rows).forEach(System.out::println);
  }

  /** The nccl-tests-style table. */
  public static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-17s %-7s %5s %12s %12s %12s %12s%n", "op", "backend", "ranks", "bytes",
        "time(us)", "algbw(GB/s)", "busbw(GB/s)"));
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "%-17s %-7s %5d %12d %12.1f %12.3f %12.3f%n", r.op(), r.backend(),
          r.ranks(), r.bytes(), r.us(), r.algbwGbps(), r.busbwGbps()));
    }
    return sb.toString();
  }

  /**
   * The targets of the issue, judged on these rows: TCP all-reduce busbw at ≥ 64 MiB against 80 % of
   * the loopback stream, in-process all-reduce busbw against 25 % of memcpy. One line each.
   */
  public static List<String> verdicts(List<Row> rows) {
    List<String> out = new ArrayList<>();
    Row stream = find(rows, "tcp_stream", "tcp", 0);
    Row duplex = find(rows, "tcp_stream_duplex", "tcp", 0);
    Row copy = find(rows, "memcpy", "inproc", 0);
    Row tcp = find(rows, "all_reduce", "tcp", 64L << 20);
    verdict(out, tcp, stream, 0.80);
    if (tcp != null && stream != null && duplex != null) {
      double bound = stream.busbwGbps() / tcp.ranks();
      out.add(String.format(Locale.ROOT, "  on one host every rank sends and receives at once through the same cores,"
          + " so busbw <= tcp_stream / ranks = %.3f GB/s; this is %.0f%% of that (tcp_stream_duplex measured %.3f GB/s"
          + " per direction)", bound, 100 * tcp.busbwGbps() / bound, duplex.busbwGbps()));
    }
    verdict(out, find(rows, "all_reduce", "tcp+shm", 64L << 20), stream, 0.80);
    verdict(out, find(rows, "all_reduce", "inproc", 64L << 20), copy, 0.25);
    return out;
  }

  private static void verdict(List<String> out, Row ar, Row ceiling, double target) {
    if (ar == null || ceiling == null) {
      return;
    }
    double frac = ar.busbwGbps() / ceiling.busbwGbps();
    out.add(String.format(Locale.ROOT, "%s all_reduce busbw at %d MiB: %.3f GB/s = %.0f%% of %s %.3f GB/s (target"
        + " %.0f%%): %s", ar.backend(), ar.bytes() >> 20, ar.busbwGbps(), 100 * frac, ceiling.op(),
        ceiling.busbwGbps(), 100 * target, frac >= target ? "met" : "NOT met"));
  }

  /** The largest row of {@code op} on {@code backend} with at least {@code minBytes}, or null. */
  private static Row find(List<Row> rows, String op, String backend, long minBytes) {
    Row best = null;
    for (Row r : rows) {
      if (r.op().equals(op) && r.backend().equals(backend) && r.bytes() >= minBytes
          && (best == null || r.bytes() > best.bytes())) {
        best = r;
      }
    }
    return best;
  }
}
