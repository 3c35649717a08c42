// Posted receives on the shared-memory data plane (PostedRing, PostedRecv): the reader thread
// applies ring reduce-scatter and all-gather frames straight from the ring into the caller's array.
// Checked here: the bits are those of the copy path (every rank's whole result against the same
// ranks over TCP, for every ReduceOp, both wires, inputs with NaN, infinities, signed zeros and
// values whose sums round), with messages many times bigger than the ring, frames that land in
// place and frames too big for it (streamed, applied from a copy), and a rank that comes late to
// every call (its peers' frames wait in its inbox, and post() applies them); that a caller that
// leaves a collective with an exception is never written to again by its reader, whether it gave up
// itself or a peer was killed with receives still posted; and that a peer out of step still fails
// both ranks by name.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PostedRecvTest {
  static final long SEED = CommunicatorContractTest.SEED;

  /**
   * Every rank's result bits over shared memory equal those over TCP (the copy path, unchanged).
   * {@code chunk} and {@code ring} in bytes; {@code late} makes the last rank come 30 ms late to
   * every collective.
   */
  @ParameterizedTest(name = "{0} ranks, {1} B frames, {2} B rings, late rank {3}")
  @CsvSource({
      "2, 16384, 65536, false", // frames land in place; each message ~100 rings
      "3, 16384, 65536, true", // the late rank applies early frames in post()
      "4, 65536, 1048576, false",
      "3, 1048576, 65536, false", // frames bigger than half the ring: streamed, applied from copies
  })
  void ringCollectivesOverSharedMemoryGiveTheBitsOfTheCopyPath(int n, int chunk, int ring, boolean late) {
    int len = 1_600_003; // 6.4 MB fp32: 6 to 100 rings per message, ragged shards
    String label = "seed " + SEED + ", " + n + " ranks, " + chunk + " B frames, " + ring + " B rings, late " + late;
    Consumer<TcpGroup.Context> common = ctx -> ctx.chunkBytes(chunk).shmRingBytes(ring).timeout(Duration.ofSeconds(60));
    List<List<Long>> tcp = results(n, len, late, label, ctx -> common.accept(ctx.sharedMemory(false)));
    List<Communicator> cs = Ranks.tcp(n, ctx -> common.accept(ctx.sharedMemory(true)));
    List<List<Long>> shm;
    long landed = 0;
    try {
      shm = Ranks.run(cs, label, 240, c -> body(c, len, late));
      for (Communicator c : cs) {
        landed += ((TcpGroup) c).framesLandedInPlaceForTest();
      }
    } finally {
      Ranks.closeAll(cs);
    }
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < tcp.get(r).size(); i++) {
        assertEquals(tcp.get(r).get(i), shm.get(r).get(i), label + ": rank " + r + ", result " + i + " ("
            + NAMES.get(i) + ") differs from the copy path");
      }
    }
    for (int i = 0; i < tcp.get(0).size(); i++) {
      if (!NAMES.get(i).startsWith("reduce_scatter")) {
        for (int r = 1; r < n; r++) {
          assertEquals(shm.get(0).get(i), shm.get(r).get(i), label + ": " + NAMES.get(i) + " on rank " + r);
        }
      }
    }
    // With frames bigger than half the ring only the shards' short last frames land in place.
    assertTrue(landed > 0, label + ": no frame landed in place");
  }

  /** What {@link #body} returns, in order. */
  static final List<String> NAMES = names();

  private static List<String> names() {
    List<String> names = new ArrayList<>();
    for (Wire w : Wire.values()) {
      for (ReduceOp op : ReduceOp.values()) {
        names.add("all_reduce " + op + " " + w);
        names.add("reduce_scatter " + op + " " + w + " (own shard)");
      }
      names.add("all_gather " + w);
    }
    return names;
  }

  private static List<List<Long>> results(int n, int len, boolean late, String label,
      Consumer<TcpGroup.Context> tweak) {
    List<Communicator> cs = Ranks.tcp(n, tweak);
    try {
      return Ranks.run(cs, label + " (tcp)", 240, c -> body(c, len, late));
    } finally {
      Ranks.closeAll(cs);
    }
  }

  /** A hash of the raw bits of every result (NaN payloads and signed zeros included), in NAMES order. */
  private static List<Long> body(Communicator c, int len, boolean late) throws Exception {
    int n = c.size();
    int r = c.rank();
    List<Long> out = new ArrayList<>();
    int k = 0;
    for (Wire w : Wire.values()) {
      for (ReduceOp op : ReduceOp.values()) {
        float[] x = input(r, len, ++k);
        pause(c, late);
        c.allReduce(x, 0, len, op, w);
        out.add(bits(x, 0, len));
        float[] y = input(r, len, ++k);
        pause(c, late);
        c.reduceScatter(y, 0, len, op, w);
        out.add(bits(y, Shards.start(len, n, r), Shards.end(len, n, r)));
      }
      float[] g = new float[len];
      Arrays.fill(g, Float.NaN);
      float[] mine = input(r, len, ++k);
      System.arraycopy(mine, Shards.start(len, n, r), g, Shards.start(len, n, r), Shards.length(len, n, r));
      pause(c, late);
      c.allGather(g, 0, len, w);
      out.add(bits(g, 0, len));
    }
    return out;
  }

  private static long bits(float[] x, int from, int to) {
    long h = 1;
    for (int i = from; i < to; i++) {
      h = h * 1_000_003L + Float.floatToRawIntBits(x[i]);
    }
    return h;
  }

  private static void pause(Communicator c, boolean late) throws InterruptedException {
    if (late && c.rank() == c.size() - 1) {
      Thread.sleep(30);
    }
  }

  /** Gaussian values whose sums round, with a few NaNs, infinities, signed zeros and subnormals. */
  static float[] input(int q, int len, int k) {
    SplittableRandom rng = new SplittableRandom(SEED * 1_000_003L + k * 31L + q);
    float[] x = new float[len];
    float[] odd = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, -1e-40f};
    for (int i = 0; i < len; i++) {
      x[i] = rng.nextInt(10_000) == 0 ? odd[rng.nextInt(odd.length)] : (float) (rng.nextGaussian() * 100);
    }
    return x;
  }

  /**
   * Ranks that disagree on a ring collective's length: the reader finds a frame bigger than the plan
   * allows, and both ranks fail naming the other's frame, as on the copy path, instead of hanging.
   */
  @Test
  void ranksThatDisagreeOnTheLengthOfARingCollectiveFailInsteadOfHanging() {
    List<Communicator> cs = Ranks.tcp(2, ctx -> ctx.timeout(Duration.ofSeconds(20)));
    try {
      List<Throwable> errors = Ranks.failures(cs, 30, c -> {
        float[] x = new float[300_000];
        c.allReduce(x, 0, c.rank() == 0 ? 100_000 : 300_000, ReduceOp.SUM);
        return null;
      });
      for (int r = 0; r < 2; r++) {
        assertInstanceOf(CommException.class, errors.get(r), "rank " + r);
        assertTrue(errors.get(r).getMessage().contains("rank 1 (127.0.0.1:") && errors.get(r).getMessage()
            .contains("do all ranks pass the same length"), errors.get(r).getMessage());
      }
    } finally {
      Ranks.closeAll(cs);
    }
  }

  /**
   * A caller that gives up (here: interrupted) with its receive posted, while its peer, which knows
   * nothing of it, goes on sending it the whole shard: not one element of its array may change after
   * it has returned.
   */
  @Test
  void aCallerThatGivesUpIsNeverWrittenToAgain() throws Exception {
    int len = 4 << 20; // 16 MiB: each shard 128 rings
    List<Communicator> cs = Ranks.tcp(2, ctx -> ctx.chunkBytes(16 << 10).shmRingBytes(64 << 10)
        .timeout(Duration.ofMillis(1500)));
    Thread[] rank0 = new Thread[1];
    long[] landedBefore = new long[1];
    try {
      Thread interrupter = Thread.ofPlatform().start(() -> {
        try {
          Thread.sleep(150);
        } catch (InterruptedException e) {
          return;
        }
        rank0[0].interrupt();
      });
      List<Throwable> errors = Ranks.failures(cs, 30, c -> {
        float[] x = input(c.rank(), len, 1);
        if (c.rank() == 1) {
          Thread.sleep(400); // comes after rank 0 has given up, and sends it its shard
          c.allReduce(x, 0, len, ReduceOp.SUM);
          return null;
        }
        rank0[0] = Thread.currentThread();
        try {
          c.allReduce(x, 0, len, ReduceOp.SUM);
        } catch (CommException e) {
          Thread.interrupted();
          landedBefore[0] = ((TcpGroup) c).framesLandedInPlaceForTest();
          float[] left = x.clone();
          Thread.sleep(1200); // rank 1 sends its whole shard meanwhile, then waits for rank 0
          assertTrue(Arrays.equals(left, x), "rank 0's array changed after all_reduce threw");
          throw e;
        }
        return null;
      });
      interrupter.join();
      if (errors.get(0) instanceof AssertionError a) {
        throw a;
      }
      assertInstanceOf(CommException.class, errors.get(0));
      assertTrue(errors.get(0).getMessage().contains("interrupted during all_reduce"), errors.get(0).getMessage());
      // Rank 1 times out waiting for rank 0's reduced shard: its frames had all gone out.
      assertInstanceOf(CommException.class, errors.get(1));
      assertTrue(errors.get(1).getMessage().contains("timed out"), errors.get(1).getMessage());
      assertEquals(landedBefore[0], ((TcpGroup) cs.get(0)).framesLandedInPlaceForTest(),
          "no frame may land in place after the receive was withdrawn");
    } finally {
      Ranks.closeAll(cs);
    }
  }

  /**
   * A rank killed in the middle of all-reduces (bf16 AVG and fp32 SUM in turn) over shared memory:
   * every other rank fails naming it, and no rank's array (the victim's included) changes after its
   * call has thrown, though its previous rank may still be sending when it learns of the death.
   */
  @Test
  void aRankKilledWithReceivesPostedFailsEveryOtherAndWritesNothingAfter() throws Exception {
    SplittableRandom rng = new SplittableRandom(SEED + 5);
    int n = 4;
    int victim = rng.nextInt(n);
    long delayMs = 150 + rng.nextInt(300);
    String label = "seed " + SEED + ": victim rank " + victim + " after " + delayMs + " ms";
    List<Communicator> cs = Ranks.tcp(n, ctx -> ctx.timeout(Duration.ofSeconds(30)).chunkBytes(64 << 10)
        .shmRingBytes(1 << 20));
    try {
      Thread killer = Thread.ofPlatform().start(() -> {
        try {
          Thread.sleep(delayMs);
        } catch (InterruptedException e) {
          return;
        }
        ((TcpGroup) cs.get(victim)).crashForTest();
      });
      List<Throwable> errors = Ranks.failures(cs, 30, c -> {
        float[] buf = input(c.rank(), 1 << 21, 2);
        try {
          for (int i = 0; ; i++) {
            boolean even = i % 2 == 0;
            c.allReduce(buf, 0, buf.length, even ? ReduceOp.AVG : ReduceOp.SUM, even ? Wire.BF16 : Wire.FP32);
          }
        } catch (CommException e) {
          float[] left = buf.clone();
          Thread.sleep(300);
          if (!Arrays.equals(left, buf)) {
            throw new AssertionError(label + ": rank " + c.rank() + "'s array changed after all_reduce threw", e);
          }
          throw e;
        }
      });
      killer.join();
      for (int r = 0; r < n; r++) {
        if (errors.get(r) instanceof AssertionError a) {
          throw a;
        }
        if (r != victim) {
          Throwable e = errors.get(r);
          assertInstanceOf(CommException.class, e, label + ": rank " + r + ": " + e);
          String m = e.getMessage();
          assertTrue(m.contains("rank " + victim + " (127.0.0.1:") && m.contains("all_reduce"),
              label + ": rank " + r + " said: " + m);
        }
      }
    } finally {
      Ranks.closeAll(cs);
    }
  }
}
