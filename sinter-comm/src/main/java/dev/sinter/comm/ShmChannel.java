// The same-host data plane between two ranks: one memory-mapped file (set up by ShmSetup) holding a
// single-producer / single-consumer ring buffer per direction. The ring carries TcpTransport's
// frames byte for byte (the 32-byte header, then the payload), so the reader thread, the inboxes,
// failure handling and every algorithm above work unchanged; only the bytes take another road. The
// TCP connection stays open beside it as the control channel: its end of stream is how a rank
// learns that the peer is gone (TcpTransport's watcher thread calls peerGone()).
//
// File layout (little-endian; ShmSetup creates, checks and maps the file):
//   [0, 4096)   magic "SNSM" (u32) | version (u32) | ring bytes R (u64) | token (16 B)
//               ring d's tail at 256 + 256·d and head at 384 + 256·d, each on its own cache lines
//   ring 0      [4096, 4096 + R)       creator → opener
//   ring 1      [4096 + R, 4096 + 2R)  opener → creator
// Positions are byte counts that only grow; a position's place is pos mod R (R a power of two), and
// records start at multiples of 64. The producer writes a record, then publishes the tail with a
// release store; the consumer loads the tail with acquire, copies the record out, then publishes
// the head with a release store. Acquire/release orders the copies between processes as it does
// between threads: both processes map the same physical pages.
//
// Copies: a writer reserves room for a whole frame and the caller packs its floats straight into
// the ring (reserve, then send commits it), so a chunk is copied once on the way in. On the way out,
// a frame that a collective has posted a receive for is applied by the reader where it lies
// (readInPlace: unpacked or combined straight into the caller's float[], see PostedRecv); any other
// frame is copied once into a pooled buffer for its inbox, which the caller unpacks. A frame that fits
// but would run past the end of the ring is preceded by a PAD record that skips to the start, so a
// reserved payload is always one contiguous slice. A frame bigger than half the ring is streamed
// through in pieces, the reader taking each piece as it lands.
//
// Waiting (for space or for data): spin for a few microseconds, then yield, then park for a growing
// fraction of the time waited so far, capped at 1 ms. A busy channel answers in microseconds; an
// idle one costs next to nothing, which matters when communication overlaps compute on few cores.
package dev.sinter.comm;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/** Two rings in one shared file: the frames between this rank and one peer on the same host. */
final class ShmChannel {
  static final int MAGIC = 0x534E534D; // "SNSM"
  static final int VERSION = 1;
  static final int HEADER_PAGE = 4096;
  static final int MIN_RING = 64 << 10;
  static final int MAX_RING = 1 << 30;
  static final int TOKEN_BYTES = 16;
  static final int RING_BYTES_AT = 8;
  static final int TOKEN_AT = 16;
  /** Frame type of a record that only skips to the start of the ring; never leaves this class. */
  static final byte PAD = 0x50;

  private static final int HEADER = TcpTransport.HEADER_BYTES;
  private static final int ALIGN = 64;
  private static final long CONTROL_AT = 256;
  private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
  private static final long SPIN_NS = 5_000;
  private static final long YIELD_NS = 50_000;
  private static final long MIN_PARK_NS = 10_000;
  private static final long MAX_PARK_NS = 1_000_000;
  /** Set in {@link #users} once closed; the count below it is the threads inside the mapping. */
  private static final long CLOSED = 1L << 62;

  /**
   * What a writer waiting for ring space answers to: post's timeout, STALL report and grace for a
   * caller; the defaults (no check, no timeout) are the sender thread's, whose ABORT and BYE must go
   * out whatever has failed.
   */
  interface Guard {
    /** Throws the job's failure, or that the peer has left, as it reads from the operation. */
    default void check() {}

    default long timeoutNs() {
      return Long.MAX_VALUE / 4;
    }

    default long graceNs() {
      return 0;
    }

    /** Called once when the wait has lasted the timeout: tells the group this rank is stuck. */
    default void stalled() {}

    /** The failure to throw when the grace has passed too. */
    CommException timedOut();

    /** The failure to throw when the channel is closed under the caller. */
    CommException closed(IOException cause);

    CommException interrupted();
  }

  /** This side closed the channel, or the peer is gone. */
  static final class Closed extends IOException {
    Closed(String message) {
      super(message);
    }
  }

  /** The sender thread's patience: no timeout, no failure check (ABORT and BYE must still go out). */
  private static final Guard PATIENT = new Guard() {
    public CommException timedOut() {
      throw new IllegalStateException("an unbounded wait cannot time out");
    }

    public CommException closed(IOException cause) {
      throw new IllegalStateException("unused: the sender thread takes Closed as it is");
    }

    public CommException interrupted() {
      return new CommException("sender thread interrupted");
    }
  };

