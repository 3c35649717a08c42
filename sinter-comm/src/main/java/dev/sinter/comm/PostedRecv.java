// Posted receives: the receiving half of the ring collectives, done by the reader thread straight
// from the shared-memory ring. Before it sends anything, a ring reduce-scatter or all-gather whose
// previous rank is on this host posts, for the frames of that collective from that rank, where each
// lands in its float[] and what it does there (the plan: one range per ring step, in arrival order):
//   PASS     a partial sum passing through:     buf = in ⊕ round(buf)   (then the caller packs it on)
//   COMBINE  the last reduce-scatter step:      buf = round(buf) ⊕ in   (then the caller finishes it)
//   UNPACK   an all-gather step:                buf = in
// exactly the operations, operand order and rounding of WireCodec's combineOut / combineInto /
// unpack on the copy path, so the bits are the same. The reader applies each frame where it lies in
// the ring (ShmChannel.readInPlace) and only then frees its room, so the copy out of the ring into a
// pooled buffer, and the caller's pass over that copy, are gone; the reader still never waits for
// the caller, so the rings always drain and the algorithms may still send a whole shard before they
// receive. The caller waits for progress (floats applied, in plan order) and does the rest per chunk.
//
// Frames that arrive before the post (the previous rank may start the next collective while this
// one finishes) went the copy path into the inbox; post() takes them out and applies them first.
// Frames of other collectives stay in the inbox: a later one's may already wait there (a peer runs
// ahead through collectives that send it nothing), and finding one before this collective's frames
// have all landed means the peer is out of step, as take() would say.
// Frames that the reader finds no posted receive for, and frames not in one piece in the ring
// (streamed, bigger than half of it), are copied out as before; when a receive was posted meanwhile,
// the reader applies it from the copy. Every application, by either thread, runs under one lock in
// arrival order.
//
// Failure: the caller's wait has take()'s rules (timeout, STALL report and grace, the job's failure,
// the peer's goodbye, stray frames of another collective as a protocol error), and whatever way the
// caller leaves the collective, cancel() runs first: it takes the lock (so an application in
// progress ends first) and marks the receive cancelled, so the reader never writes into the
// caller's array after the caller has returned; later frames go to the inbox like any other.
package dev.sinter.comm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/** Where one collective's frames from one peer land, and what they do there; applied by the reader. */
final class PostedRecv {
  /** What a frame does to its range of the buffer; see the file comment. */
  enum Kind { PASS, COMBINE, UNPACK }

  /** Floats per step of an application: its scratch stays in the L1 cache. */
  private static final int BLOCK = 4096;

  final long seq;
  /** World rank of the sender. */
  final int peer;
  private final TcpTransport t;
  private final TcpTransport.Inbox box;
  private final String op;
  private final TcpTransport.Stall stall;
  private final float[] buf;
  private final int off;
  private final ReduceOp reduce;
  private final Wire w;
  private final Thread waiter = Thread.currentThread();
  private final WireCodec codec = new WireCodec();
  private final ReentrantLock lock = new ReentrantLock();

  // The plan, fixed before post(): range [start, end) of buf (relative to off) per segment, and the
  // floats of the plan before each segment.
  private int segments;
  private int[] start = new int[4];
  private int[] end = new int[4];
  private Kind[] kinds = new Kind[4];
  private long[] before = new long[5];

  // Progress, under the lock: the segment and position the next frame lands at.
  private int seg;
  private int at;
  private boolean cancelled;
  /** Floats applied so far, in plan order; written under the lock, read by the waiting caller. */
  private volatile long done;

  PostedRecv(TcpTransport t, TcpTransport.Inbox box, long seq, String op, TcpTransport.Stall stall, float[] buf,
      int off, ReduceOp reduce, Wire w) {
    this.t = t;
    this.box = box;
    this.peer = box.peer;
    this.seq = seq;
    this.op = op;
    this.stall = stall;
    this.buf = buf;
    this.off = off;
    this.reduce = reduce;
    this.w = w;
  }

  /** Appends the next range frames land in, {@code [from, to)} of the buffer (relative to off). */
  void add(Kind kind, int from, int to) {
    if (segments == start.length) {
      start = Arrays.copyOf(start, 2 * segments);
      end = Arrays.copyOf(end, 2 * segments);
      kinds = Arrays.copyOf(kinds, 2 * segments);
      before = Arrays.copyOf(before, 2 * segments + 1);
    }
    start[segments] = from;
    end[segments] = to;
    kinds[segments] = kind;
    before[segments + 1] = before[segments] + (to - from);
    segments++;
  }

  // ---- the caller -------------------------------------------------------------------------------

