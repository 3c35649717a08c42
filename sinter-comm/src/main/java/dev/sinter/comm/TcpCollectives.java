// The algorithms of one TcpGroup over the shared transport: which rank sends which chunk to whom,
// and in what order, for every collective. TcpGroup checks arguments and keeps the statistics; this
// file moves the data. Chosen by message size (every rank chooses alike, since sizes agree):
//   all-reduce, large: ring reduce-scatter then ring all-gather, chunked so that sending (sender
//     thread), receiving (reader thread) and reducing (the caller) overlap. Each shard is reduced
//     once, by its owner, along a fixed ring order, and then every rank receives the owner's bits,
//     so the result is bitwise identical on every rank and from run to run.
//   all-reduce, small: binomial-tree reduce to rank 0, then binomial-tree broadcast: 2·log2(n)
//     message latencies instead of the ring's 2·(n−1).
//   broadcast: binomial tree when small, a pipelined chain when large.
//   reduce-scatter / all-gather: the two halves of the ring. all-to-all: direct exchange of
//     length-delimited messages. barrier: dissemination.
// BF16 wire: values are rounded to bfloat16 as they are packed (half the bytes), sums are taken in
// fp32, and each hop's partial sum travels as bf16 again. Frames that only pass through (all-gather
// and broadcast forwarding) go out in the very buffer they arrived in.
//
// When the previous rank of the ring is on this host, the ring reduce-scatter and all-gather run in
// PostedRing instead: the same steps, sends and bits, but the reader thread applies the received
// frames straight from the shared-memory ring (PostedRecv), so nothing is copied out of it.
package dev.sinter.comm;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** One group's collectives: members, sequence numbers and algorithms. Not thread-safe, like the group. */
final class TcpCollectives {
  final TcpTransport t;
  final long id;
  /** World rank of each member, in group-rank order. */
  final int[] members;
  final int rank;
  final int n;
  final int chunkBytes;
  final int treeBytes;
  final TcpTransport.Inbox[] collIn;
  private final TcpTransport.Inbox[] p2pIn;
  private final WireCodec codec = new WireCodec();
  private long opSeq;
  /** The collective in progress, for timeouts to find who never joined it. */
  TcpTransport.Stall stall;

  TcpCollectives(TcpTransport t, long id, int[] members, int rank, int chunkBytes, int treeBytes) {
    this.t = t;
    this.id = id;
    this.members = members;
    this.rank = rank;
    this.n = members.length;
    this.chunkBytes = chunkBytes;
    this.treeBytes = treeBytes;
    this.collIn = new TcpTransport.Inbox[n];
    this.p2pIn = new TcpTransport.Inbox[n];
    for (int q = 0; q < n; q++) {
      collIn[q] = t.inbox(id, members[q], TcpTransport.COLL);
      p2pIn[q] = t.inbox(id, members[q], TcpTransport.P2P);
    }
  }

  /** Starts collective {@code name}: fails if the job has; returns its sequence number. */
  long begin(String name) {
    t.check(name);
    stall = new TcpTransport.Stall(id, ++opSeq, members);
    return opSeq;
  }

  /** The own shard first (bf16: rounded here too, so every rank ends with the same bits), then the ring. */
  long allGather(float[] buf, int off, int len, Wire w, long seq) {
    if (t.landsInPlace(members[mod(rank - 1)])) {
      return PostedRing.allGather(this, buf, off, len, w, seq);
    }
    int s = Shards.start(len, n, rank);
    int e = Shards.end(len, n, rank);
    if (w == Wire.BF16) {
      WireCodec.round(buf, off + s, e - s);
    }
    long sent = sendChunks(next(), TcpTransport.COLL, seq, buf, off + s, e - s, w, false, "all_gather");
    return sent + gatherPhase(buf, off, len, w, seq, "all_gather");
  }

  /** Every block straight to its rank, as a length-delimited message; {@code sd}/{@code rd} are displacements. */
  long allToAll(float[] send, int sendOff, int[] sendCounts, int[] sd, float[] recv, int recvOff, int[] recvCounts,
      int[] rd, long seq) {
    long sent = 0;
    for (int k = 1; k < n; k++) {
      int to = mod(rank + k);
      sent += sendChunks(to, TcpTransport.COLL, seq, send, sendOff + sd[to], sendCounts[to], Wire.FP32, true,
          "all_to_all");
    }
    System.arraycopy(send, sendOff + sd[rank], recv, recvOff + rd[rank], sendCounts[rank]);
    for (int k = 1; k < n; k++) {
      int from = mod(rank - k);
      receiveMessage(from, TcpTransport.COLL, seq, recv, recvOff + rd[from], recvCounts[from], "all_to_all");
    }
    return sent;
  }

