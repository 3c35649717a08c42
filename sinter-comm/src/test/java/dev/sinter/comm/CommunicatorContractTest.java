// The Communicator contract, checked the same way on both back ends and for 1 to 5 ranks (TCP both
// with every byte on sockets and with the same-host shared-memory data plane, whose small rings here
// wrap and pad often): every collective against a reference each rank computes locally (it can
// regenerate every rank's input from the seed), every ReduceOp, both wire precisions, awkward sizes
// (0, 1, 7, not divisible by the rank count, large enough for the ring with several chunks), guard
// cells around the range, sub-groups, variable all-to-all splits and point-to-point, and identical
// bits on every rank.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommunicatorContractTest {
  /** Fixed so that a failure reproduces; override with -Dsinter.seed=N to explore. */
  static final long SEED = Long.getLong("sinter.seed", 20_250_611L);
  /** With 4 KiB chunks and a 1 KiB tree threshold (Ranks.smallChunks) these cover tree, ring and multi-chunk. */
  static final int[] SIZES = {0, 1, 7, 13, 100, 257, 1000, 12_345};

  static Stream<Arguments> groups() {
    List<Arguments> a = new ArrayList<>();
    for (String b : new String[] {"inproc", "tcp", "tcp+shm"}) {
      for (int n = 1; n <= 5; n++) {
        a.add(Arguments.of(b, n));
      }
    }
    return a.stream();
  }

  @ParameterizedTest(name = "{0} x{1}")
  @MethodSource("groups")
  void everyCollectiveMatchesALocalReference(String backend, int n) {
    List<Communicator> cs = switch (backend) {
      case "tcp" -> Ranks.tcp(n, ctx -> Ranks.smallChunks(ctx.sharedMemory(false)));
      case "tcp+shm" -> Ranks.tcp(n, ctx -> Ranks.smallChunks(ctx.sharedMemory(true).shmRingBytes(64 << 10)));
      default -> Ranks.inproc(n);
    };
    for (Communicator c : cs) {
      if (c instanceof TcpGroup g) {
        for (int q = 0; q < n; q++) {
          if (q != c.rank()) {
            assertEquals(backend.equals("tcp") ? "TCP (shared memory off on this rank)" : ShmSetup.VIA_SHM,
                g.dataPlane(q), backend + " x" + n + ": rank " + c.rank() + " to rank " + q);
          }
        }
      }
    }
    String label = "seed " + SEED + " (rerun with -Dsinter.seed=" + SEED + "), " + backend + " x" + n;
    try {
      List<List<Long>> digests = Ranks.run(cs, label, 120, c -> new Checks(c, SEED, label).all());
      for (int r = 1; r < n; r++) {
        assertEquals(digests.get(0), digests.get(r), label + ": rank " + r + " ended with other bits than rank 0");
      }
    } finally {
      Ranks.closeAll(cs);
    }
  }

  /**
   * With the default 1 MiB frames and 64 KiB tree threshold, a multi-chunk ring all-reduce gives the
   * same bits as the in-process back end (the inputs sum exactly, so any order agrees), and both
   * back ends count the same bytes: 2(n−1)/n of the buffer per all-reduce.
   */
  @org.junit.jupiter.api.Test
  void defaultSettingsAgreeWithInProcessAndCountTheSameBytes() {
    int n = 3;
    int len = 1_500_000; // 2 MB shards: two frames each
    List<Communicator> tcp = Ranks.tcp(n, ctx -> {});
    List<Communicator> inproc = Ranks.inproc(n);
    String label = "seed " + SEED + ", defaults x" + n;
    try {
      Ranks.Body<float[]> body = c -> {
        Checks ch = new Checks(c, SEED, label);
        float[] x = ch.input(c.rank(), len);
        c.allReduce(x, 0, len, ReduceOp.SUM);
        float[] y = ch.input(c.rank(), len);
        c.allReduce(y, 0, len, ReduceOp.MAX, Wire.BF16);
        float[] both = java.util.Arrays.copyOf(x, 2 * len);
        System.arraycopy(y, 0, both, len, len);
        return both;
      };
      List<float[]> a = Ranks.run(tcp, label, 60, body);
      List<float[]> b = Ranks.run(inproc, label, 60, body);
      for (int r = 0; r < n; r++) {
        assertTrue(java.util.Arrays.equals(a.get(r), b.get(0)), label + ": rank " + r + " of tcp differs from inproc");
      }
      for (List<Communicator> cs : List.of(tcp, inproc)) {
        long fp32 = 2L * (n - 1) * len * 4 / n;
        long bf16 = 2L * (n - 1) * len * 2 / n;
        assertEquals(fp32 + bf16, cs.get(1).stats().bytes(CommStats.Kind.ALL_REDUCE), cs.get(1).backend());
        assertEquals(2, cs.get(1).stats().calls(CommStats.Kind.ALL_REDUCE));
      }
    } finally {
      Ranks.closeAll(tcp);
    }
  }

  /** One rank's walk through the contract. */
  static final class Checks {
    private static final int GUARD = 5;
    private static final float SENTINEL = -31337.5f;
    private static final float GARBAGE = -7777f;
    private final Communicator c;
    private final int n;
    private final int rank;
    private final long seed;
    private final String label;
    /** Hashes of results that must be identical on every rank, in call order. */
    private final List<Long> digests = new ArrayList<>();
    private int caseId;

    Checks(Communicator c, long seed, String label) {
      this.c = c;
      this.n = c.size();
      this.rank = c.rank();
      this.seed = seed;
      this.label = label;
    }

    List<Long> all() {
      for (int len : SIZES) {
        for (Wire w : Wire.values()) {
          for (ReduceOp op : ReduceOp.values()) {
            allReduce(len, op, w);
            reduceScatter(len, op, w);
          }
          allGather(len, w);
        }
        broadcast(len, 0);
        broadcast(len, n - 1);
        allToAll(len);
        sendRecv(len);
        c.barrier();
      }
      deterministicWithRoundingEverywhere();
      subGroups();
      return digests;
    }

    /**
     * Rank q's input for a case: multiples of 2^-12 below ~40 in magnitude, so fp32 sums of up to 5
     * are exact and the FP32 SUM can be checked bit for bit.
     */
    float[] input(int q, int len) {
      SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + caseId * 31L + q);
      float[] x = new float[len];
      for (int i = 0; i < len; i++) {
        x[i] = Math.round(rng.nextGaussian() * 8 * 4096) / 4096f;
      }
      return x;
    }

    /** {@code x} at offset GUARD inside sentinels. */
    static float[] framed(float[] x) {
      float[] b = new float[x.length + 2 * GUARD];
      java.util.Arrays.fill(b, SENTINEL);
      System.arraycopy(x, 0, b, GUARD, x.length);
      return b;
    }

    void guards(float[] b, int len, String what) {
      for (int i = 0; i < GUARD; i++) {
        check(b[i] == SENTINEL && b[GUARD + len + i] == SENTINEL, what + ": wrote outside its range");
      }
    }

    void check(boolean ok, String what) {
      if (!ok) {
        throw new AssertionError(label + ", rank " + rank + ", case " + caseId + ": " + what);
      }
    }

    void digest(float[] b, int off, int len) {
      long h = 1;
      for (int i = 0; i < len; i++) {
        h = h * 1_000_003L + Float.floatToRawIntBits(b[off + i]);
      }
      digests.add(h);
    }

    /** The reduction of element {@code i} over ranks, as the contract defines it, in double. */
    double[] reference(float[][] in, int i, ReduceOp op, Wire w) {
      double sum = 0;
      double abs = 0;
      double max = Double.NEGATIVE_INFINITY;
      for (float[] x : in) {
        double v = w.round(x[i]);
        sum += v;
        abs += Math.abs(v);
        max = Math.max(max, v);
      }
      double ref = switch (op) {
        case SUM -> sum;
        case AVG -> sum / n;
        case MAX -> max;
      };
      double scale = op == ReduceOp.AVG ? abs / n : abs;
      double tol = op == ReduceOp.MAX ? 0 : w == Wire.FP32 ? (op == ReduceOp.SUM ? 0 : 4e-7 * scale)
          // bf16: each hop of a ring or tree rounds the partial sum once more.
          : (n + 2) * Math.scalb(1.0, -8) * scale;
      return new double[] {ref, tol};
    }

    float[][] inputs(int len) {
      float[][] in = new float[n][];
      for (int q = 0; q < n; q++) {
        in[q] = input(q, len);
      }
      return in;
    }

    void allReduce(int len, ReduceOp op, Wire w) {
      caseId++;
      float[][] in = inputs(len);
      float[] b = framed(in[rank]);
      c.allReduce(b, GUARD, len, op, w);
      String what = "all_reduce " + op + " " + w + " of " + len;
      guards(b, len, what);
      for (int i = 0; i < len; i++) {
        float got = b[GUARD + i];
        if (n == 1) {
          check(got == in[0][i], what + ": a group of one must leave the buffer alone");
          continue;
        }
        double[] rt = reference(in, i, op, w);
        check(Math.abs(got - rt[0]) <= rt[1], what + ": element " + i + " is " + got + ", expected " + rt[0] + " ± "
            + rt[1]);
        if (w == Wire.BF16) {
          check(got == w.round(got), what + ": element " + i + " is not a bf16 value: " + got);
        }
      }
      digest(b, GUARD, len);
    }

    void reduceScatter(int len, ReduceOp op, Wire w) {
      caseId++;
      float[][] in = inputs(len);
      float[] b = framed(in[rank]);
      c.reduceScatter(b, GUARD, len, op, w);
      String what = "reduce_scatter " + op + " " + w + " of " + len;
      guards(b, len, what);
      for (int i = Shards.start(len, n, rank); i < Shards.end(len, n, rank); i++) {
        float got = b[GUARD + i];
        if (n == 1) {
          check(got == in[0][i], what + ": a group of one must leave the buffer alone");
          continue;
        }
        double[] rt = reference(in, i, op, w);
        check(Math.abs(got - rt[0]) <= rt[1], what + ": element " + i + " is " + got + ", expected " + rt[0]);
      }
    }

    void allGather(int len, Wire w) {
      caseId++;
      float[][] in = inputs(len);
      float[] mine = new float[len];
      java.util.Arrays.fill(mine, GARBAGE);
      int s = Shards.start(len, n, rank);
      System.arraycopy(in[rank], s, mine, s, Shards.length(len, n, rank));
      float[] b = framed(mine);
      c.allGather(b, GUARD, len, w);
      String what = "all_gather " + w + " of " + len;
      guards(b, len, what);
      for (int q = 0; q < n; q++) {
        for (int i = Shards.start(len, n, q); i < Shards.end(len, n, q); i++) {
          float want = n == 1 ? in[q][i] : w.round(in[q][i]);
          check(b[GUARD + i] == want, what + ": element " + i + " (shard of rank " + q + ") is " + b[GUARD + i]
              + ", expected " + want);
        }
      }
      digest(b, GUARD, len);
    }

    void broadcast(int len, int root) {
      caseId++;
      float[] x = input(root, len);
      float[] mine = rank == root ? x.clone() : new float[len];
      if (rank != root) {
        java.util.Arrays.fill(mine, GARBAGE);
      }
      float[] b = framed(mine);
      c.broadcast(b, GUARD, len, root);
      String what = "broadcast of " + len + " from " + root;
      guards(b, len, what);
      for (int i = 0; i < len; i++) {
        check(b[GUARD + i] == x[i], what + ": element " + i + " is " + b[GUARD + i] + ", expected " + x[i]);
      }
      digest(b, GUARD, len);
    }

    /** Variable splits, zeros included; now and then a block bigger than one 4 KiB chunk. */
    void allToAll(int len) {
      caseId++;
      int[][] counts = new int[n][n];
      SplittableRandom rng = new SplittableRandom(seed + caseId);
      for (int p = 0; p < n; p++) {
        for (int q = 0; q < n; q++) {
          counts[p][q] = rng.nextInt(4) == 0 ? 0 : rng.nextInt(Math.max(1, Math.min(len, 1500)) + 1);
        }
      }
      int[] sendCounts = counts[rank];
      int[] recvCounts = new int[n];
      int total = 0;
      int sent = 0;
      for (int p = 0; p < n; p++) {
        recvCounts[p] = counts[p][rank];
        total += recvCounts[p];
        sent += sendCounts[p];
      }
      float[] send = new float[sent + 3];
      int at = 3;
      for (int q = 0; q < n; q++) {
        for (int i = 0; i < sendCounts[q]; i++) {
          send[at++] = value(rank, q, i);
        }
      }
      float[] recv = framed(new float[total]);
      c.allToAll(send, 3, sendCounts, recv, GUARD, recvCounts);
      guards(recv, total, "all_to_all");
      at = GUARD;
      for (int p = 0; p < n; p++) {
        for (int i = 0; i < recvCounts[p]; i++) {
          check(recv[at] == value(p, rank, i), "all_to_all: element " + i + " from rank " + p + " is " + recv[at]);
          at++;
        }
      }
    }

    static float value(int from, int to, int i) {
      return from * 100_000 + to * 1_000 + i % 1000;
    }

    /**
     * Two messages to the next rank, a collective in between on the same group, then the two
     * receives: point-to-point and collective traffic must not mix, and messages keep their order.
     */
    void sendRecv(int len) {
      caseId++;
      int next = (rank + 1) % n;
      int prev = (rank + n - 1) % n;
      float[] a = input(rank, len);
      float[] b = input(rank, len + 3);
      c.send(a, 0, len, next);
      c.send(b, 0, len + 3, next);
      float[] one = {rank + 1f};
      c.allReduce(one, 0, 1, ReduceOp.SUM);
      check(one[0] == n * (n + 1) / 2f, "all_reduce between sends gave " + one[0]);
      float[] ra = framed(new float[len]);
      float[] rb = framed(new float[len + 3]);
      c.recv(ra, GUARD, len, prev);
      c.recv(rb, GUARD, len + 3, prev);
      guards(ra, len, "recv");
      guards(rb, len + 3, "recv");
      float[] ea = input(prev, len);
      float[] eb = input(prev, len + 3);
      for (int i = 0; i < len; i++) {
        check(ra[GUARD + i] == ea[i], "recv of " + len + " from " + prev + ": element " + i + " differs");
      }
      for (int i = 0; i < len + 3; i++) {
        check(rb[GUARD + i] == eb[i], "second recv from " + prev + ": element " + i + " differs");
      }
    }

    /** Non-dyadic inputs, so every sum rounds: all ranks must still agree, and a rerun must too. */
    void deterministicWithRoundingEverywhere() {
      caseId++;
      int len = 12_345;
      float[] x = new float[len];
      SplittableRandom rng = new SplittableRandom(seed ^ rank);
      for (int i = 0; i < len; i++) {
        x[i] = (float) (rng.nextGaussian() * Math.exp(rng.nextGaussian() * 3));
      }
      for (Wire w : Wire.values()) {
        float[] first = x.clone();
        float[] second = x.clone();
        c.allReduce(first, 0, len, ReduceOp.AVG, w);
        c.allReduce(second, 0, len, ReduceOp.AVG, w);
        check(java.util.Arrays.equals(first, second), "all_reduce AVG " + w + " differs between two identical calls");
        digest(first, 0, len);
      }
    }

    /** Sub-groups by parity, interleaved with the parent; and a 2 x 2 mesh's TP and DP groups. */
    void subGroups() {
      caseId++;
      Communicator odd = c.split(rank % 2);
      int members = (n + 1 - rank % 2) / 2;
      check(odd.size() == members, "split by parity: size " + odd.size() + ", expected " + members);
      check(odd.rank() == rank / 2, "split by parity: rank " + odd.rank() + ", expected " + rank / 2);
      float[] v = {rank, 2f * rank};
      odd.allReduce(v, 0, 2, ReduceOp.SUM);
      float[] w = {1};
      c.allReduce(w, 0, 1, ReduceOp.SUM);
      check(w[0] == n, "parent all_reduce after split gave " + w[0]);
      float want = 0;
      for (int q = rank % 2; q < n; q += 2) {
        want += q;
      }
      check(v[0] == want && v[1] == 2 * want, "parity all_reduce gave " + v[0] + ", expected " + want);
      float[] g = new float[odd.size()];
      g[odd.rank()] = rank;
      odd.allGather(g, 0, g.length, Wire.FP32);
      for (int i = 0; i < g.length; i++) {
        check(g[i] == 2 * i + rank % 2, "parity all_gather: element " + i + " is " + g[i]);
      }
      Communicator alone = c.split(rank);
      check(alone.size() == 1 && alone.rank() == 0, "split into singletons");
      float[] s = {5};
      alone.allReduce(s, 0, 1, ReduceOp.SUM);
      check(s[0] == 5, "a group of one changed its buffer");
      if (n == 4) {
        ParallelDims dims = new ParallelDims(2, 2, 1, 1);
        dims.requireWorld(n);
        Communicator tp = c.split(dims.color(rank, ParallelDims.Dim.TP));
        Communicator dp = c.split(dims.color(rank, ParallelDims.Dim.DP));
        float[] t = {rank};
        tp.allReduce(t, 0, 1, ReduceOp.SUM);
        float[] d = {rank};
        dp.allReduce(d, 0, 1, ReduceOp.SUM);
        int tp0 = rank - rank % 2;
        check(t[0] == tp0 + tp0 + 1, "tp all_reduce on rank " + rank + " gave " + t[0]);
        check(d[0] == (rank % 2) * 2 + 2, "dp all_reduce on rank " + rank + " gave " + d[0]);
        tp.close();
        dp.close();
      }
      odd.close();
      alone.close();
      assertTrue(true);
    }
  }
}
