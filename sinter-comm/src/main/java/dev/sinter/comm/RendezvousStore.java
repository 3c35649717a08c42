// The rendezvous store: a small key-value server that ranks use to find each other before the data
// plane exists (each rank publishes "host:port", then reads its peers'). Rank 0 or a given host
// runs it; every client must pass the job's HMAC handshake first, and one that does not is logged
// (one line naming its address) and dropped without ever seeing a key.
//
// Lifecycle in the Aeron manner: start() binds and begins accepting, close() stops accepting, drops
// every client and wakes every blocked request. Each client is served by its own virtual thread, so
// a blocking get() costs a parked virtual thread, not a platform thread.
package dev.sinter.comm;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The job's key-value rendezvous server. Start with {@link #start(InetAddress, int, byte[])}; talk to
 * it with {@link StoreClient}.
 */
public final class RendezvousStore implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("dev.sinter.comm");
  /** A client that connects and then says nothing is dropped after this long. */
  static final int HANDSHAKE_TIMEOUT_MS = 10_000;
  static final byte[] IDENTITY = "sinter-store".getBytes(StandardCharsets.UTF_8);

  private final ServerSocket server;
  private final byte[] secret;
  private final Thread acceptor;
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private final Map<String, byte[]> values = new HashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean closed;

  private RendezvousStore(ServerSocket server, byte[] secret) {
    this.server = server;
    this.secret = secret;
    this.acceptor = Thread.ofPlatform().daemon().name("sinter-store-accept").unstarted(this::acceptLoop);
  }

  /**
   * Binds the store and starts serving.
   *
   * @param bindAddress the interface to listen on; {@code null} means loopback (127.0.0.1), so a
   *                    store is reachable from other hosts only when an address is given
   * @param port        the port, or 0 for an ephemeral one (see {@link #port()})
   * @param secret      the per-job secret, at least 16 bytes, that every client must prove
   * @throws CommException naming the address when the port cannot be bound
   */
  public static RendezvousStore start(InetAddress bindAddress, int port, byte[] secret) {
    byte[] s = Handshake.checkSecret(secret, "the job secret");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("store port must be in [0, 65535], got " + port);
    }
    InetAddress bind = bindAddress != null ? bindAddress : InetAddress.getLoopbackAddress();
    ServerSocket ss;
    try {
      ss = new ServerSocket();
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(bind, port), 128);
    } catch (IOException e) {
      throw new CommException("cannot start the rendezvous store on " + bind.getHostAddress() + ":" + port + ": "
          + e.getMessage() + "; choose another port (MASTER_PORT) or stop the process that holds it", e);
    }
    RendezvousStore store = new RendezvousStore(ss, s);
    store.acceptor.start();
    LOG.fine(() -> "rendezvous store listening on " + store.address());
    return store;
  }

  /** {@link #start(InetAddress, int, byte[])} on loopback. */
  public static RendezvousStore start(int port, byte[] secret) {
    return start(null, port, secret);
  }

  /** The bound address (with the real port when 0 was asked for). */
  public InetSocketAddress address() {
    try {
      // By number, not by name: messages and peers then show 127.0.0.1, not localhost.
      InetAddress a = InetAddress.getByAddress(server.getInetAddress().getAddress());
      return new InetSocketAddress(a, server.getLocalPort());
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("a bound address always has a valid length", e);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warning("rendezvous store: accept failed: " + e.getMessage());
        }
        return;
      }
      clients.add(s);
      Thread.ofVirtual().name("sinter-store-client").start(() -> serve(s));
    }
  }

  private void serve(Socket s) {
    SocketAddress remote = s.getRemoteSocketAddress();
    try (s) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
      DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
      try {
        Handshake.serve(in, out, secret, IDENTITY);
      } catch (IOException e) {
        if (!closed) {
          LOG.warning("rendezvous store: dropped connection from " + remote + ": " + e.getMessage());
        }
        return;
      }
      s.setSoTimeout(0);
      while (!closed) {
        StoreProtocol.Frame f;
        try {
          f = StoreProtocol.read(in);
        } catch (java.io.EOFException e) {
          return;
        }
        reply(out, f);
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.fine(() -> "rendezvous store: client " + remote + " went away: " + e.getMessage());
      }
    } finally {
      clients.remove(s);
    }
  }

  private void reply(DataOutputStream out, StoreProtocol.Frame f) throws IOException {
    DataInputStream p = new DataInputStream(new java.io.ByteArrayInputStream(f.payload()));
    switch (f.type()) {
      case StoreProtocol.SET -> {
        String key = StoreProtocol.readKey(p);
        byte[] value = p.readAllBytes();
        apply(() -> values.put(key, value));
        StoreProtocol.write(out, StoreProtocol.OK, new byte[0]);
      }
      case StoreProtocol.GET -> {
        long timeoutMs = p.readLong();
        String key = StoreProtocol.readKey(p);
        List<String> missing = awaitKeys(List.of(key), timeoutMs);
        if (missing.isEmpty()) {
          byte[] v;
          lock.lock();
          try {
            v = values.get(key);
          } finally {
            lock.unlock();
          }
          StoreProtocol.write(out, StoreProtocol.VALUE, v);
        } else {
          StoreProtocol.write(out, StoreProtocol.TIMEOUT, String.join(", ", missing).getBytes(StandardCharsets.UTF_8));
        }
      }
      case StoreProtocol.WAIT -> {
        long timeoutMs = p.readLong();
        int n = p.readUnsignedShort();
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          keys.add(StoreProtocol.readKey(p));
        }
        List<String> missing = awaitKeys(keys, timeoutMs);
        StoreProtocol.write(out, missing.isEmpty() ? StoreProtocol.OK : StoreProtocol.TIMEOUT,
            String.join(", ", missing).getBytes(StandardCharsets.UTF_8));
      }
      case StoreProtocol.ADD -> {
        long delta = p.readLong();
        String key = StoreProtocol.readKey(p);
        long[] result = new long[1];
        String error = update(() -> {
          byte[] old = values.get(key);
          long cur;
          try {
            cur = old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.US_ASCII));
          } catch (NumberFormatException e) {
            return "key '" + key + "' holds a value that is not a counter";
          }
          result[0] = cur + delta;
          values.put(key, Long.toString(result[0]).getBytes(StandardCharsets.US_ASCII));
          return null;
        });
        if (error != null) {
          StoreProtocol.write(out, StoreProtocol.ERROR, error.getBytes(StandardCharsets.UTF_8));
        } else {
          ByteArrayOutputStream b = new ByteArrayOutputStream(8);
          new DataOutputStream(b).writeLong(result[0]);
          StoreProtocol.write(out, StoreProtocol.VALUE, b.toByteArray());
        }
      }
      default -> StoreProtocol.write(out, StoreProtocol.ERROR,
          ("unknown store request type " + f.type()).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Runs a change under the lock and wakes every blocked get/wait; returns the change's error, if any. */
  private String update(java.util.function.Supplier<String> change) {
    lock.lock();
    try {
      String error = change.get();
      changed.signalAll();
      return error;
    } finally {
      lock.unlock();
    }
  }

  private void apply(Runnable change) {
    update(() -> {
      change.run();
      return null;
    });
  }

  /** Blocks until every key is present or the time is up; returns the keys still missing. */
  private List<String> awaitKeys(List<String> keys, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
    lock.lock();
    try {
      while (true) {
        List<String> missing = new ArrayList<>();
        for (String k : keys) {
          if (!values.containsKey(k)) {
            missing.add(k);
          }
        }
        long left = deadline - System.nanoTime();
        if (missing.isEmpty() || left <= 0 || closed) {
          return missing;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return missing;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops accepting, drops every client and wakes every blocked request. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // Closing a listener cannot fail in a way that matters here.
    }
    for (Socket s : clients) {
      try {
        s.close();
      } catch (IOException ignored) {
        // The client is going away either way.
      }
    }
    apply(() -> {});
    try {
      acceptor.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