  /** Dissemination: after round k every rank has heard, indirectly, from 2^(k+1) ranks. */
  void barrier(long seq) {
    for (int k = 1; k < n; k <<= 1) {
      int to = mod(rank + k);
      post(to, TcpTransport.COLL, seq, out(to, 0, TcpTransport.COLL, "barrier"), false, "barrier");
      t.pool.release(take(mod(rank - k), TcpTransport.COLL, seq, "barrier").payload());
    }
  }

  /** Every member's color, exchanged directly. */
  int[] exchangeColors(int color, long seq) {
    int[] colors = new int[n];
    colors[rank] = color;
    for (int k = 1; k < n; k++) {
      int to = mod(rank + k);
      ByteBuffer b = out(to, 4, TcpTransport.COLL, "split");
      b.putInt(0, color);
      post(to, TcpTransport.COLL, seq, b, false, "split");
    }
    for (int k = 1; k < n; k++) {
      int from = mod(rank - k);
      TcpTransport.In f = take(from, TcpTransport.COLL, seq, "split");
      if (f.payload().remaining() != 4) {
        throw protocolError(from, "sent a malformed split color", "split");
      }
      colors[from] = f.payload().getInt(0);
      t.pool.release(f.payload());
    }
    return colors;
  }

  /**
   * Ring reduce-scatter (n − 1 steps) and, with {@code gather}, ring all-gather (n − 1 more). At
   * reduce-scatter step s, rank r receives the partial sum of shard r − s − 2 from r − 1, adds its
   * own values and passes it on; at the last step the shard is r's own and complete. Returns the
   * payload bytes this rank sent.
   */
  long ring(float[] buf, int off, int len, ReduceOp op, Wire w, boolean gather, long seq, String name) {
    int next = next();
    int prev = mod(rank - 1);
    if (t.landsInPlace(members[prev])) {
      return PostedRing.ring(this, buf, off, len, op, w, gather, seq, name);
    }
    int sh = mod(rank - 1);
    long sent = sendChunks(next, TcpTransport.COLL, seq, buf, off + Shards.start(len, n, sh), Shards.length(len, n, sh),
        w, false, name);
    for (int s = 0; s < n - 1; s++) {
      sh = mod(rank - s - 2);
      boolean last = s == n - 2;
      for (int c = Shards.start(len, n, sh), end = Shards.end(len, n, sh); c < end; ) {
        TcpTransport.In f = take(prev, TcpTransport.COLL, seq, name);
        int k = count(f, w, end - c, prev, name);
        if (!last) {
          ByteBuffer o = out(next, k * w.bytes, TcpTransport.COLL, name);
          codec.combineOut(f.payload(), buf, off + c, k, op, w, o);
          post(next, TcpTransport.COLL, seq, o, false, name);
          sent += k * w.bytes;
        } else {
          codec.combineInto(f.payload(), buf, off + c, k, op, w);
          op.finish(buf, off + c, k, n);
          if (gather) {
            // The finished chunk starts the all-gather at once: the two phases pipeline.
            sent += sendFrame(next, seq, buf, off + c, k, w, true, name);
          } else if (w == Wire.BF16) {
            WireCodec.round(buf, off + c, k);
          }
        }
        t.pool.release(f.payload());
        c += k;
      }
    }
    return gather ? sent + gatherPhase(buf, off, len, w, seq, name) : sent;
  }

  /**
   * The receiving half of a ring all-gather, once every rank has sent its own shard: at step s,
   * rank r receives shard r − s − 1 and forwards the very same frame to r + 1.
   */
  private long gatherPhase(float[] buf, int off, int len, Wire w, long seq, String name) {
    int next = next();
    int prev = mod(rank - 1);
    long sent = 0;
    for (int s = 0; s < n - 1; s++) {
      int sh = mod(rank - s - 1);
      for (int c = Shards.start(len, n, sh), end = Shards.end(len, n, sh); c < end; ) {
        TcpTransport.In f = take(prev, TcpTransport.COLL, seq, name);
        int k = count(f, w, end - c, prev, name);
        codec.unpack(f.payload(), buf, off + c, k, w);
        if (s < n - 2) {
          post(next, TcpTransport.COLL, seq, f.payload(), false, name);
          sent += k * w.bytes;
        } else {
          t.pool.release(f.payload());
        }
        c += k;
      }
    }
    return sent;
  }

