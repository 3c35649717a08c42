// The data plane under TcpGroup: one authenticated TCP connection per pair of ranks (a full mesh,
// built by TcpMesh), shared by the root group, every sub-group carved from it by split(), and
// point-to-point traffic.
//
// Each connection has a reader thread and a sender thread. The reader pulls frames off the socket
// into direct buffers and files each one in the inbox of (group id, peer, stream), so groups and
// point-to-point messages never mix, and it always drains, whatever the caller is doing; that is
// what makes blocking writes safe from deadlock. The sender writes queued frames with one gathering
// write (header + payload) and returns the payload buffer to the pool. The caller never touches a
// socket: it packs chunks into pooled direct buffers, posts them, and takes frames from inboxes.
//
// A peer on the same host exchanges the same frames through a shared-memory channel instead (see
// ShmChannel and ShmSetup): the caller packs straight into the ring (outgoing() hands it room there)
// and posts write it synchronously, the reader thread reads the ring, the sender thread carries only
// ABORT, STALL and BYE, and a watcher thread waits on the TCP connection, whose end means the peer is
// gone. One thing more on that road: a ring collective may post a receive on an inbox (PostedRecv),
// and the reader then applies that collective's frames straight from the ring into the caller's
// float[] instead of copying them out. Everything else here is the same on both roads.
//
// Frame (little-endian), 32 bytes of header then the payload:
//   magic "SNDT" (u32) | version (u8) | type (u8: DATA, ABORT, BYE, STALL) | stream (u8: collective, p2p)
//   | flags (u8: LAST) | group id (i64) | sequence (i64) | payload length (u32) | reserved (u32)
//
// Failure: the first error (a peer's EOF or reset, a timeout, a malformed frame, a peer's ABORT)
// is recorded once, wakes every waiter of every group, and makes every current and later operation
// throw a CommException naming the peer and the operation. A rank that times out or detects a
// protocol error tells its peers with an ABORT frame, so every rank reports the same root cause.
//
// Naming a silent rank: when a collective stalls, every rank of the group that is stuck in it
// times out at about the same moment, but most of them wait on a neighbour that is itself stuck.
// So a rank that times out first sends STALL (group, operation number) to its peers, waits a
// short grace, and then blames the members that did not report being stuck in that operation:
// the ones that never joined it. Every rank computes the same set, so whichever ABORT arrives
// first, every rank names the same peer.
package dev.sinter.comm;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/** Connections, threads, inboxes and failure state shared by a TcpGroup and its sub-groups. */
final class TcpTransport {
  static final Logger LOG = Logger.getLogger("dev.sinter.comm");

  static final int MAGIC = 0x534E4454; // "SNDT"
  static final int VERSION = 1;
  static final int HEADER_BYTES = 32;
  static final byte DATA = 1;
  static final byte ABORT = 2;
  static final byte BYE = 3;
  static final byte STALL = 4;
  /** Never on the wire as a type: bytes a test injects as they are, to corrupt the stream. */
  static final byte RAW = 0;
  static final byte COLL = 0;
  static final byte P2P = 1;
  static final byte LAST = 1;
  /** Largest payload a reader accepts; a longer one is refused before any buffer is allocated. */
  static final int MAX_FRAME = 64 << 20;
  /** Frames a caller may have queued to one peer before it waits: bounds memory, keeps the pipe full. */
  static final int CREDITS = 16;

  /** A received frame; the taker owns {@code payload} and must release or forward it. */
  record In(long seq, byte flags, ByteBuffer payload) {}

  /** A wake-up in an inbox: not a frame; its taker looks at the job's state again. */
  static final In POISON = new In(-1, (byte) 0, null);

  /** A frame to send; the sender thread owns {@code payload} once it is queued. */
  record Out(byte type, byte stream, byte flags, long group, long seq, ByteBuffer payload, boolean credited) {}

  private static final Out STOP = new Out((byte) 0, (byte) 0, (byte) 0, 0, 0, null, false);

  /** The first failure: what happened and, when known where it happened, during which operation. */
  record Failure(String cause, String op) {}