  final Path path;
  final int ringBytes;
  private final Arena arena;
  private final MemorySegment file;
  private final int mask;
  private final long outTailAt;
  private final long outHeadAt;
  private final long inTailAt;
  private final long inHeadAt;
  private final ByteBuffer out;
  private final ByteBuffer in;
  private final BufferPool pool;
  private final AtomicLong users = new AtomicLong();
  private final ReentrantLock producer = new ReentrantLock();
  private volatile boolean peerGone;
  /** A streamed frame was left half-written: nothing may follow it into the ring. */
  private volatile boolean broken;

  // Producer state, under the producer lock.
  private long tail;
  private long headSeen;
  private ByteBuffer reserved;
  private long reservedAt;

  // Consumer state, the reader thread's alone.
  private long readPos;
  private long tailSeen;

  /** Runs the rings of a mapped, validated file (ShmSetup creates and checks it); the creator writes ring 0. */
  ShmChannel(Path path, Arena arena, MemorySegment file, int ringBytes, boolean creator, BufferPool pool) {
    this.path = path;
    this.arena = arena;
    this.file = file;
    this.ringBytes = ringBytes;
    this.mask = ringBytes - 1;
    this.pool = pool;
    int o = creator ? 0 : 1;
    int i = 1 - o;
    this.outTailAt = CONTROL_AT + 256L * o;
    this.outHeadAt = outTailAt + 128;
    this.inTailAt = CONTROL_AT + 256L * i;
    this.inHeadAt = inTailAt + 128;
    this.out = file.asSlice(HEADER_PAGE + (long) o * ringBytes, ringBytes).asByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
    this.in = file.asSlice(HEADER_PAGE + (long) i * ringBytes, ringBytes).asByteBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  // ---- writing ----------------------------------------------------------------------------------

  /** Whether a payload of {@code len} bytes is reserved in place (else it is copied or streamed). */
  boolean fitsInPlace(int len) {
    return align(HEADER + (long) len) <= ringBytes / 2;
  }

  /**
   * Room for a payload of {@code len} bytes: a slice of the ring itself, which the caller fills and
   * then hands to {@link #send} at once, from the same thread (other writers wait meanwhile). A
   * payload too big to reserve gets a pooled buffer instead, which send streams through.
   */
  ByteBuffer reserve(int len, Guard g) {
    if (!fitsInPlace(len)) {
      return pool.get(len);
    }
    g.check();
    acquire(g);
    try {
      reserved = room(HEADER, len, g);
      return reserved;
    } catch (Closed e) {
      release();
      throw g.closed(e);
    } catch (RuntimeException e) {
      release();
      throw e;
    }
  }

  /**
   * Sends one DATA frame. A reservation from {@link #reserve} is published where it lies; any other
   * payload is copied into the ring (streamed in pieces when it is bigger than half of it) and then
   * returned to the pool.
   */
  void send(byte type, byte stream, byte flags, long group, long seq, ByteBuffer payload, Guard g) {
    if (payload == reserved && producer.isHeldByCurrentThread()) {
      reserved = null;
      try {
        g.check();
        finish(type, stream, flags, group, seq, payload.limit());
      } finally {
        release();
      }
      return;
    }
    try {
      g.check();
      acquire(g);
      try {
        copyIn(type, stream, flags, group, seq, payload, g);
      } catch (Closed e) {
        throw g.closed(e);
      } finally {
        release();
      }
    } finally {
      pool.release(payload);
    }
  }

  /** The sender thread's write of a control frame (ABORT, STALL, BYE): waits as long as the channel lives. */
  void write(byte type, byte stream, byte flags, long group, long seq, ByteBuffer payload) throws IOException {
    if (!enter()) {
      throw new Closed("the channel is closed");
    }
    producer.lock();
    try {
      if (!broken) {
        copyIn(type, stream, flags, group, seq, payload, PATIENT);
      }
    } finally {
      producer.unlock();
      exit();
    }
  }

  /** Test hook: puts {@code bytes} into the ring as they are, where the next frame header belongs. */
  void writeRaw(ByteBuffer bytes) throws IOException {
    if (!enter()) {
      throw new Closed("the channel is closed");
    }
    producer.lock();
    try {
      int len = Math.min(bytes.remaining(), ringBytes / 2);
      room(0, len, PATIENT).put(0, bytes, bytes.position(), len);
      publish(reservedAt + align(len));
    } finally {
      producer.unlock();
      exit();
    }
  }

  /** One frame in, in place when it fits, else streamed; the caller holds the lock. */
  private void copyIn(byte type, byte stream, byte flags, long group, long seq, ByteBuffer payload, Guard g)
      throws Closed {
    int len = payload.remaining();
    if (fitsInPlace(len)) {
      room(HEADER, len, g).put(0, payload, payload.position(), len);
      finish(type, stream, flags, group, seq, len);
    } else {
      stream(type, stream, flags, group, seq, payload, g);
    }
  }

  /**
   * Waits for one contiguous record of {@code head + len} bytes at the tail, behind a PAD when it
   * would run past the end of the ring; returns the slice for the {@code len} bytes after the head.
   */
  private ByteBuffer room(int head, int len, Guard g) throws Closed {
    long rec = align(head + (long) len);
    int at = place(tail);
    int pad = at + rec > ringBytes ? ringBytes - at : 0;
    awaitSpace(tail + pad + rec, g);
    if (pad > 0) {
      TcpTransport.putHeader(out, at, PAD, (byte) 0, (byte) 0, 0, 0, pad - HEADER);
      tail += pad;
    }
    reservedAt = tail;
    return out.slice(place(tail) + head, len).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Writes the header of the record {@link #room} made, and publishes record and header together. */
  private void finish(byte type, byte stream, byte flags, long group, long seq, int len) {
    TcpTransport.putHeader(out, place(reservedAt), type, stream, flags, group, seq, len);
    publish(reservedAt + align(HEADER + (long) len));
  }

  /** Header first, then the payload piece by piece as the reader frees room; the caller holds the lock. */
  private void stream(byte type, byte stream, byte flags, long group, long seq, ByteBuffer payload, Guard g)
      throws Closed {
    int len = payload.remaining();
    awaitSpace(tail + ALIGN, g);
    TcpTransport.putHeader(out, place(tail), type, stream, flags, group, seq, len);
    publish(tail + HEADER);
    boolean done = false;
    try {
      for (int sent = 0; sent < len; ) {
        awaitSpace(tail + 1, g);
        int at = place(tail);
        int k = (int) Math.min(Math.min(len - sent, ringBytes - (tail - headSeen)), ringBytes - at);
        out.put(at, payload, payload.position() + sent, k);
        sent += k;
        publish(tail + k);
      }
      awaitSpace(align(tail), g);
      publish(align(tail));
      done = true;
    } finally {
      if (!done) {
        broken = true;
      }
    }
  }

  /** Waits until the ring has room up to position {@code end}; see the file comment for how. */
  private void awaitSpace(long end, Guard g) throws Closed {
    if (end - headSeen <= ringBytes) {
      return;
    }
    long start = System.nanoTime();
    long limit = g.timeoutNs();
    boolean stalled = false;
    while (true) {
      headSeen = (long) LONG.getAcquire(file, outHeadAt);
      if (end - headSeen <= ringBytes) {
        return;
      }
      g.check();
      if ((users.get() & CLOSED) != 0 || broken) {
        throw new Closed(broken ? "a frame to this peer was left half-written" : "the channel is closed");
      }
      if (peerGone && g == PATIENT) {
        throw new Closed("the peer is gone");
      }
      if (Thread.currentThread().isInterrupted()) {
        throw g.interrupted();
      }
      long waited = System.nanoTime() - start;
      if (waited > limit) {
        if (stalled) {
          throw g.timedOut();
        }
        stalled = true;
        g.stalled();
        limit += g.graceNs();
      }
      pause(waited);
    }
  }

  private void publish(long newTail) {
    tail = newTail;
    LONG.setRelease(file, outTailAt, newTail);
  }

  /** The producer lock and a place among the mapping's users, within the caller's patience. */
  private void acquire(Guard g) {
    if (producer.isHeldByCurrentThread()) {
      throw new IllegalStateException("a reservation in the ring to this peer is still open: post it first");
    }
    try {
      if (!producer.tryLock(g.timeoutNs() + g.graceNs(), TimeUnit.NANOSECONDS)) {
        throw g.timedOut();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw g.interrupted();
    }
    if (!enter()) {
      producer.unlock();
      throw g.closed(new Closed("the channel is closed"));
    }
    if (broken) {
      release();
      throw g.closed(new Closed("a frame to this peer was left half-written"));
    }
  }

  private void release() {
    exit();
    producer.unlock();
  }

  // ---- reading (the reader thread) --------------------------------------------------------------

  /**
   * Fills {@code b} from the incoming ring. At a frame start it first steps over alignment and PAD
   * records, and returns false when the peer is gone and everything it sent has been read; inside a
   * frame, the peer's going is an EOFException.
   */
  boolean read(ByteBuffer b, boolean frameStart) throws IOException {
    if (!enter()) {
      return false;
    }
    try {
      if (frameStart) {
        while (true) {
          // The writer may not have published the alignment after a streamed frame yet: wait for it too.
          if (!awaitData((int) (align(readPos) - readPos) + HEADER)) {
            return false;
          }
          readPos = align(readPos);
          int at = place(readPos);
          if (in.getInt(at) != TcpTransport.MAGIC || in.get(at + 4) != TcpTransport.VERSION || in.get(at + 5) != PAD
              || in.getInt(at + 24) != ringBytes - at - HEADER) {
            break;
          }
          readPos += ringBytes - at;
          LONG.setRelease(file, inHeadAt, readPos);
        }
      }
      while (b.hasRemaining()) {
        if (!awaitData(1)) {
          throw new EOFException("end of stream inside a frame");
        }
        int at = place(readPos);
        int k = (int) Math.min(Math.min(b.remaining(), tailSeen - readPos), ringBytes - at);
        b.put(b.position(), in, at, k);
        b.position(b.position() + k);
        readPos += k;
        LONG.setRelease(file, inHeadAt, readPos);
      }
      return true;
    } finally {
      exit();
    }
  }

  /**
   * The reader's look at the next {@code len} payload bytes where they lie, for a posted receive to
   * apply (see PostedRecv): when they are all in the ring in one piece (always so for a frame reserved
   * in place, whose header and payload are published together), hands {@code use} a view of them and
   * steps past them if it returns true. False, with nothing read, when they are not (a streamed
   * frame) or {@code use} declines: the caller then reads them with {@link #read}.
   */
  boolean readInPlace(int len, Predicate<ByteBuffer> use) throws IOException {
    if (!enter()) {
      return false;
    }
    try {
      int at = place(readPos);
      if (at + (long) len > ringBytes) {
        return false;
      }
      if (tailSeen - readPos < len && ready() < len) {
        return false;
      }
      if (!use.test(in.slice(at, len).order(ByteOrder.LITTLE_ENDIAN))) {
        return false;
      }
      readPos += len;
      LONG.setRelease(file, inHeadAt, readPos);
      return true;
    } finally {
      exit();
    }
  }

  /** Waits for {@code n} bytes past the read position; false when the peer is gone or this side closed. */
  private boolean awaitData(int n) throws IOException {
    if (tailSeen - readPos >= n) {
      return true;
    }
    long start = System.nanoTime();
    boolean lastLook = false;
    while (true) {
      if (ready() >= n) {
        return true;
      }
      if ((users.get() & CLOSED) != 0 || lastLook) {
        return false;
      }
      // Everything the peer wrote before its connection closed is visible by now; one more look.
      lastLook = peerGone;
      if (!lastLook) {
        pause(System.nanoTime() - start);
      }
    }
  }

  /** Loads the writer's tail (acquire): the bytes published past the read position. */
  private long ready() throws IOException {
    tailSeen = (long) LONG.getAcquire(file, inTailAt);
    long ready = tailSeen - readPos;
    if (ready < 0 || ready > ringBytes) {
      throw new IOException("the shared ring's positions are corrupt (tail " + tailSeen + ", read " + readPos + ")");
    }
    return ready;
  }

  // ---- lifetime ---------------------------------------------------------------------------------

  /** The peer's control connection has ended: waits on the ring end once what it sent is read. */
  void peerGone() {
    peerGone = true;
  }

  /** Closes this side: waiting readers and writers give up; the mapping goes once the last has left. */
  void close() {
    long before = users.getAndUpdate(u -> u | CLOSED);
    if (before == 0) {
      arena.close();
    }
  }

  private boolean enter() {
    while (true) {
      long u = users.get();
      if ((u & CLOSED) != 0) {
        return false;
      }
      if (users.compareAndSet(u, u + 1)) {
        return true;
      }
    }
  }

  private void exit() {
    if (users.decrementAndGet() == CLOSED) {
      arena.close();
    }
  }

  // ---- small things -----------------------------------------------------------------------------

  private int place(long pos) {
    return (int) (pos & mask);
  }

  private static long align(long x) {
    return (x + ALIGN - 1) & -ALIGN;
  }

  /** One step of a wait that has lasted {@code waitedNs}: spin, then yield, then park a while. */
  private static void pause(long waitedNs) {
    if (waitedNs < SPIN_NS) {
      Thread.onSpinWait();
    } else if (waitedNs < YIELD_NS) {
      Thread.yield();
    } else {
      LockSupport.parkNanos(Math.clamp(waitedNs / 8, MIN_PARK_NS, MAX_PARK_NS));
    }
  }
}