  /** Binomial-tree reduce to rank 0, in a fixed order, then binomial-tree broadcast of the result. */
  long treeAllReduce(float[] buf, int off, int len, ReduceOp op, Wire w, long seq) {
    if (w == Wire.BF16) {
      WireCodec.round(buf, off, len);
    }
    long sent = 0;
    for (int mask = 1; mask < n; mask <<= 1) {
      if ((rank & mask) != 0) {
        sent += sendChunks(rank - mask, TcpTransport.COLL, seq, buf, off, len, w, false, "all_reduce");
        break;
      }
      int child = rank + mask;
      if (child < n) {
        for (int c = 0; c < len; ) {
          TcpTransport.In f = take(child, TcpTransport.COLL, seq, "all_reduce");
          int k = count(f, w, len - c, child, "all_reduce");
          codec.combineInto(f.payload(), buf, off + c, k, op, w);
          t.pool.release(f.payload());
          c += k;
        }
      }
    }
    if (rank == 0) {
      op.finish(buf, off, len, n);
      if (w == Wire.BF16) {
        WireCodec.round(buf, off, len);
      }
    }
    return sent + treeBroadcast(buf, off, len, 0, w, seq, false, "all_reduce");
  }

  /**
   * Broadcast down a tree rooted at {@code root}: a binomial tree (latency log2 n) or, with
   * {@code chain}, a pipelined chain (each rank sends the message once). Non-roots forward each
   * frame as it arrives. Returns the payload bytes this rank sent.
   */
  long treeBroadcast(float[] buf, int off, int len, int root, Wire w, long seq, boolean chain, String name) {
    int vr = mod(rank - root);
    int parent = -1;
    List<Integer> kids = new ArrayList<>();
    if (chain) {
      parent = vr - 1;
      if (vr + 1 < n) {
        kids.add(vr + 1);
      }
    } else {
      int mask = 1;
      while (mask < n) {
        if ((vr & mask) != 0) {
          parent = vr - mask;
          break;
        }
        mask <<= 1;
      }
      for (int m = mask >> 1; m > 0; m >>= 1) {
        if (vr + m < n) {
          kids.add(vr + m);
        }
      }
    }
    long sent = 0;
    int chunk = chunkBytes / w.bytes;
    if (vr == 0) {
      for (int c = 0; c < len; c += chunk) {
        int k = Math.min(chunk, len - c);
        for (int kid : kids) {
          ByteBuffer o = out(mod(kid + root), k * w.bytes, TcpTransport.COLL, name);
          codec.pack(o, buf, off + c, k, w);
          post(mod(kid + root), TcpTransport.COLL, seq, o, false, name);
          sent += k * w.bytes;
        }
      }
      return sent;
    }
    int from = mod(parent + root);
    for (int c = 0; c < len; ) {
      TcpTransport.In f = take(from, TcpTransport.COLL, seq, name);
      int k = count(f, w, len - c, from, name);
      int bytes = k * w.bytes;
      codec.unpack(f.payload(), buf, off + c, k, w);
      for (int i = 1; i < kids.size(); i++) {
        ByteBuffer o = out(mod(kids.get(i) + root), bytes, TcpTransport.COLL, name);
        o.put(0, f.payload(), 0, bytes);
        post(mod(kids.get(i) + root), TcpTransport.COLL, seq, o, false, name);
        sent += bytes;
      }
      if (kids.isEmpty()) {
        t.pool.release(f.payload());
      } else {
        post(mod(kids.get(0) + root), TcpTransport.COLL, seq, f.payload(), false, name);
        sent += bytes;
      }
      c += k;
    }
    return sent;
  }

  // ---- framing ----------------------------------------------------------------------------------