  /**
   * Posts the receive: from now on the reader applies this collective's frames from the peer. Frames
   * that came before are applied here, first.
   */
  void post() {
    List<TcpTransport.In> early = new ArrayList<>();
    lock.lock();
    try {
      synchronized (box) {
        // Only this collective's: a peer may run ahead through collectives that send it nothing,
        // and their frames wait behind these for their own turn.
        for (TcpTransport.In f; (f = box.q.peek()) != null && (f == TcpTransport.POISON || f.seq() == seq); ) {
          box.q.poll();
          if (f != TcpTransport.POISON) {
            early.add(f);
          }
        }
        box.posted = this;
      }
      at = segments > 0 ? start[0] : 0;
      settle();
      String bad = null;
      for (TcpTransport.In f : early) {
        if (bad == null) {
          bad = apply(f.payload());
        }
        t.pool.release(f.payload());
      }
      if (bad != null) {
        throw t.fail(new TcpTransport.Failure(t.describe(peer) + " " + bad, op), true);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the frames of segment {@code segment} have landed up to {@code upTo} (relative to
   * off), with take()'s rules: a CommException naming the peer on failure, goodbye or timeout.
   */
  void await(int segment, int upTo) {
    long target = before[segment] + (upTo - start[segment]);
    long seen = done;
    if (seen >= target) {
      return;
    }
    long deadline = System.nanoTime() + t.timeoutNs;
    boolean graced = false;
    while (true) {
      long d = done;
      if (d >= target) {
        return;
      }
      if (d != seen) {
        // Progress: the wait starts afresh, as a new take() would.
        seen = d;
        deadline = System.nanoTime() + t.timeoutNs;
        graced = false;
      }
      t.check(op);
      for (TcpTransport.In f; (f = box.q.peek()) != null; ) {
        if (f == TcpTransport.POISON) {
          box.q.poll();
          continue;
        }
        // Another collective's frame: fine once this one's have all landed (the reader applies them
        // in order), else the peer is out of step.
        if (done >= target) {
          return;
        }
        box.q.poll();
        t.pool.release(f.payload());
        String why = TcpCollectives.outOfStep("collective", f.seq(), seq);
        throw t.fail(new TcpTransport.Failure(t.describe(peer) + " " + why, op), true);
      }
      TcpTransport.Peer p = t.peers[peer];
      if (p.left) {
        if (done >= target) {
          return;
        }
        throw t.left(p, op);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        if (!graced) {
          graced = true;
          deadline += t.graceNs;
          t.reportStall(stall);
          continue;
        }
        throw t.fail(new TcpTransport.Failure(t.timeoutCause(peer, stall, "waiting for"), op), true);
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new CommException("rank " + t.rank + ": interrupted during " + op);
      }
      LockSupport.parkNanos(this, left);
    }
  }

  /**
   * Withdraws the receive, however the collective ends: once this returns, the reader never touches
   * the buffer again (an application in progress finishes first), and later frames go to the inbox.
   */
  void cancel() {
    synchronized (box) {
      if (box.posted == this) {
        box.posted = null;
      }
    }
    lock.lock();
    try {
      cancelled = true;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the waiting caller, to look at the job's state (a failure, a goodbye). */
  void wake() {
    LockSupport.unpark(waiter);
  }

  // ---- the reader thread ------------------------------------------------------------------------

  /**
   * Lands the DATA frame of {@code len} bytes whose header the reader just read straight from the
   * ring, when a receive is posted for it and it lies there in one piece; false otherwise (the reader
   * then copies it out and {@link #file}s it).
   */
  static boolean landInPlace(TcpTransport.Inbox box, long seq, int len, ShmChannel ch) throws IOException {
    PostedRecv r = box.posted;
    return r != null && r.seq == seq && ch.readInPlace(len, r::deliver);
  }

  /** Files a frame the reader copied out: in the inbox, or through a receive posted for it meanwhile. */
  static void file(TcpTransport.Inbox box, TcpTransport.In f, BufferPool pool) {
    while (true) {
      PostedRecv r;
      synchronized (box) {
        r = box.posted;
        if (r == null || r.seq != f.seq()) {
          box.q.add(f);
          return;
        }
      }
      if (r.deliver(f.payload())) {
        pool.release(f.payload());
        return;
      }
      // Cancelled meanwhile, and so no longer posted: the next look files it in the inbox.
    }
  }

  /**
   * Applies one frame; false when the receive is cancelled. A frame that does not fit the plan fails
   * the job, naming the peer, as the copy path's checks do.
   */
  private boolean deliver(ByteBuffer frame) {
    lock.lock();
    try {
      if (cancelled) {
        return false;
      }
      String bad = apply(frame);
      if (bad != null) {
        t.fail(new TcpTransport.Failure(t.describe(peer) + " " + bad, op), true);
      }
    } finally {
      lock.unlock();
    }
    LockSupport.unpark(waiter);
    return true;
  }

  /** Applies {@code frame} at the current position, under the lock; else says what is wrong with it. */
  private String apply(ByteBuffer frame) {
    int bytes = frame.remaining();
    String bad = TcpCollectives.badFrame(bytes, seg < segments ? end[seg] - at : 0, w);
    if (bad != null) {
      return bad;
    }
    int k = bytes / w.bytes;
    Kind kind = kinds[seg];
    for (int i = 0; i < k; i += BLOCK) {
      int kb = Math.min(BLOCK, k - i);
      ByteBuffer in = frame.slice(frame.position() + i * w.bytes, kb * w.bytes).order(ByteOrder.LITTLE_ENDIAN);
      int o = off + at + i;
      switch (kind) {
        case PASS -> codec.combinePass(in, buf, o, kb, reduce, w);
        case COMBINE -> codec.combineInto(in, buf, o, kb, reduce, w);
        case UNPACK -> codec.unpack(in, buf, o, kb, w);
      }
    }
    at += k;
    settle();
    done += k;
    return null;
  }

  /** Steps past finished (and empty) segments. */
  private void settle() {
    while (seg < segments && at >= end[seg]) {
      seg++;
      if (seg < segments) {
        at = start[seg];
      }
    }
  }
}