  /** Which collective a wait belongs to, so a timeout can find the members that never joined it. */
  record Stall(long group, long seq, int[] members) {}

  /**
   * Frames from one peer for one (group, stream), and the receive a collective has posted for them,
   * if any (set and cleared under the inbox's monitor; see PostedRecv).
   */
  static final class Inbox {
    final int peer;
    final LinkedBlockingQueue<In> q = new LinkedBlockingQueue<>();
    volatile PostedRecv posted;

    Inbox(int peer) {
      this.peer = peer;
    }

    /** Wakes whoever waits on this inbox, in take() or on a posted receive. */
    void poke() {
      q.add(POISON);
      PostedRecv r = posted;
      if (r != null) {
        r.wake();
      }
    }
  }

  private record Key(long group, int peer, byte stream) {}

  private record Op(long group, long seq) {}

  /** One connected peer. */
  static final class Peer {
    final int rank;
    final String address;
    final SocketChannel ch;
    /** The shared-memory channel to a peer on this host, or null when frames go over the socket. */
    final ShmChannel shm;
    /** How frames reach this peer, for the log: shared memory, or TCP and why. */
    final String via;
    final LinkedBlockingDeque<Out> sendQ = new LinkedBlockingDeque<>();
    final Semaphore credits = new Semaphore(CREDITS);
    volatile boolean left;
    Thread reader;
    Thread sender;

    Peer(int rank, String address, SocketChannel ch, ShmSetup.Result link) {
      this.rank = rank;
      this.address = address;
      this.ch = ch;
      this.shm = link.channel();
      this.via = link.via();
    }

    String describe() {
      return "rank " + rank + " (" + address + ")";
    }
  }

  final int rank;
  final int size;
  final long timeoutNs;
  /**
   * Extra wait after a timeout, for the other stuck ranks' STALL reports (or an ABORT) to arrive,
   * so that every rank blames the same peer.
   */
  final long graceNs;
  final BufferPool pool;
  final Peer[] peers;
  private final ConcurrentHashMap<Key, Inbox> inboxes = new ConcurrentHashMap<>();
  /** World ranks that reported being stuck in each collective (only ever filled on a timeout). */
  private final ConcurrentHashMap<Op, java.util.Set<Integer>> stalls = new ConcurrentHashMap<>();
  private volatile Failure failure;
  private volatile boolean closing;
  /** DATA frames a posted receive applied straight from a shared-memory ring (for tests and tuning). */
  final LongAdder landedInPlace = new LongAdder();
  /** The listener and its accept thread, once the mesh is built. */
  private TcpMesh mesh;

  TcpTransport(int rank, int size, Duration timeout, int chunkBytes) {
    this.rank = rank;
    this.size = size;
    this.timeoutNs = timeout.toNanos();
    this.graceNs = Math.max(TimeUnit.MILLISECONDS.toNanos(100), Math.min(timeoutNs / 4, TimeUnit.SECONDS.toNanos(5)));
    this.pool = new BufferPool(chunkBytes);
    this.peers = new Peer[size];
  }

  // ---- bootstrap --------------------------------------------------------------------------------

  /** Builds the mesh (see TcpMesh) and starts a reader and a sender thread per connection. */
  static TcpTransport open(TcpGroup.Context ctx, StoreClient store) {
    TcpTransport t = new TcpTransport(ctx.rank(), ctx.worldSize(), ctx.timeout(), ctx.chunkBytes());
    try {
      t.mesh = TcpMesh.build(t, ctx, store);
    } catch (RuntimeException e) {
      t.closeNow();
      throw e;
    }
    for (Peer p : t.peers) {
      if (p != null) {
        p.reader = Thread.ofPlatform().daemon().name("sinter-tcp-r" + t.rank + "-read-" + p.rank)
            .start(() -> t.readLoop(p));
        p.sender = Thread.ofPlatform().daemon().name("sinter-tcp-r" + t.rank + "-send-" + p.rank)
            .start(() -> t.sendLoop(p));
        if (p.shm != null) {
          Thread.ofPlatform().daemon().name("sinter-tcp-r" + t.rank + "-watch-" + p.rank)
              .start(() -> t.watchLoop(p));
        }
      }
    }
    return t;
  }