  /**
   * Sends {@code src[off, off+len)} to {@code to} in chunks. With {@code delimit}, the last frame is
   * flagged and an empty message still sends one frame, so the receiver can check the length.
   */
  long sendChunks(int to, byte stream, long seq, float[] src, int off, int len, Wire w, boolean delimit,
      String name) {
    int chunk = chunkBytes / w.bytes;
    long sent = 0;
    int c = 0;
    do {
      int k = Math.min(chunk, len - c);
      if (k == 0 && !delimit) {
        break;
      }
      ByteBuffer o = out(to, k * w.bytes, stream, name);
      codec.pack(o, src, off + c, k, w);
      c += k;
      post(to, stream, seq, o, delimit && c == len, name);
      sent += (long) k * w.bytes;
    } while (c < len);
    return sent;
  }

  /** Receives one delimited message of exactly {@code len} floats from {@code from}. */
  void receiveMessage(int from, byte stream, long seq, float[] dst, int off, int len, String name) {
    int got = 0;
    while (true) {
      TcpTransport.In f = take(from, stream, seq, name);
      int bytes = f.payload().remaining();
      if (bytes % 4 != 0 || got + bytes / 4 > len) {
        throw protocolError(from, "sent more than the " + len + " floats this rank expects", name);
      }
      codec.unpack(f.payload(), dst, off + got, bytes / 4, Wire.FP32);
      got += bytes / 4;
      t.pool.release(f.payload());
      if ((f.flags() & TcpTransport.LAST) != 0) {
        break;
      }
    }
    if (got != len) {
      throw protocolError(from, "sent " + got + " floats where this rank expects " + len, name);
    }
  }

  /**
   * Sends {@code src[off, off+len)} to {@code to} as one collective frame, rounding {@code src} to
   * the wire's precision as it packs when {@code rounded} (see WireCodec.packRounded).
   */
  long sendFrame(int to, long seq, float[] src, int off, int len, Wire w, boolean rounded, String name) {
    ByteBuffer o = out(to, len * w.bytes, TcpTransport.COLL, name);
    if (rounded) {
      codec.packRounded(o, src, off, len, w);
    } else {
      codec.pack(o, src, off, len, w);
    }
    post(to, TcpTransport.COLL, seq, o, false, name);
    return (long) len * w.bytes;
  }

  /**
   * Room for a payload to group rank {@code to}, which the caller fills and posts next (for a peer on
   * this host it lies in the shared ring itself, so nothing else may be sent in between).
   */
  private ByteBuffer out(int to, int bytes, byte stream, String name) {
    return t.outgoing(members[to], bytes, name, stream == TcpTransport.COLL ? stall : null);
  }

  private void post(int to, byte stream, long seq, ByteBuffer payload, boolean last, String name) {
    t.post(members[to], stream, last ? TcpTransport.LAST : 0, id, seq, payload, name,
        stream == TcpTransport.COLL ? stall : null);
  }

  private TcpTransport.In take(int from, byte stream, long seq, String name) {
    boolean coll = stream == TcpTransport.COLL;
    TcpTransport.In f = t.take(coll ? collIn[from] : p2pIn[from], name, coll ? stall : null);
    if (f.seq() != seq) {
      t.pool.release(f.payload());
      throw protocolError(from, outOfStep(coll ? "collective" : "message", f.seq(), seq), name);
    }
    return f;
  }

  /** Floats in a collective frame, checked against what may still arrive. */
  private int count(TcpTransport.In f, Wire w, int left, int from, String name) {
    int bytes = f.payload().remaining();
    String bad = badFrame(bytes, left, w);
    if (bad != null) {
      t.pool.release(f.payload());
      throw protocolError(from, bad, name);
    }
    return bytes / w.bytes;
  }

  /** What is wrong with a frame of {@code bytes} where at most {@code left} values are due; null when nothing. */
  static String badFrame(int bytes, int left, Wire w) {
    if (bytes == 0 || bytes % w.bytes != 0 || bytes / w.bytes > left) {
      return "sent a frame of " + bytes + " bytes where at most " + left + " values of " + w.bytes
          + " bytes were due (do all ranks pass the same length and wire?)";
    }
    return null;
  }

  /** What a peer's frame of {@code what} #{@code got} says while this rank is at #{@code seq}. */
  static String outOfStep(String what, long got, long seq) {
    return "sent data of " + what + " #" + got + " while this rank is at #" + seq
        + " (do all ranks call the same collectives in the same order?)";
  }

  private CommException protocolError(int from, String what, String name) {
    return t.fail(new TcpTransport.Failure(t.describe(members[from]) + " " + what, name), true);
  }

  int next() {
    return mod(rank + 1);
  }

  int mod(int x) {
    return Math.floorMod(x, n);
  }
}
