// Ranks as threads of one process, sharing memory: the back end for tests, for N-rank vs 1-rank
// equivalence checks, and for one-box runs without sockets.
//
// Every collective is "post, barrier, work on disjoint ranges, barrier": each rank publishes its
// buffer, then reads the others' directly. A reduction reads every rank's copy of its own shard in
// rank order (so the sum is the same on every run and every rank) and writes the result into every
// rank's buffer at that shard; shards are disjoint, so no two threads write the same element, and
// no thread reads a range another one writes. The closing barrier keeps a rank from reusing its
// buffer while a peer still reads or writes it.
//
// Reductions go block by block through a cache-sized accumulator: each element is read once from
// every rank and written once to every destination, the least memory traffic there is (a
// shard-sized accumulator doubled it, and this back end is bound by memory bandwidth).
package dev.sinter.comm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A group of {@code n} in-process ranks; {@link #rank(int)} hands out each rank's communicator. */
public final class InProcessGroup {
  private final int n;
  private final long timeoutMs;
  private final CyclicBarrier barrier;
  /** What each rank posted for the current collective. */
  private final float[][] bufs;
  private final int[] offs;
  private final int[][] counts;
  private final Object[] objects;
  /** Mailboxes for send/recv, [from * n + to]. */
  private final List<BlockingQueue<float[]>> mail = new ArrayList<>();
  /** Each rank's count of collectives entered, to name the laggards on a timeout. */
  private final long[] entered;
  private final Rank[] ranks;
  /** Floats per reduction block: 32 KiB, so the accumulator stays in L1/L2. */
  private static final int BLOCK = 8192;

  /**
   * @param n         ranks
   * @param timeoutMs how long a collective waits for the slowest rank before failing
   */
  public InProcessGroup(int n, long timeoutMs) {
    if (n < 1) {
      throw new IllegalArgumentException("a group needs at least one rank, got " + n);
    }
    this.n = n;
    this.timeoutMs = timeoutMs;
    this.barrier = new CyclicBarrier(n);
    this.bufs = new float[n][];
    this.offs = new int[n];
    this.counts = new int[n][];
    this.objects = new Object[n];
    this.entered = new long[n];
    for (int i = 0; i < n * n; i++) {
      mail.add(new ArrayBlockingQueue<>(64));
    }
    this.ranks = new Rank[n];
    for (int r = 0; r < n; r++) {
      ranks[r] = new Rank(r);
    }
  }

  /** The communicator of rank {@code r}; give each to its own thread. */
  public Communicator rank(int r) {
    return ranks[r];
  }

  private final class Rank implements Communicator {
    private final int rank;
    private final CommStats stats = new CommStats();
    private float[] scratch = new float[0];

    Rank(int rank) {
      this.rank = rank;
    }

    @Override
    public int rank() {
      return rank;
    }

    @Override
    public int size() {
      return n;
    }

    @Override
    public String backend() {
      return "inproc";
    }

    private void await(String op) {
      synchronized (entered) {
        entered[rank]++;
      }
      try {
        barrier.await(timeoutMs, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new CommException("rank " + rank + ": " + op + " timed out after " + timeoutMs + " ms waiting for rank(s) "
            + laggards());
      } catch (BrokenBarrierException e) {
        throw new CommException("rank " + rank + ": " + op + " failed because another rank left it (timeout or error"
            + " on rank(s) " + laggards() + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommException("rank " + rank + ": interrupted during " + op, e);
      }
    }

    private String laggards() {
      synchronized (entered) {
        long max = Arrays.stream(entered).max().orElse(0);
        List<Integer> behind = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          if (entered[r] < max) {
            behind.add(r);
          }
        }
        return behind.isEmpty() ? "(none behind; another rank failed)" : behind.toString();
      }
    }

    private void post(String op, float[] buf, int off) {
      bufs[rank] = buf;
      offs[rank] = off;
      await(op);
    }

    private float[] scratch(int len) {
      if (scratch.length < len) {
        scratch = new float[len];
      }
      return scratch;
    }

    /**
     * Reduces [s, e) of every posted buffer in rank order, block by block, and writes each finished
     * block into every rank's buffer ({@code toAll}) or into this rank's only.
     */
    private void reduceShard(ReduceOp op, Wire wire, int s, int e, boolean toAll) {
      float[] acc = scratch(Math.min(BLOCK, e - s));
      for (int at = s; at < e; at += BLOCK) {
        int k = Math.min(BLOCK, e - at);
        float[] b0 = bufs[0];
        int o0 = offs[0] + at;
        if (wire == Wire.FP32) {
          System.arraycopy(b0, o0, acc, 0, k);
        } else {
          for (int i = 0; i < k; i++) {
            acc[i] = wire.round(b0[o0 + i]);
          }
        }
        for (int q = 1; q < n; q++) {
          float[] b = bufs[q];
          int o = offs[q] + at;
          if (wire == Wire.FP32) {
            op.combine(acc, 0, b, o, k);
          } else {
            for (int i = 0; i < k; i++) {
              acc[i] = op.combine(acc[i], wire.round(b[o + i]));
            }
          }
        }
        op.finish(acc, 0, k, n);
        if (wire != Wire.FP32) {
          for (int i = 0; i < k; i++) {
            acc[i] = wire.round(acc[i]);
          }
        }
        for (int q = toAll ? 0 : rank; q < (toAll ? n : rank + 1); q++) {
          System.arraycopy(acc, 0, bufs[q], offs[q] + at, k);
        }
      }
    }

    @Override
    public void allReduce(float[] buf, int off, int len, ReduceOp op, Wire wire) {
      if (n == 1) {
        return;
      }
      post("all_reduce", buf, off);
      reduceShard(op, wire, Shards.start(len, n, rank), Shards.end(len, n, rank), true);
      stats.add(CommStats.Kind.ALL_REDUCE, busBytes(2, len, wire));
      await("all_reduce");
    }

    @Override
    public void reduceScatter(float[] buf, int off, int len, ReduceOp op, Wire wire) {
      if (n == 1) {
        return;
      }
      post("reduce_scatter", buf, off);
      reduceShard(op, wire, Shards.start(len, n, rank), Shards.end(len, n, rank), false);
      stats.add(CommStats.Kind.REDUCE_SCATTER, busBytes(1, len, wire));
      await("reduce_scatter");
    }

    @Override
    public void allGather(float[] buf, int off, int len, Wire wire) {
      if (n == 1) {
        return;
      }
      post("all_gather", buf, off);
      for (int q = 0; q < n; q++) {
        if (q != rank) {
          int s = Shards.start(len, n, q);
          int e = Shards.end(len, n, q);
          float[] src = bufs[q];
          int so = offs[q] + s;
          if (wire == Wire.FP32) {
            System.arraycopy(src, so, buf, off + s, e - s);
          } else {
            for (int i = 0; i < e - s; i++) {
              buf[off + s + i] = wire.round(src[so + i]);
            }
          }
        }
      }
      stats.add(CommStats.Kind.ALL_GATHER, busBytes(1, len, wire));
      await("all_gather");
      if (wire != Wire.FP32) {
        // The peers received this rank's shard rounded; round our own copy too so that every rank
        // holds the same bits. Only after the barrier: until then peers may still be reading it.
        int s = Shards.start(len, n, rank);
        int e = Shards.end(len, n, rank);
        for (int i = s; i < e; i++) {
          buf[off + i] = wire.round(buf[off + i]);
        }
      }
    }

    @Override
    public void broadcast(float[] buf, int off, int len, int root) {
      checkPeer(root);
      if (n == 1) {
        return;
      }
      post("broadcast", buf, off);
      if (rank != root) {
        System.arraycopy(bufs[root], offs[root], buf, off, len);
      } else {
        stats.add(CommStats.Kind.BROADCAST, 4L * len);
      }
      await("broadcast");
    }

    @Override
    public void allToAll(float[] send, int sendOff, int[] sendCounts, float[] recv, int recvOff, int[] recvCounts) {
      if (sendCounts.length != n || recvCounts.length != n) {
        throw new IllegalArgumentException("all_to_all needs one count per rank (" + n + ")");
      }
      counts[rank] = sendCounts;
      post("all_to_all", send, sendOff);
      int at = recvOff;
      long sent = 0;
      for (int p = 0; p < n; p++) {
        int[] pc = counts[p];
        if (pc[rank] != recvCounts[p]) {
          throw new CommException("rank " + rank + ": all_to_all expects " + recvCounts[p] + " floats from rank " + p
              + ", which sends " + pc[rank]);
        }
        int from = offs[p];
        for (int i = 0; i < rank; i++) {
          from += pc[i];
        }
        System.arraycopy(bufs[p], from, recv, at, pc[rank]);
        at += pc[rank];
        if (p != rank) {
          sent += 4L * sendCounts[p];
        }
      }
      stats.add(CommStats.Kind.ALL_TO_ALL, sent);
      await("all_to_all");
    }

    @Override
    public void send(float[] buf, int off, int len, int peer) {
      checkPeer(peer);
      try {
        if (!mail.get(rank * n + peer).offer(Arrays.copyOfRange(buf, off, off + len), timeoutMs, TimeUnit.MILLISECONDS)) {
          throw new CommException("rank " + rank + ": send to rank " + peer + " timed out after " + timeoutMs + " ms");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommException("rank " + rank + ": interrupted sending to rank " + peer, e);
      }
      stats.add(CommStats.Kind.SEND_RECV, 4L * len);
    }

    @Override
    public void recv(float[] buf, int off, int len, int peer) {
      checkPeer(peer);
      float[] m;
      try {
        m = mail.get(peer * n + rank).poll(timeoutMs, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommException("rank " + rank + ": interrupted receiving from rank " + peer, e);
      }
      if (m == null) {
        throw new CommException("rank " + rank + ": recv from rank " + peer + " timed out after " + timeoutMs + " ms");
      }
      if (m.length != len) {
        throw new CommException("rank " + rank + ": recv expected " + len + " floats from rank " + peer + ", got " + m.length);
      }
      System.arraycopy(m, 0, buf, off, len);
    }

    @Override
    public void barrier() {
      await("barrier");
      stats.add(CommStats.Kind.BARRIER, 0);
    }

    @Override
    public Communicator split(int color) {
      objects[rank] = color;
      await("split");
      List<Integer> members = new ArrayList<>();
      for (int q = 0; q < n; q++) {
        if ((int) objects[q] == color) {
          members.add(q);
        }
      }
      await("split");
      if (members.get(0) == rank) {
        objects[rank] = new InProcessGroup(members.size(), timeoutMs);
      }
      await("split");
      InProcessGroup sub = (InProcessGroup) objects[members.get(0)];
      Communicator mine = sub.rank(members.indexOf(rank));
      await("split");
      return mine;
    }

    @Override
    public CommStats stats() {
      return stats;
    }

    /**
     * What a ring would send per rank, (n − 1)/n of the buffer per pass, so the figures compare
     * with the TCP back end's.
     */
    private long busBytes(int passes, int len, Wire wire) {
      return (long) passes * (n - 1) * len * wire.bytes / n;
    }

    private void checkPeer(int peer) {
      if (peer < 0 || peer >= n) {
        throw new IllegalArgumentException("rank " + peer + " is not in this group of " + n);
      }
    }

    @Override
    public void close() {
      // Threads share nothing that needs releasing; a rank that leaves early makes the others
      // time out at their next collective, naming it.
    }
  }
}
