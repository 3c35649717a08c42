// How a TCP job's ranks find and admit each other: each rank listens on an ephemeral port (on the
// bind address, loopback by default), publishes host:port in the rendezvous store, connects to
// every lower rank and accepts every higher one. Every connection passes the HMAC handshake both
// ways; the identities it authenticates carry the job key, world size, rank and listening address,
// so a connection from another job, a wrong rank or a duplicate is logged and dropped. The listener
// stays up for the life of the job, turning away (and logging) anyone who knocks later. Right after
// the handshake, each pair checks whether it shares a host and, if so, sets up its shared-memory
// channel over the authenticated connection (ShmSetup); the connection itself is kept either way.
package dev.sinter.comm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Builds a transport's full mesh and keeps its listener. */
final class TcpMesh {
  private final TcpTransport t;
  private final TcpGroup.Context ctx;
  private final int rank;
  private final int size;
  /** Counts down as each higher rank is admitted. */
  private final CountDownLatch higher;
  private final ShmSetup shm;
  private ServerSocketChannel listener;
  /** This rank's advertised data-plane address, host:port. */
  private String self = "?";
  private volatile boolean closed;

  private TcpMesh(TcpTransport t, TcpGroup.Context ctx) {
    this.t = t;
    this.ctx = ctx;
    this.rank = ctx.rank();
    this.size = ctx.worldSize();
    this.higher = new CountDownLatch(size - 1 - rank);
    this.shm = ShmSetup.local(ctx.sharedMemory(), ctx.shmRingBytes(), t.pool);
  }

  /** A connection that passed the handshake, and how it will carry data. */
  private record Joined(SocketChannel ch, ShmSetup.Result link) {}

