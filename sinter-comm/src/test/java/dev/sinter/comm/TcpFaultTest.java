// Faults on the TCP back end, injected from a seed (which rank, and when): a rank killed in the
// middle of a collective, a rank that falls silent, a stranger without the job's secret knocking on
// a data port, and a rank started with the wrong secret. In every case each surviving rank must get
// a CommException that names the culprit and the operation, within seconds, never a hang; and a
// rejected stranger must leave the job running. The faults between ranks run twice: with every byte
// on TCP, and with the same-host shared-memory data plane (where the TCP connection is left only to
// tell that a peer died), and must look the same either way.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TcpFaultTest {
  static final long SEED = Long.getLong("sinter.seed", 20_250_611L);

  @ParameterizedTest(name = "shared memory {0}")
  @ValueSource(booleans = {false, true})
  void aRankKilledMidCollectiveFailsEveryOtherRankNamingItWithinSeconds(boolean shm) throws Exception {
    SplittableRandom rng = new SplittableRandom(SEED);
    int n = 4;
    int victim = rng.nextInt(n);
    long delayMs = 100 + rng.nextInt(300);
    String label = "seed " + SEED + ", shared memory " + shm + ": victim rank " + victim + " after " + delayMs + " ms";
    // A long timeout: detection must come from the dead connection, not from waiting it out.
    List<Communicator> cs = Ranks.tcp(n, ctx -> ctx.timeout(Duration.ofSeconds(30)).chunkBytes(64 << 10)
        .sharedMemory(shm));
    long[] failedAt = new long[n];
    long[] crashAt = new long[1];
    Thread killer = Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        return;
      }
      crashAt[0] = System.nanoTime();
      ((TcpGroup) cs.get(victim)).crashForTest();
    });
    List<Throwable> errors = Ranks.failures(cs, 30, c -> {
      float[] buf = new float[1 << 20];
      try {
        while (true) {
          c.allReduce(buf, 0, buf.length, ReduceOp.SUM);
        }
      } finally {
        failedAt[c.rank()] = System.nanoTime();
      }
    });
    killer.join();
    java.util.Set<String> named = new java.util.HashSet<>();
    for (int r = 0; r < n; r++) {
      if (r == victim) {
        continue;
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("rank " + victim + " \\([^)]*\\)")
          .matcher(String.valueOf(errors.get(r).getMessage()));
      named.add(m.find() ? m.group() : "nothing");
      Throwable e = errors.get(r);
      assertInstanceOf(CommException.class, e, label + ": rank " + r);
      assertTrue(e.getMessage().contains("rank " + victim + " (127.0.0.1:") && e.getMessage().contains("all_reduce"),
          label + ": rank " + r + " said: " + e.getMessage());
      double s = (failedAt[r] - crashAt[0]) / 1e9;
      assertTrue(s < 5, label + ": rank " + r + " took " + s + " s to notice");
    }
    assertEquals(1, named.size(), label + ": every rank names the victim by the same address: " + named);
    Ranks.closeAll(cs);
  }

  @ParameterizedTest(name = "shared memory {0}")
  @ValueSource(booleans = {false, true})
  void aSilentRankTimesOutOnEveryOtherRankNamingIt(boolean shm) {
    SplittableRandom rng = new SplittableRandom(SEED + 1);
    int n = 3;
    int silent = rng.nextInt(n);
    String label = "seed " + SEED + ", shared memory " + shm + ": silent rank " + silent;
    List<Communicator> cs = Ranks.tcp(n, ctx -> ctx.timeout(Duration.ofMillis(1000)).chunkBytes(4096)
        .sharedMemory(shm));
    long t0 = System.nanoTime();
    List<Throwable> errors = Ranks.failures(cs, 20, c -> {
      if (c.rank() == silent) {
        Thread.sleep(2500); // busy elsewhere: never joins this all-reduce
        return null;
      }
      float[] buf = new float[50_000]; // the ring path, several chunks
      c.allReduce(buf, 0, buf.length, ReduceOp.SUM);
      return null;
    });
    double s = (System.nanoTime() - t0) / 1e9;
    for (int r = 0; r < n; r++) {
      if (r == silent) {
        assertNull(errors.get(r));
        continue;
      }
      Throwable e = errors.get(r);
      assertInstanceOf(CommException.class, e, label + ": rank " + r);
      assertTrue(e.getMessage().contains("timed out after 1000 ms waiting for rank " + silent + " (127.0.0.1:")
          && e.getMessage().contains("all_reduce"), label + ": rank " + r + " said: " + e.getMessage());
    }
    assertTrue(s < 6, label + ": took " + s + " s");
    // The silent rank learns of the failure at its next operation instead of hanging.
    CommException late = assertThrows(CommException.class, () -> cs.get(silent).barrier());
    assertTrue(late.getMessage().contains("rank " + silent), late.getMessage());
    Ranks.closeAll(cs);
  }

  @Test
  void aStrangerWithoutTheSecretIsDroppedAndLoggedAndTheJobCarriesOn() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture = Ranks.collecting(logged);
    Logger log = Logger.getLogger("dev.sinter.comm");
    log.addHandler(capture);
    RendezvousStore store = RendezvousStore.start(0, Ranks.SECRET);
    try (StoreClient sc = StoreClient.connect(store.address(), Ranks.SECRET, Duration.ofSeconds(10))) {
      List<Communicator> cs = Ranks.tcp(2, store, ctx -> {});
      String addr = new String(sc.get("sinter/rank/1/addr"), StandardCharsets.UTF_8);
      int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
      byte[] wrong = "not-the-secret-of-this-job-000000".getBytes(StandardCharsets.UTF_8);
      try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
        IOException e = assertThrows(IOException.class, () -> Handshake.join(ch.socket().getInputStream(),
            ch.socket().getOutputStream(), wrong,
            "sinter-data-v1|sinter/|2|0|127.0.0.1:1".getBytes(StandardCharsets.UTF_8)));
        assertInstanceOf(Handshake.Refused.class, e);
      }
      // Even with the right secret, no one joins a complete mesh under an existing rank's name.
      try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
        Handshake.join(ch.socket().getInputStream(), ch.socket().getOutputStream(), Ranks.SECRET,
            "sinter-data-v1|sinter/|2|0|127.0.0.1:1".getBytes(StandardCharsets.UTF_8));
        ch.socket().setSoTimeout(5000);
        assertEquals(-1, ch.socket().getInputStream().read(), "the rank must hang up on a duplicate");
      }
      for (int i = 0; i < 100 && logged.stream().filter(m -> m.contains("data plane dropped connection")).count() < 2;
           i++) {
        Thread.sleep(20);
      }
      assertTrue(logged.stream().anyMatch(m -> m.startsWith("rank 1: data plane dropped connection from 127.0.0.1:")
          && m.contains("does not know this job's secret")), logged.toString());
      assertTrue(logged.stream().anyMatch(m -> m.contains("not a higher rank of this job")), logged.toString());
      List<Float> sums = Ranks.run(cs, "after the stranger", 20, c -> {
        float[] x = {c.rank() + 1};
        c.allReduce(x, 0, 1, ReduceOp.SUM);
        return x[0];
      });
      assertEquals(List.of(3f, 3f), sums);
      Ranks.closeAll(cs);
    } finally {
      store.close();
      log.removeHandler(capture);
    }
  }

  /**
   * Seeded corruption: random bytes where a frame header should be (a wrong magic, or a length
   * far beyond the cap, which must be refused before anything is allocated). The receiver names the
   * sender and aborts the job; every rank's next operation fails with that, instead of hanging or
   * reading garbage as data.
   */
  @ParameterizedTest(name = "shared memory {0}")
  @ValueSource(booleans = {false, true})
  void aCorruptedStreamFailsEveryRankNamingTheSender(boolean shm) {
    SplittableRandom rng = new SplittableRandom(SEED + 2);
    int n = 3;
    int from = rng.nextInt(n);
    int to = (from + 1 + rng.nextInt(n - 1)) % n;
    byte[] junk = new byte[TcpTransport.HEADER_BYTES];
    rng.nextBytes(junk);
    String label = "seed " + SEED + ", shared memory " + shm + ": junk from rank " + from + " to rank " + to;
    List<Communicator> cs = Ranks.tcp(n, ctx -> ctx.timeout(Duration.ofSeconds(20)).sharedMemory(shm));
    ((TcpGroup) cs.get(from)).injectForTest(to, junk);
    long t0 = System.nanoTime();
    List<Throwable> errors = Ranks.failures(cs, 30, c -> {
      for (int i = 0; i < 1000; i++) {
        float[] x = new float[1000];
        c.allReduce(x, 0, x.length, ReduceOp.SUM);
      }
      return null;
    });
    for (int r = 0; r < n; r++) {
      Throwable e = errors.get(r);
      assertInstanceOf(CommException.class, e, label + ": rank " + r);
      assertTrue(e.getMessage().contains("rank " + from + " (127.0.0.1:") && e.getMessage().contains("malformed frame"),
          label + ": rank " + r + " said: " + e.getMessage());
    }
    assertTrue(System.nanoTime() - t0 < 10e9, label);
    Ranks.closeAll(cs);
  }

  /** Ranks that disagree on a collective's length: an error on both, naming the peer, not a hang. */
  @ParameterizedTest(name = "shared memory {0}")
  @ValueSource(booleans = {false, true})
  void ranksThatDisagreeOnTheLengthFailInsteadOfHanging(boolean shm) {
    List<Communicator> cs = Ranks.tcp(2, ctx -> ctx.timeout(Duration.ofSeconds(20)).sharedMemory(shm));
    List<Throwable> errors = Ranks.failures(cs, 30, c -> {
      float[] x = new float[300];
      c.allReduce(x, 0, c.rank() == 0 ? 100 : 300, ReduceOp.SUM);
      return null;
    });
    for (int r = 0; r < 2; r++) {
      assertInstanceOf(CommException.class, errors.get(r), "rank " + r);
      assertTrue(errors.get(r).getMessage().contains("do all ranks pass the same length"), errors.get(r).getMessage());
    }
    Ranks.closeAll(cs);
  }

  @Test
  void aRankWithTheWrongSecretCannotJoin() {
    RendezvousStore store = RendezvousStore.start(0, Ranks.SECRET);
    try {
      byte[] wrong = "not-the-secret-of-this-job-000000".getBytes(StandardCharsets.UTF_8);
      CommException e = assertThrows(CommException.class, () -> TcpGroup.connect(new TcpGroup.Context().rank(1)
          .worldSize(2).storeAddress(store.address()).secret(wrong).timeout(Duration.ofSeconds(5))));
      assertTrue(e.getMessage().contains("refused this job's secret"), e.getMessage());
    } finally {
      store.close();
    }
  }

  @ParameterizedTest(name = "shared memory {0}")
  @ValueSource(booleans = {false, true})
  void aPeerThatClosesPolitelyIsReportedAsHavingLeft(boolean shm) {
    List<Communicator> cs = Ranks.tcp(2, ctx -> ctx.timeout(Duration.ofSeconds(20)).sharedMemory(shm));
    cs.get(1).close();
    long t0 = System.nanoTime();
    CommException e = assertThrows(CommException.class, () -> cs.get(0).allReduce(new float[10], 0, 10, ReduceOp.SUM));
    assertTrue(e.getMessage().contains("rank 1 (127.0.0.1:") && e.getMessage().contains("left")
        && e.getMessage().contains("all_reduce"), e.getMessage());
    assertTrue(System.nanoTime() - t0 < 5e9);
    cs.get(0).close();
  }
}
