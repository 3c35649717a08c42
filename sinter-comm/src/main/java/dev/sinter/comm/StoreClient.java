// A rank's connection to the rendezvous store: set, blocking get, wait for several keys, atomic
// add. Connecting retries until the deadline because the store's own rank may still be starting;
// a store that refuses the secret (or cannot prove it knows it) fails at once with a clear message.
package dev.sinter.comm;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A client of a {@link RendezvousStore}. Thread-safe: requests are serialised on one connection. */
public final class StoreClient implements AutoCloseable {
  /** Extra socket read time beyond a request's own timeout, so the server's TIMEOUT reply wins. */
  private static final int READ_MARGIN_MS = 5_000;

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final String where;
  private final Duration timeout;

  private StoreClient(Socket socket, String where, Duration timeout) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    this.where = where;
    this.timeout = timeout;
  }

  /**
   * Connects and authenticates, retrying refused connections until {@code timeout} has passed.
   *
   * @param store   the store's address
   * @param secret  the per-job secret (at least 16 bytes)
   * @param timeout how long to keep trying to connect, and the default wait of {@link #get(String)}
   * @throws CommException "store at HOST:PORT refused this job's secret" when the secrets differ, or
   *                       naming the address when it cannot be reached in time
   */
  public static StoreClient connect(InetSocketAddress store, byte[] secret, Duration timeout) {
    byte[] s = Handshake.checkSecret(secret, "the job secret");
    String where = "store at " + store.getHostString() + ":" + store.getPort();
    long deadline = System.nanoTime() + timeout.toNanos();
    long backoffMs = 20;
    while (true) {
      Socket sock = new Socket();
      try {
        sock.setTcpNoDelay(true);
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        sock.connect(store, (int) Math.max(1, Math.min(left, Integer.MAX_VALUE)));
        sock.setSoTimeout(RendezvousStore.HANDSHAKE_TIMEOUT_MS);
        StoreClient c = new StoreClient(sock, where, timeout);
        Handshake.join(c.in, c.out, s, "sinter-store-client".getBytes(StandardCharsets.UTF_8));
        return c;
      } catch (Handshake.Refused e) {
        close(sock);
        throw new CommException(e.getMessage().contains("refused")
            ? where + " refused this job's secret (is SINTER_JOB_SECRET the same on every rank?)"
            : where + " could not prove it knows this job's secret (another job on this port?)");
      } catch (ConnectException | SocketTimeoutException e) {
        close(sock);
        if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs) > deadline) {
          throw new CommException("cannot reach the " + where + " within " + timeout.toMillis() + " ms: "
              + e.getMessage() + " (is rank 0 running, and MASTER_ADDR/MASTER_PORT right?)", e);
        }
        sleep(backoffMs);
        backoffMs = Math.min(1000, backoffMs * 2);
      } catch (IOException e) {
        close(sock);
        throw new CommException(where + ": handshake failed: " + e.getMessage(), e);
      }
    }
  }

  /** The local address of this connection: the interface that reaches the store. */
  public InetAddress localAddress() {
    return socket.getLocalAddress();
  }

  /** Sets {@code key} to {@code value}, replacing any earlier value, and wakes every waiter. */
  public synchronized void set(String key, byte[] value) {
    request("set '" + key + "'", StoreProtocol.SET, 0, p -> {
      StoreProtocol.writeKey(p, key);
      p.write(value);
    });
  }

  /** The value of {@code key}, waiting up to the connection's default timeout for it to be set. */
  public byte[] get(String key) {
    return get(key, timeout);
  }

  /**
   * The value of {@code key}, waiting up to {@code timeout} for some client to set it.
   *
   * @throws CommException naming the key when it is still absent after the timeout
   */
  public synchronized byte[] get(String key, Duration timeout) {
    long ms = timeout.toMillis();
    StoreProtocol.Frame f = request("get '" + key + "'", StoreProtocol.GET, ms, p -> {
      p.writeLong(ms);
      StoreProtocol.writeKey(p, key);
    });
    if (f.type() == StoreProtocol.TIMEOUT) {
      throw new CommException(where + ": key '" + key + "' was not set within " + ms + " ms");
    }
    return f.payload();
  }

  /**
   * Returns once every key is set.
   *
   * @throws CommException naming the missing keys when the timeout passes first
   */
  public synchronized void waitFor(Duration timeout, String... keys) {
    if (keys.length > 65535) {
      throw new IllegalArgumentException("at most 65535 keys per wait, got " + keys.length);
    }
    long ms = timeout.toMillis();
    StoreProtocol.Frame f = request("wait", StoreProtocol.WAIT, ms, p -> {
      p.writeLong(ms);
      p.writeShort(keys.length);
      for (String k : keys) {
        StoreProtocol.writeKey(p, k);
      }
    });
    if (f.type() == StoreProtocol.TIMEOUT) {
      throw new CommException(where + ": keys not set within " + ms + " ms: "
          + new String(f.payload(), StandardCharsets.UTF_8));
    }
  }

  /**
   * Atomically adds {@code delta} to the counter at {@code key} (absent counts as 0).
   *
   * @return the counter's new value
   */
  public synchronized long add(String key, long delta) {
    StoreProtocol.Frame f = request("add '" + key + "'", StoreProtocol.ADD, 0, p -> {
      p.writeLong(delta);
      StoreProtocol.writeKey(p, key);
    });
    try {
      return new DataInputStream(new java.io.ByteArrayInputStream(f.payload())).readLong();
    } catch (IOException e) {
      throw new CommException(where + ": malformed reply to add '" + key + "'", e);
    }
  }

  private interface Body {
    void write(DataOutputStream p) throws IOException;
  }

  private StoreProtocol.Frame request(String what, int type, long waitMs, Body body) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      body.write(new DataOutputStream(b));
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(0, waitMs) + READ_MARGIN_MS));
      StoreProtocol.write(out, type, b.toByteArray());
      StoreProtocol.Frame f = StoreProtocol.read(in);
      if (f.type() == StoreProtocol.ERROR) {
        throw new CommException(where + ": " + what + " failed: " + new String(f.payload(), StandardCharsets.UTF_8));
      }
      return f;
    } catch (IOException e) {
      throw new CommException(where + ": " + what + " failed: " + e.getMessage(), e);
    }
  }

  /** Closes the connection; the store keeps its keys. */
  @Override
  public void close() {
    close(socket);
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommException("interrupted while connecting to the store", e);
    }
  }
}
