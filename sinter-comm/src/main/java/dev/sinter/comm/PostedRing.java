// TcpCollectives' ring reduce-scatter and all-gather for a group whose previous rank is on this
// host, so that its frames come through a shared-memory ring: the same steps, the same sends in the
// same order and the same bits, but the receiving half is posted before anything is sent
// (PostedRecv), and the reader thread applies each frame straight from the ring. What is left to the
// caller: send its first shard, then, chunk by chunk as the frames land, pack the partial sums on to
// the next rank (reduce-scatter), finish its own shard (AVG's division, bf16 rounding) and send it
// on (the all-gather begins at once, as on the copy path), and forward the gathered shards.
//
// Why the caller and the reader never touch the same floats at once: the reader writes shard
// r − s − 2 at reduce-scatter step s and shard r − s − 1 at all-gather step s, each range once, and
// the caller reads a range the reader writes only after it has landed. The exceptions are the first
// shard the caller sends (r − 1) and the partial sums it packs on, whose ranges the all-gather
// overwrites later: causality orders those, since the all-gather's frames for a range can only come
// after its owner has reduced it, which needs what this rank sent of it.
package dev.sinter.comm;

/** The posted-receive form of the ring collectives; see TcpCollectives.ring and allGather. */
final class PostedRing {
  private PostedRing() {}

  /** TcpCollectives.ring with posted receives: returns the payload bytes this rank sent. */
  static long ring(TcpCollectives c, float[] buf, int off, int len, ReduceOp op, Wire w, boolean gather, long seq,
      String name) {
    int n = c.n;
    int prev = c.mod(c.rank - 1);
    int next = c.next();
    PostedRecv r = new PostedRecv(c.t, c.collIn[prev], seq, name, c.stall, buf, off, op, w);
    for (int s = 0; s < n - 1; s++) {
      int sh = c.mod(c.rank - s - 2);
      r.add(s == n - 2 ? PostedRecv.Kind.COMBINE : PostedRecv.Kind.PASS, Shards.start(len, n, sh),
          Shards.end(len, n, sh));
    }
    if (gather) {
      planGather(c, r, len);
    }
    try {
      r.post();
      long sent = c.sendChunks(next, TcpTransport.COLL, seq, buf, off + Shards.start(len, n, prev),
          Shards.length(len, n, prev), w, false, name);
      int chunk = c.chunkBytes / w.bytes;
      for (int s = 0; s < n - 1; s++) {
        int sh = c.mod(c.rank - s - 2);
        boolean last = s == n - 2;
        for (int at = Shards.start(len, n, sh), end = Shards.end(len, n, sh), k; at < end; at += k) {
          k = Math.min(chunk, end - at);
          r.await(s, at + k);
          if (!last) {
            sent += c.sendFrame(next, seq, buf, off + at, k, w, false, name);
          } else {
            op.finish(buf, off + at, k, n);
            if (gather) {
              // The finished chunk starts the all-gather at once: the two phases pipeline.
              sent += c.sendFrame(next, seq, buf, off + at, k, w, true, name);
            } else if (w == Wire.BF16) {
              WireCodec.round(buf, off + at, k);
            }
          }
        }
      }
      return gather ? sent + gatherPhase(c, r, n - 1, buf, off, len, w, seq, name) : sent;
    } finally {
      r.cancel();
    }
  }

  /** TcpCollectives.allGather with posted receives. */
  static long allGather(TcpCollectives c, float[] buf, int off, int len, Wire w, long seq) {
    PostedRecv r = new PostedRecv(c.t, c.collIn[c.mod(c.rank - 1)], seq, "all_gather", c.stall, buf, off, null, w);
    planGather(c, r, len);
    try {
      r.post();
      int s = Shards.start(len, c.n, c.rank);
      int e = Shards.end(len, c.n, c.rank);
      if (w == Wire.BF16) {
        WireCodec.round(buf, off + s, e - s);
      }
      long sent = c.sendChunks(c.next(), TcpTransport.COLL, seq, buf, off + s, e - s, w, false, "all_gather");
      return sent + gatherPhase(c, r, 0, buf, off, len, w, seq, "all_gather");
    } finally {
      r.cancel();
    }
  }

  /** The all-gather's frames: at step s, shard r − s − 1 lands as it is. */
  private static void planGather(TcpCollectives c, PostedRecv r, int len) {
    for (int s = 0; s < c.n - 1; s++) {
      int sh = c.mod(c.rank - s - 1);
      r.add(PostedRecv.Kind.UNPACK, Shards.start(len, c.n, sh), Shards.end(len, c.n, sh));
    }
  }

  /**
   * The receiving half of the all-gather, plan segments from {@code first} on: forwards each landed
   * chunk to the next rank, except at the last step, whose shard only lands.
   */
  private static long gatherPhase(TcpCollectives c, PostedRecv r, int first, float[] buf, int off, int len, Wire w,
      long seq, String name) {
    int n = c.n;
    int chunk = c.chunkBytes / w.bytes;
    long sent = 0;
    for (int s = 0; s < n - 1; s++) {
      int sh = c.mod(c.rank - s - 1);
      int end = Shards.end(len, n, sh);
      if (s == n - 2) {
        r.await(first + s, end);
        break;
      }
      for (int at = Shards.start(len, n, sh), k; at < end; at += k) {
        k = Math.min(chunk, end - at);
        r.await(first + s, at + k);
        // The values landed from bf16 and pack back to the same bits.
        sent += c.sendFrame(c.next(), seq, buf, off + at, k, w, false, name);
      }
    }
    return sent;
  }
}