  /** Connects every pair, registering each connection with {@code t}; throws naming what is missing. */
  static TcpMesh build(TcpTransport t, TcpGroup.Context ctx, StoreClient store) {
    TcpMesh m = new TcpMesh(t, ctx);
    try {
      m.connectAll(store);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    m.logDataPlane();
    return m;
  }

  /** Says once, at INFO, which peers this rank reaches through shared memory and which over TCP (and why). */
  private void logDataPlane() {
    Map<String, List<Integer>> byVia = new TreeMap<>();
    for (TcpTransport.Peer p : t.peers) {
      if (p != null) {
        byVia.computeIfAbsent(p.via, v -> new ArrayList<>()).add(p.rank);
      }
    }
    List<String> parts = new ArrayList<>();
    byVia.forEach((via, ranks) -> parts.add(via + " with " + (ranks.size() > 1 ? "ranks " + ranks
        : "rank " + ranks.get(0))));
    if (!parts.isEmpty()) {
      TcpTransport.LOG.info("rank " + rank + " data plane: " + String.join("; ", parts));
    }
  }

  private void connectAll(StoreClient store) {
    long deadline = System.nanoTime() + ctx.timeout().toNanos();
    InetAddress bind = ctx.bindAddress();
    try {
      listener = ServerSocketChannel.open();
      listener.bind(new InetSocketAddress(bind, 0), 64);
    } catch (IOException e) {
      throw new CommException("rank " + rank + ": cannot listen on " + bind.getHostAddress() + ": " + e.getMessage(), e);
    }
    InetAddress advertised = bind.isAnyLocalAddress() ? store.localAddress() : bind;
    String host = advertised.getHostAddress();
    self = (host.contains(":") ? "[" + host + "]" : host) + ":" + listener.socket().getLocalPort();
    Thread.ofPlatform().daemon().name("sinter-tcp-r" + rank + "-accept").start(this::acceptLoop);
    store.set(ctx.keyPrefix() + "rank/" + rank + "/addr", self.getBytes(StandardCharsets.UTF_8));
    for (int j = 0; j < rank; j++) {
      String addr = new String(store.get(ctx.keyPrefix() + "rank/" + j + "/addr", remaining(deadline)),
          StandardCharsets.UTF_8);
      Joined c = connect(j, addr, deadline);
      if (!t.register(c.ch, j, addr, c.link)) {
        TcpTransport.closeQuietly(c.ch);
        if (c.link.channel() != null) {
          c.link.channel().close();
        }
      }
    }
    try {
      if (!higher.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        List<Integer> missing = new ArrayList<>();
        for (int j = rank + 1; j < size; j++) {
          if (t.peers[j] == null) {
            missing.add(j);
          }
        }
        throw new CommException("rank " + rank + ": rank(s) " + missing + " did not connect within "
            + ctx.timeout().toMillis() + " ms (did they start, and do they share this job's secret?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("rank " + rank + ": interrupted while connecting the mesh", e);
    }
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
  }

  /**
   * What a rank says it is in the handshake (covered by the MAC): job key, world size, rank, and
   * the address it listens on, so that every rank names a peer by the same address in errors.
   */
  private byte[] identity() {
    return ("sinter-data-v1|" + ctx.keyPrefix() + "|" + size + "|" + rank + "|" + self)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The rank and address in an identity of this job, or null when it belongs to another job or world. */
  private String[] parseIdentity(byte[] identity) {
    String s = new String(identity, StandardCharsets.UTF_8);
    String expect = "sinter-data-v1|" + ctx.keyPrefix() + "|" + size + "|";
    if (!s.startsWith(expect)) {
      return null;
    }
    String[] rankAddr = s.substring(expect.length()).split("\\|", 2);
    try {
      Integer.parseInt(rankAddr[0]);
      return rankAddr.length == 2 ? rankAddr : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private Joined connect(int peer, String addr, long deadline) {
    int colon = addr.lastIndexOf(':');
    String host = addr.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(addr.substring(colon + 1));
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel ch = null;
      try {
        ch = SocketChannel.open();
        ch.socket().connect(new InetSocketAddress(host, port), (int) Math.max(1, remaining(deadline).toMillis()));
        ch.socket().setSoTimeout(RendezvousStore.HANDSHAKE_TIMEOUT_MS);
        byte[] them = Handshake.join(ch.socket().getInputStream(), ch.socket().getOutputStream(), ctx.secret(),
            identity());
        String[] id = parseIdentity(them);
        if (id == null || Integer.parseInt(id[0]) != peer) {
          throw new CommException("rank " + rank + ": " + addr + " answered as '"
              + new String(them, StandardCharsets.UTF_8) + "', not as rank " + peer + " of this job");
        }
        return new Joined(ch, shm.asConnector(ch, peer));
      } catch (Handshake.Refused e) {
        TcpTransport.closeQuietly(ch);
        throw new CommException("rank " + rank + ": rank " + peer + " (" + addr + ") refused this job's secret");
      } catch (IOException e) {
        // Not listening yet, or gone for a moment: try again until the deadline.
        TcpTransport.closeQuietly(ch);
        last = e;
        sleepMs(50);
      } catch (RuntimeException e) {
        TcpTransport.closeQuietly(ch);
        throw e;
      }
    }
    throw new CommException("rank " + rank + ": cannot connect to rank " + peer + " at " + addr + ": "
        + (last == null ? "timed out" : last.getMessage()), last);
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel ch;
      try {
        ch = listener.accept();
      } catch (IOException e) {
        return;
      }
      // Each handshake on its own virtual thread: a silent or slow client cannot stall the mesh.
      Thread.ofVirtual().name("sinter-tcp-r" + rank + "-handshake").start(() -> admit(ch));
    }
  }

  private void admit(SocketChannel ch) {
    String remote = "?";
    try {
      remote = String.valueOf(ch.getRemoteAddress()).replaceFirst("^[^/]*/", "");
      ch.socket().setSoTimeout(RendezvousStore.HANDSHAKE_TIMEOUT_MS);
      byte[] them = Handshake.serve(ch.socket().getInputStream(), ch.socket().getOutputStream(), ctx.secret(),
          identity());
      String[] id = parseIdentity(them);
      int r = id == null ? -1 : Integer.parseInt(id[0]);
      if (r <= rank || r >= size) {
        throw new IOException("it claims to be '" + new String(them, StandardCharsets.UTF_8)
            + "', not a higher rank of this job");
      }
      if (t.peers[r] != null) {
        throw new IOException("rank " + r + " is already connected");
      }
      ShmSetup.Result link = shm.asAcceptor(ch, r);
      if (!t.register(ch, r, id[1], link)) {
        if (link.channel() != null) {
          link.channel().close();
        }
        throw new IOException("rank " + r + " is already connected (or the mesh is closing)");
      }
      higher.countDown();
    } catch (IOException e) {
      TcpTransport.closeQuietly(ch);
      if (!closed && !t.closing()) {
        TcpTransport.LOG.warning("rank " + rank + ": data plane dropped connection from " + remote + ": "
            + e.getMessage());
      }
    }
  }

  /** Stops accepting. */
  void close() {
    closed = true;
    TcpTransport.closeQuietly(listener);
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("interrupted while connecting", e);
    }
  }
}