  /**
   * Adopts an authenticated connection to {@code peer}; false when that rank is already connected
   * or the transport is closing (the caller then drops the connection).
   */
  synchronized boolean register(SocketChannel ch, int peer, String addr, ShmSetup.Result link) {
    if (peers[peer] != null || closing) {
      return false;
    }
    try {
      ch.socket().setSoTimeout(0);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
    } catch (IOException e) {
      throw new CommException("rank " + rank + ": cannot configure the connection to rank " + peer, e);
    }
    peers[peer] = new Peer(peer, addr, ch, link);
    return true;
  }

  boolean closing() {
    return closing;
  }

  // ---- the threads ------------------------------------------------------------------------------

  private void readLoop(Peer p) {
    ByteBuffer hdr = ByteBuffer.allocateDirect(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (true) {
        hdr.clear();
        if (!read(p, hdr, true)) {
          if (!p.left && !closing) {
            fail(new Failure(p.describe() + " closed the connection", null), false);
          }
          return;
        }
        int magic = hdr.getInt(0);
        int version = hdr.get(4);
        byte type = hdr.get(5);
        byte stream = hdr.get(6);
        byte flags = hdr.get(7);
        long group = hdr.getLong(8);
        long seq = hdr.getLong(16);
        int len = hdr.getInt(24);
        if (magic != MAGIC || version != VERSION || len < 0 || len > MAX_FRAME || type < DATA || type > STALL) {
          fail(new Failure(p.describe() + String.format(" sent a malformed frame (magic 0x%08x, version %d, type %d,"
              + " length %d)", magic, version, type, len), null), true);
          // Stop reading (nothing after a bad header can be trusted) but keep the socket open,
          // so the ABORT still reaches that peer instead of a bare end of stream.
          return;
        }
        Inbox box = type == DATA ? inbox(group, p.rank, stream) : null;
        if (box != null && p.shm != null && PostedRecv.landInPlace(box, seq, len, p.shm)) {
          landedInPlace.increment();
          continue;
        }
        ByteBuffer payload = pool.get(len);
        if (len > 0 && !read(p, payload, false)) {
          throw new EOFException();
        }
        payload.flip();
        switch (type) {
          case DATA -> {
            if (p.shm != null) {
              PostedRecv.file(box, new In(seq, flags, payload), pool);
            } else {
              box.q.add(new In(seq, flags, payload));
            }
          }
          case ABORT -> {
            String[] m = StandardCharsets.UTF_8.decode(payload).toString().split("\n", 2);
            fail(new Failure("rank " + p.rank + " gave up: " + (m.length > 1 ? m[1] : m[0]), m[0]), false);
          }
          case STALL -> {
            stuck(group, seq).add(p.rank);
            pool.release(payload);
          }
          default -> {
            p.left = true;
            wake(p.rank);
          }
        }
      }
    } catch (IOException e) {
      if (!p.left && !closing) {
        // A shared ring that makes no sense is a protocol error, which the peer must hear of too.
        boolean broke = p.shm != null && !(e instanceof EOFException);
        fail(new Failure(p.describe() + (broke ? " broke the shared-memory channel (" : " closed the connection (")
            + e.getMessage() + ")", null), broke);
      }
    }
  }

  /** Fills {@code b} from the peer's ring or socket; false on a clean end at a frame start. */
  private static boolean read(Peer p, ByteBuffer b, boolean frameStart) throws IOException {
    return p.shm != null ? p.shm.read(b, frameStart) : readFully(p.ch, b, frameStart);
  }

  /** A shared-memory peer's TCP connection carries nothing after setup: its end means the peer is gone. */
  private void watchLoop(Peer p) {
    try {
      if (p.ch.read(ByteBuffer.allocate(1)) > 0) {
        fail(new Failure(p.describe() + " sent data on its control connection, which carries none", null), true);
        return;
      }
    } catch (IOException e) {
      // Reset or closed: gone, as at end of stream.
    }
    p.shm.peerGone();
  }

