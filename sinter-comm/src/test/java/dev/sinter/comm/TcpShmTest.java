// The same-host shared-memory data plane as TcpGroup uses it: ranks of one host find each other and
// say so once in the log; the channel's file is gone from the directory as soon as both sides have
// mapped it; a rank with shared memory off keeps its pairs on TCP while the others share memory,
// and every collective still agrees; frames several times bigger than the ring pass intact; and
// two sides whose host identities differ stay on TCP without creating anything.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpShmTest {
  static final long SEED = CommunicatorContractTest.SEED;

  @TempDir
  Path dir;

  @Test
  void ranksOfOneHostShareMemorySayItOnceAndLeaveNothingBehind() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture = Ranks.collecting(logged);
    Logger log = Logger.getLogger("dev.sinter.comm");
    log.addHandler(capture);
    List<Communicator> cs;
    try {
      cs = Ranks.tcp(3, ctx -> {});
    } finally {
      log.removeHandler(capture);
    }
    List<String> names = new java.util.ArrayList<>();
    try {
      for (Communicator c : cs) {
        TcpGroup g = (TcpGroup) c;
        for (int q = 0; q < 3; q++) {
          if (q != c.rank()) {
            assertEquals(TcpGroup.VIA_SHARED_MEMORY, g.dataPlane(q), "rank " + c.rank() + " to " + q);
            Path f = g.shmFileForTest(q);
            assertNotNull(f);
            assertTrue(f.getFileName().toString().matches("sinter-shm-[0-9a-f]{32}"), f.toString());
            assertFalse(Files.exists(f), f + " must be unlinked once both sides have mapped it");
            names.add(f.getFileName().toString());
          }
        }
        long lines = logged.stream().filter(m -> m.startsWith("rank " + c.rank() + " data plane: ")).count();
        assertEquals(1, lines, "one data-plane line per rank: " + logged);
      }
      assertTrue(logged.contains("rank 0 data plane: shared memory with ranks [1, 2]"), logged.toString());
      List<Float> sums = Ranks.run(cs, "3 ranks over shared memory", 30, c -> {
        float[] x = {c.rank() + 1};
        c.allReduce(x, 0, 1, ReduceOp.SUM);
        return x[0];
      });
      assertEquals(List.of(6f, 6f, 6f), sums);
      assertTrue(mapped(names), "mapped while the group is open: " + names);
    } finally {
      Ranks.closeAll(cs);
    }
    // Closing unmaps each channel once its threads have left it (they notice within a millisecond).
    for (int i = 0; i < 100 && mapped(names); i++) {
      Thread.sleep(20);
    }
    assertFalse(mapped(names), "still mapped after close: " + names);
  }

  /** Whether any of the named channel files is still mapped into this process. */
  private static boolean mapped(List<String> names) throws java.io.IOException {
    String maps = Files.readString(Path.of("/proc/self/maps"));
    return names.stream().anyMatch(maps::contains);
  }

  /** Rank 1 keeps to TCP: its pairs go over sockets, 0 and 2 share memory, and the contract holds. */
  @Test
  void aRankWithSharedMemoryOffKeepsItsPairsOnTcpAndEveryCollectiveAgrees() {
    List<Communicator> cs = Ranks.tcp(3, ctx -> Ranks.smallChunks(ctx.sharedMemory(ctx.rank() != 1)
        .shmRingBytes(64 << 10)));
    try {
      TcpGroup g0 = (TcpGroup) cs.get(0);
      TcpGroup g1 = (TcpGroup) cs.get(1);
      assertEquals(TcpGroup.VIA_SHARED_MEMORY, g0.dataPlane(2));
      assertEquals("TCP (no shared memory on rank 1)", g0.dataPlane(1));
      assertEquals("TCP (shared memory off on this rank)", g1.dataPlane(0));
      String label = "seed " + SEED + ", mixed shared memory and TCP x3";
      List<List<Long>> digests = Ranks.run(cs, label, 120,
          c -> new CommunicatorContractTest.Checks(c, SEED, label).all());
      assertEquals(digests.get(0), digests.get(1), label);
      assertEquals(digests.get(0), digests.get(2), label);
    } finally {
      Ranks.closeAll(cs);
    }
  }

  /**
   * A 64 KiB ring and 1 MiB frames: every full frame is streamed through in pieces. Inputs are small
   * multiples of 2^-12, so the sums are exact and every element can be checked.
   */
  @Test
  void framesMuchBiggerThanTheRingPassIntact() {
    int n = 3;
    int len = 1_500_001; // 6 MB: several 1 MiB frames per shard, and a ragged tail
    List<Communicator> cs = Ranks.tcp(n, ctx -> ctx.chunkBytes(1 << 20).shmRingBytes(64 << 10));
    String label = "seed " + SEED + ", 64 KiB rings, 1 MiB frames";
    try {
      assertEquals(TcpGroup.VIA_SHARED_MEMORY, ((TcpGroup) cs.get(0)).dataPlane(1));
      Ranks.run(cs, label, 120, c -> {
        int r = c.rank();
        float[] x = input(r, len);
        c.allReduce(x, 0, len, ReduceOp.SUM);
        float[][] all = Stream.iterate(0, q -> q + 1).limit(n).map(q -> input(q, len)).toArray(float[][]::new);
        for (int i = 0; i < len; i++) {
          float want = all[0][i] + all[1][i] + all[2][i];
          if (x[i] != want) {
            throw new AssertionError(label + ": all_reduce element " + i + " on rank " + r + " is " + x[i] + ", not "
                + want);
          }
        }
        float[] b = r == 2 ? input(2, len) : new float[len];
        c.broadcast(b, 0, len, 2);
        assertTrue(java.util.Arrays.equals(b, all[2]), label + ": broadcast on rank " + r);
        c.send(all[r], 0, len, (r + 1) % n);
        float[] got = new float[len];
        c.recv(got, 0, len, (r + n - 1) % n);
        assertTrue(java.util.Arrays.equals(got, all[(r + n - 1) % n]), label + ": recv on rank " + r);
        return null;
      });
    } finally {
      Ranks.closeAll(cs);
    }
  }

  private static float[] input(int q, int len) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(SEED * 7 + q);
    float[] x = new float[len];
    for (int i = 0; i < len; i++) {
      x[i] = (rng.nextInt(1 << 16) - (1 << 15)) / 4096f;
    }
    return x;
  }

  @Test
  void sidesWithDifferentHostIdentitiesStayOnTcpAndCreateNothing() throws Exception {
    BufferPool pool = new BufferPool(4096);
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    ShmSetup.Result[] other = negotiate(ShmSetup.of("host-a", dir, uid, 1 << 16, pool),
        ShmSetup.of("host-b", dir, uid, 1 << 16, pool));
    for (ShmSetup.Result r : other) {
      assertNull(r.channel());
      assertEquals("TCP (other host)", r.via());
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(0, files.count(), "nothing may be created for another host");
    }
    ShmSetup.Result[] same = negotiate(ShmSetup.of("host-a", dir, uid, 1 << 16, pool),
        ShmSetup.of("host-a", dir, uid, 1 << 16, pool));
    try {
      for (ShmSetup.Result r : same) {
        assertNotNull(r.channel(), r.via());
        assertEquals(ShmSetup.VIA_SHM, r.via());
      }
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(0, files.count(), "the file is unlinked once both sides have mapped it");
      }
    } finally {
      for (ShmSetup.Result r : same) {
        if (r.channel() != null) {
          r.channel().close();
        }
      }
    }
  }

  /** Runs the setup over a real loopback connection: {@code acceptor} on one end, {@code connector} on the other. */
  private static ShmSetup.Result[] negotiate(ShmSetup acceptor, ShmSetup connector) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ServerSocketChannel ss = ServerSocketChannel.open()) {
      ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      try (SocketChannel c = SocketChannel.open(ss.getLocalAddress()); SocketChannel a = ss.accept()) {
        a.socket().setSoTimeout(10_000);
        c.socket().setSoTimeout(10_000);
        Future<ShmSetup.Result> acc = pool.submit(() -> acceptor.asAcceptor(a, 1));
        ShmSetup.Result con = connector.asConnector(c, 0);
        return new ShmSetup.Result[] {acc.get(10, TimeUnit.SECONDS), con};
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