  /** Reads until {@code b} is full; false on a clean end of stream before the first byte. */
  private static boolean readFully(SocketChannel ch, ByteBuffer b, boolean eofAllowed) throws IOException {
    boolean first = true;
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        if (first && eofAllowed) {
          return false;
        }
        throw new EOFException("end of stream inside a frame");
      }
      first = false;
    }
    return true;
  }

  private void sendLoop(Peer p) {
    ByteBuffer hdr = ByteBuffer.allocateDirect(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer[] both = {hdr, null};
    try {
      while (true) {
        Out o = p.sendQ.take();
        if (o == STOP) {
          return;
        }
        if (o.type == DATA && failure != null) {
          // The job is failing: drop data, but keep ABORT and BYE flowing.
          done(p, o);
          continue;
        }
        ByteBuffer payload = o.payload != null ? o.payload : ByteBuffer.allocate(0);
        if (o.type == RAW) {
          if (p.shm != null) {
            p.shm.writeRaw(payload);
          } else {
            while (payload.hasRemaining()) {
              p.ch.write(payload);
            }
          }
          continue;
        }
        if (p.shm != null) {
          p.shm.write(o.type, o.stream, o.flags, o.group, o.seq, payload);
          done(p, o);
          if (o.type == BYE) {
            p.ch.shutdownOutput();
          }
          continue;
        }
        hdr.clear();
        putHeader(hdr, 0, o.type, o.stream, o.flags, o.group, o.seq, payload.remaining());
        both[1] = payload;
        while (hdr.hasRemaining() || payload.hasRemaining()) {
          p.ch.write(both);
        }
        done(p, o);
        if (o.type == BYE) {
          p.ch.shutdownOutput();
        }
      }
    } catch (IOException e) {
      if (!p.left && !closing) {
        fail(new Failure(p.describe() + " closed the connection (" + e.getMessage() + ")", null), false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes a frame header (see the file comment) at {@code at} of {@code b}, leaving its position alone. */
  static void putHeader(ByteBuffer b, int at, byte type, byte stream, byte flags, long group, long seq, int len) {
    b.putInt(at, MAGIC).put(at + 4, (byte) VERSION).put(at + 5, type).put(at + 6, stream).put(at + 7, flags)
        .putLong(at + 8, group).putLong(at + 16, seq).putInt(at + 24, len).putInt(at + 28, 0);
  }

  private void done(Peer p, Out o) {
    pool.release(o.payload);
    if (o.credited) {
      p.credits.release();
    }
  }

  // ---- what groups call -------------------------------------------------------------------------

  Inbox inbox(long group, int peer, byte stream) {
    return inboxes.computeIfAbsent(new Key(group, peer, stream), k -> new Inbox(peer));
  }

  /** Whether frames from {@code peer} come through shared memory, where posted receives land in place. */
  boolean landsInPlace(int peer) {
    Peer p = peers[peer];
    return p != null && p.shm != null;
  }

  /**
   * A buffer for {@code bytes} of payload to {@code peer}, to be filled and posted next by this
   * thread: room in the ring itself for a shared-memory peer (so the chunk is copied once), else a
   * pooled direct buffer.
   */
  ByteBuffer outgoing(int peer, int bytes, String op, Stall stall) {
    Peer p = peers[peer];
    return p != null && p.shm != null ? p.shm.reserve(bytes, new ShmGuard(this, p, op, stall)) : pool.get(bytes);
  }

  /**
   * Queues {@code payload} (which the sender thread then owns) for {@code peer}, waiting for a
   * credit when the peer is slow to take data.
   */
  void post(int peer, byte stream, byte flags, long group, long seq, ByteBuffer payload, String op, Stall stall) {
    Peer p = peers[peer];
    if (p == null) {
      // Point-to-point to oneself: straight into one's own inbox.
      inbox(group, peer, stream).q.add(new In(seq, flags, payload));
      return;
    }
    if (p.shm != null) {
      p.shm.send(DATA, stream, flags, group, seq, payload, new ShmGuard(this, p, op, stall));
      return;
    }
    check(op);
    if (p.left) {
      pool.release(payload);
      throw left(p, op);
    }
    try {
      if (!p.credits.tryAcquire(timeoutNs, TimeUnit.NANOSECONDS)) {
        reportStall(stall);
        if (!p.credits.tryAcquire(graceNs, TimeUnit.NANOSECONDS)) {
          pool.release(payload);
          throw fail(new Failure(timeoutCause(peer, stall, "sending to"), op), true);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.release(payload);
      throw new CommException("rank " + rank + ": interrupted during " + op, e);
    }
    if (failure != null) {
      // A failure releases every credit to wake the posters; this one must not go out.
      pool.release(payload);
      check(op);
    }
    p.sendQ.add(new Out(DATA, stream, flags, group, seq, payload, true));
  }

  /**
   * The next frame in {@code box}, or a CommException naming the peer when it fails or falls
   * silent ({@code stall} null for point-to-point, where the peer is the only suspect).
   */
  In take(Inbox box, String op, Stall stall) {
    In f = box.q.poll();
    if (f != null && f != POISON) {
      return f;
    }
    long deadline = System.nanoTime() + timeoutNs;
    boolean graced = false;
    while (true) {
      check(op);
      Peer p = peers[box.peer];
      if (p != null && p.left && box.q.isEmpty()) {
        throw left(p, op);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        if (!graced) {
          graced = true;
          deadline += graceNs;
          reportStall(stall);
          continue;
        }
        throw fail(new Failure(timeoutCause(box.peer, stall, "waiting for"), op), true);
      }
      try {
        f = box.q.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CommException("rank " + rank + ": interrupted during " + op, e);
      }
      if (f != null && f != POISON) {
        return f;
      }
    }
  }

  private java.util.Set<Integer> stuck(long group, long seq) {
    return stalls.computeIfAbsent(new Op(group, seq), k -> ConcurrentHashMap.newKeySet());
  }

  /** Tells the group's members that this rank is stuck in collective {@code stall.seq}. */
  void reportStall(Stall stall) {
    if (stall == null) {
      return;
    }
    stuck(stall.group, stall.seq).add(rank);
    for (int m : stall.members) {
      Peer p = peers[m];
      if (p != null && !p.left) {
        p.sendQ.offerFirst(new Out(STALL, COLL, (byte) 0, stall.group, stall.seq, null, false));
      }
    }
  }

  /** Blames the members that never reported being stuck in the collective; see the file comment. */
  String timeoutCause(int waited, Stall stall, String doing) {
    String base = "timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms " + doing + " ";
    if (stall == null) {
      return base + describe(waited);
    }
    java.util.Set<Integer> stuck = stuck(stall.group, stall.seq);
    List<Integer> suspects = new ArrayList<>();
    for (int m : stall.members) {
      if (m != rank && !stuck.contains(m)) {
        suspects.add(m);
      }
    }
    if (suspects.isEmpty()) {
      return base + describe(waited) + "; every rank of the group is stuck in it too (do all ranks call the same"
          + " collectives in the same order?)";
    }
    StringBuilder who = new StringBuilder();
    for (int m : suspects) {
      who.append(who.isEmpty() ? "" : ", ").append(describe(m));
    }
    return "timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms waiting for " + who
        + (suspects.contains(waited) ? "" : " (rank " + rank + " was " + doing + " rank " + waited
        + ", which is stuck too)");
  }

  String describe(int peer) {
    Peer p = peers[peer];
    return p != null ? p.describe() : "rank " + peer + " (this process)";
  }

  /** Throws the recorded failure, if any, as it reads from the operation {@code op}. */
  void check(String op) {
    Failure f = failure;
    if (f != null) {
      throw exception(f, op);
    }
  }

  private CommException exception(Failure f, String op) {
    return new CommException(f.cause + " during " + (f.op != null ? f.op : op) + " (on rank " + rank + ")");
  }

  CommException left(Peer p, String op) {
    return new CommException(p.describe() + " has left the job (closed its communicator) during " + op + " (on rank "
        + rank + ")");
  }

  /**
   * Records {@code f} if it is the first failure, wakes every waiter and, when {@code tell}, sends
   * an ABORT to every peer. Returns the exception for the first failure, which callers throw.
   */
  CommException fail(Failure f, boolean tell) {
    boolean first;
    synchronized (this) {
      first = failure == null;
      if (first) {
        failure = f;
      }
    }
    if (first) {
      LOG.warning(f.cause + (f.op != null ? " during " + f.op : "") + " (on rank " + rank + ")");
      for (Inbox box : inboxes.values()) {
        box.poke();
      }
      for (Peer p : peers) {
        if (p != null) {
          // Wakes posters blocked on credits; they then see the failure.
          p.credits.release(1 << 20);
          if (tell && !p.left) {
            byte[] m = (f.op + "\n" + f.cause).getBytes(StandardCharsets.UTF_8);
            p.sendQ.offerFirst(new Out(ABORT, COLL, (byte) 0, 0, 0, ByteBuffer.wrap(m), false));
          }
        }
      }
    }
    return exception(failure, f.op);
  }

  /** Forgets a closed sub-group's inboxes, releasing any frames still in them. */
  void dropInboxes(long group) {
    inboxes.entrySet().removeIf(e -> {
      if (e.getKey().group != group) {
        return false;
      }
      for (In f : e.getValue().q) {
        pool.release(f.payload());
      }
      return true;
    });
  }

  /** Wakes the waiters on one peer's inboxes (it said goodbye). */
  private void wake(int peer) {
    for (var e : inboxes.entrySet()) {
      if (e.getKey().peer == peer) {
        e.getValue().poke();
      }
    }
  }

  // ---- shutdown ---------------------------------------------------------------------------------

  /**
   * Leaves the job politely: flushes queued frames, says BYE, half-closes, waits briefly for each
   * peer to do the same, then releases sockets and threads.
   */
  void close() {
    if (closing) {
      return;
    }
    closing = true;
    if (mesh != null) {
      mesh.close();
    }
    long flushNs = Math.min(timeoutNs, TimeUnit.SECONDS.toNanos(10));
    for (Peer p : peers) {
      if (p != null && p.sender != null) {
        p.sendQ.add(new Out(BYE, COLL, (byte) 0, 0, 0, null, false));
        p.sendQ.add(STOP);
      }
    }
    long deadline = System.nanoTime() + flushNs;
    for (Peer p : peers) {
      if (p != null) {
        join(p.sender, deadline);
      }
    }
    // A short wait for peers closing at the same moment to finish, so their last frames are read
    // rather than reset. Not longer: a peer that stays has our BYE and will not miss us, and any
    // frame it sends later is answered by a reset that its closing side ignores.
    long linger = System.nanoTime() + Math.min(flushNs, TimeUnit.MILLISECONDS.toNanos(200));
    for (Peer p : peers) {
      if (p != null) {
        join(p.reader, linger);
      }
    }
    closeNow();
  }

  /** Closes every socket at once; a caller still waiting in another thread fails at once. */
  void closeNow() {
    closing = true;
    synchronized (this) {
      if (failure == null) {
        failure = new Failure("this rank's communicator was closed", null);
      }
    }
    if (mesh != null) {
      mesh.close();
    }
    for (Peer p : peers) {
      if (p != null) {
        closeQuietly(p.ch);
        p.sendQ.add(STOP);
        if (p.shm != null) {
          p.shm.close();
        }
      }
    }
    for (Inbox box : inboxes.values()) {
      box.poke();
    }
  }

  /** Test hook: queues {@code bytes} for {@code peer} as they are, with no frame around them. */
  void injectForTest(int peer, byte[] bytes) {
    peers[peer].sendQ.add(new Out(RAW, COLL, (byte) 0, 0, 0, ByteBuffer.wrap(bytes), false));
  }

  /** Simulates a crash: resets every connection with no goodbye, as the kernel does for kill -9. */
  void crash() {
    for (Peer p : peers) {
      if (p != null) {
        try {
          p.ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException ignored) {
          // Already closed.
        }
      }
    }
    failure = new Failure("this rank crashed (simulated)", null);
    closeNow();
  }

  private static void join(Thread t, long deadline) {
    if (t == null) {
      return;
    }
    try {
      t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // Nothing more to release.
      }
    }
  }

}
