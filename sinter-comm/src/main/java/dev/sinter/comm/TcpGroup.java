// Ranks as processes on one or many hosts, talking TCP: the Communicator for real jobs. Layers:
// TcpMesh connects and authenticates every pair of ranks through the rendezvous store;
// TcpTransport runs each connection (reader and sender threads, inboxes, failure detection);
// TcpCollectives holds the algorithms (ring, trees, direct exchanges); WireCodec packs floats into
// the direct buffers sockets use. This class is the API: it validates a Context once, checks
// arguments, counts bytes, and carves sub-groups that share the root's connections.
//
// Copies: the API takes heap float[], which a socket cannot read, so every chunk is copied once into
// a pooled direct ByteBuffer and once out of one; the kernel is handed the direct buffer itself. To a
// rank on the same host, chunks are packed straight into the shared-memory ring instead (no kernel
// copies, no system calls); its reader copies them out into a pooled buffer, except the frames of the
// ring reduce-scatter and all-gather, which it applies straight from the ring into the receiver's
// float[] (PostedRing, PostedRecv).
package dev.sinter.comm;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The TCP back end. Create the root group of a job with {@link #connect(Context)}; carve sub-groups
 * with {@link #split(int)}; they share the root's connections.
 */
public final class TcpGroup implements Communicator {

  /**
   * Everything a rank needs to join the job, set fluently and validated once by {@link #connect}.
   * Required: {@link #rank(int)}, {@link #worldSize(int)}, {@link #secret(byte[])}, and either
   * {@link #storeAddress(InetSocketAddress)} or {@link #storeClient(StoreClient)}.
   */
  public static final class Context {
    private int rank = -1;
    private int worldSize = -1;
    private InetSocketAddress storeAddress;
    private StoreClient storeClient;
    private byte[] secret;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private Duration timeout = Duration.ofSeconds(60);
    private int chunkBytes = 1 << 20;
    private int treeThresholdBytes = 64 << 10;
    private String keyPrefix = "sinter/";
    private boolean sharedMemory = true;
    private int shmRingBytes = 4 << 20;
    private RendezvousStore ownedStore;

    /** This rank, in [0, worldSize). */
    public Context rank(int rank) {
      this.rank = rank;
      return this;
    }

    /** See {@link #rank(int)}. */
    public int rank() {
      return rank;
    }

    /** Ranks in the job. */
    public Context worldSize(int worldSize) {
      this.worldSize = worldSize;
      return this;
    }

    /** See {@link #worldSize(int)}. */
    public int worldSize() {
      return worldSize;
    }

    /** Where the rendezvous store listens; a client is opened for the bootstrap and closed after. */
    public Context storeAddress(InetSocketAddress storeAddress) {
      this.storeAddress = storeAddress;
      return this;
    }

    /** See {@link #storeAddress(InetSocketAddress)}. */
    public InetSocketAddress storeAddress() {
      return storeAddress;
    }

    /** An already connected store client to use instead of {@link #storeAddress}; left open. */
    public Context storeClient(StoreClient storeClient) {
      this.storeClient = storeClient;
      return this;
    }

    /** See {@link #storeClient(StoreClient)}. */
    public StoreClient storeClient() {
      return storeClient;
    }

    /** The per-job secret (at least 16 bytes) that every data connection must prove. */
    public Context secret(byte[] secret) {
      this.secret = secret == null ? null : secret.clone();
      return this;
    }

    byte[] secret() {
      return secret;
    }

    /**
     * The interface the data plane listens on (default loopback). A wildcard address (0.0.0.0)
     * listens everywhere and advertises the interface that reaches the store.
     */
    public Context bindAddress(InetAddress bindAddress) {
      this.bindAddress = bindAddress;
      return this;
    }

    /** See {@link #bindAddress(InetAddress)}. */
    public InetAddress bindAddress() {
      return bindAddress;
    }

    /**
     * How long any wait may last without progress (default 60 s): a peer silent for this long
     * fails the operation on every rank, naming it.
     */
    public Context timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** See {@link #timeout(Duration)}. */
    public Duration timeout() {
      return timeout;
    }

    /** Bytes per frame on the wire (default 1 MiB): the pipelining grain of large collectives. */
    public Context chunkBytes(int chunkBytes) {
      this.chunkBytes = chunkBytes;
      return this;
    }

    /** See {@link #chunkBytes(int)}. */
    public int chunkBytes() {
      return chunkBytes;
    }

    /** Messages below this many wire bytes (default 64 KiB) take the tree algorithms, not the ring. */
    public Context treeThresholdBytes(int treeThresholdBytes) {
      this.treeThresholdBytes = treeThresholdBytes;
      return this;
    }

    /** See {@link #treeThresholdBytes(int)}. */
    public int treeThresholdBytes() {
      return treeThresholdBytes;
    }

    /** Namespace of this job's keys in the store (default "sinter/"). */
    public Context keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** See {@link #keyPrefix(String)}. */
    public String keyPrefix() {
      return keyPrefix;
    }

    /**
     * Whether ranks on the same host exchange data through shared memory (default true); the TCP
     * connection stays their control channel. False keeps every byte on TCP. A pair uses shared
     * memory only when both ranks want it and share boot, network namespace, user and /dev/shm.
     */
    public Context sharedMemory(boolean sharedMemory) {
      this.sharedMemory = sharedMemory;
      return this;
    }

    /** See {@link #sharedMemory(boolean)}. */
    public boolean sharedMemory() {
      return sharedMemory;
    }

    /**
     * Bytes of each shared-memory ring, one per direction and peer (default 4 MiB; a power of two
     * in [64 KiB, 1 GiB]). Frames bigger than half of it are streamed through in pieces.
     */
    public Context shmRingBytes(int shmRingBytes) {
      this.shmRingBytes = shmRingBytes;
      return this;
    }

    /** See {@link #shmRingBytes(int)}. */
    public int shmRingBytes() {
      return shmRingBytes;
    }

    /** A store the root group closes when it closes (rank 0 of a bootstrap owns the job's store). */
    public Context ownedStore(RendezvousStore ownedStore) {
      this.ownedStore = ownedStore;
      return this;
    }

    /** Checks every setting once, naming the first one out of range. */
    void conclude() {
      if (worldSize < 1) {
        throw new IllegalArgumentException("worldSize must be at least 1, got " + worldSize);
      }
      if (rank < 0 || rank >= worldSize) {
        throw new IllegalArgumentException("rank must be in [0, " + worldSize + "), got " + rank);
      }
      if (storeAddress == null && storeClient == null) {
        throw new IllegalArgumentException("set storeAddress or storeClient: ranks find each other through the store");
      }
      Handshake.checkSecret(secret, "the job secret");
      Objects.requireNonNull(bindAddress, "bindAddress");
      if (timeout == null || timeout.toMillis() < 10) {
        throw new IllegalArgumentException("timeout must be at least 10 ms, got " + timeout);
      }
      if (chunkBytes < 4096 || chunkBytes > TcpTransport.MAX_FRAME || chunkBytes % 4 != 0) {
        throw new IllegalArgumentException("chunkBytes must be a multiple of 4 in [4096, " + TcpTransport.MAX_FRAME
            + "], got " + chunkBytes);
      }
      if (treeThresholdBytes < 0) {
        throw new IllegalArgumentException("treeThresholdBytes must be >= 0, got " + treeThresholdBytes);
      }
      if (shmRingBytes < ShmChannel.MIN_RING || shmRingBytes > ShmChannel.MAX_RING
          || Integer.bitCount(shmRingBytes) != 1) {
        throw new IllegalArgumentException("shmRingBytes must be a power of two in [" + ShmChannel.MIN_RING + ", "
            + ShmChannel.MAX_RING + "], got " + shmRingBytes);
      }
      if (keyPrefix == null || keyPrefix.contains("|")) {
        throw new IllegalArgumentException("keyPrefix must be set and must not contain '|', got " + keyPrefix);
      }
    }
  }

  /** What {@link #dataPlane(int)} says of a peer reached through shared memory. */
  public static final String VIA_SHARED_MEMORY = ShmSetup.VIA_SHM;

  private static final long ROOT_GROUP = 1;

  private final TcpTransport t;
  private final TcpCollectives coll;
  private final int rank;
  private final int n;
  private final boolean root;
  private final RendezvousStore ownedStore;
  /** Point-to-point message numbers per peer, sent and received. */
  private final long[] sendSeq;
  private final long[] recvSeq;
  private final CommStats stats = new CommStats();
  private boolean closed;

  private TcpGroup(TcpTransport t, int chunkBytes, int treeBytes, long id, int[] members, int rank,
      RendezvousStore ownedStore, boolean root) {
    this.t = t;
    this.coll = new TcpCollectives(t, id, members, rank, chunkBytes, treeBytes);
    this.rank = rank;
    this.n = members.length;
    this.root = root;
    this.ownedStore = ownedStore;
    this.sendSeq = new long[n];
    this.recvSeq = new long[n];
  }

  /**
   * Joins the job: publishes this rank's data-plane address in the store, connects and
   * authenticates the full mesh, and returns the root group once every peer is connected.
   *
   * @throws IllegalArgumentException naming the first invalid setting
   * @throws CommException when the store or a peer cannot be reached, refuses the secret, or the
   *                       mesh is not complete within the timeout
   */
  public static TcpGroup connect(Context ctx) {
    ctx.conclude();
    StoreClient store = ctx.storeClient;
    boolean ownClient = store == null;
    if (ownClient) {
      store = StoreClient.connect(ctx.storeAddress, ctx.secret, ctx.timeout);
    }
    try {
      TcpTransport t = TcpTransport.open(ctx, store);
      int[] all = new int[ctx.worldSize];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      return new TcpGroup(t, ctx.chunkBytes, ctx.treeThresholdBytes, ROOT_GROUP, all, ctx.rank, ctx.ownedStore, true);
    } finally {
      if (ownClient) {
        store.close();
      }
    }
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
    return "tcp";
  }

  @Override
  public CommStats stats() {
    return stats;
  }

  // ---- collectives ------------------------------------------------------------------------------

  @Override
  public void allReduce(float[] buf, int off, int len, ReduceOp op, Wire wire) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (n == 1) {
      return;
    }
    long seq = begin("all_reduce");
    long sent = (long) len * wire.bytes < coll.treeBytes ? coll.treeAllReduce(buf, off, len, op, wire, seq)
        : coll.ring(buf, off, len, op, wire, true, seq, "all_reduce");
    stats.add(CommStats.Kind.ALL_REDUCE, sent);
  }

  @Override
  public void reduceScatter(float[] buf, int off, int len, ReduceOp op, Wire wire) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (n == 1) {
      return;
    }
    long seq = begin("reduce_scatter");
    stats.add(CommStats.Kind.REDUCE_SCATTER, coll.ring(buf, off, len, op, wire, false, seq, "reduce_scatter"));
  }

  @Override
  public void allGather(float[] buf, int off, int len, Wire wire) {
    Objects.checkFromIndexSize(off, len, buf.length);
    if (n == 1) {
      return;
    }
    long seq = begin("all_gather");
    stats.add(CommStats.Kind.ALL_GATHER, coll.allGather(buf, off, len, wire, seq));
  }

  @Override
  public void broadcast(float[] buf, int off, int len, int root) {
    checkPeer(root);
    Objects.checkFromIndexSize(off, len, buf.length);
    if (n == 1) {
      return;
    }
    long seq = begin("broadcast");
    boolean chain = 4L * len >= coll.treeBytes;
    stats.add(CommStats.Kind.BROADCAST, coll.treeBroadcast(buf, off, len, root, Wire.FP32, seq, chain, "broadcast"));
  }

  @Override
  public void allToAll(float[] send, int sendOff, int[] sendCounts, float[] recv, int recvOff, int[] recvCounts) {
    if (sendCounts.length != n || recvCounts.length != n) {
      throw new IllegalArgumentException("all_to_all needs one count per rank (" + n + ")");
    }
    int[] sd = displacements(sendCounts, "sendCounts");
    int[] rd = displacements(recvCounts, "recvCounts");
    Objects.checkFromIndexSize(sendOff, sd[n], send.length);
    Objects.checkFromIndexSize(recvOff, rd[n], recv.length);
    if (sendCounts[rank] != recvCounts[rank]) {
      throw new IllegalArgumentException("all_to_all: rank " + rank + " sends itself " + sendCounts[rank]
          + " floats but expects " + recvCounts[rank]);
    }
    long seq = n == 1 ? 0 : begin("all_to_all");
    long sent = coll.allToAll(send, sendOff, sendCounts, sd, recv, recvOff, recvCounts, rd, seq);
    stats.add(CommStats.Kind.ALL_TO_ALL, sent);
  }

  /** {@inheritDoc} Returns once the data is queued for sending (eagerly), not when it is received. */
  @Override
  public void send(float[] buf, int off, int len, int peer) {
    checkPeer(peer);
    Objects.checkFromIndexSize(off, len, buf.length);
    checkOpen("send");
    t.check("send");
    long sent = coll.sendChunks(peer, TcpTransport.P2P, sendSeq[peer]++, buf, off, len, Wire.FP32, true, "send");
    stats.add(CommStats.Kind.SEND_RECV, sent);
  }

  @Override
  public void recv(float[] buf, int off, int len, int peer) {
    checkPeer(peer);
    Objects.checkFromIndexSize(off, len, buf.length);
    checkOpen("recv");
    t.check("recv");
    coll.receiveMessage(peer, TcpTransport.P2P, recvSeq[peer]++, buf, off, len, "recv");
  }

  @Override
  public void barrier() {
    if (n > 1) {
      coll.barrier(begin("barrier"));
    }
    stats.add(CommStats.Kind.BARRIER, 0);
  }

  @Override
  public Communicator split(int color) {
    checkOpen("split");
    long seq = n == 1 ? 0 : begin("split");
    int[] colors = n == 1 ? new int[] {color} : coll.exchangeColors(color, seq);
    List<Integer> sub = new ArrayList<>();
    int mine = -1;
    for (int q = 0; q < n; q++) {
      if (colors[q] == color) {
        if (q == rank) {
          mine = sub.size();
        }
        sub.add(coll.members[q]);
      }
    }
    long child = mix(mix(coll.id, seq), color);
    return new TcpGroup(t, coll.chunkBytes, coll.treeBytes, child, sub.stream().mapToInt(Integer::intValue).toArray(),
        mine, null, false);
  }

  /**
   * Leaves the group. The root group also says goodbye to every peer, closes the connections and
   * threads, and closes the store it owns; sub-groups just stop being usable.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (root) {
      t.close();
      if (ownedStore != null) {
        ownedStore.close();
      }
    } else {
      t.dropInboxes(coll.id);
    }
  }

  /** Test hook: writes raw bytes into the connection to group rank {@code peer}. */
  void injectForTest(int peer, byte[] bytes) {
    t.injectForTest(coll.members[peer], bytes);
  }

  /**
   * How data reaches group rank {@code peer}: {@link #VIA_SHARED_MEMORY} for a rank on this host, else
   * "TCP (reason)", e.g. "TCP (other host)"; "this process" for this rank itself.
   */
  public String dataPlane(int peer) {
    checkPeer(peer);
    TcpTransport.Peer p = t.peers[coll.members[peer]];
    return p == null ? "this process" : p.via;
  }

  /** Test hook: the shared-memory file to group rank {@code peer}, or null over TCP. */
  java.nio.file.Path shmFileForTest(int peer) {
    TcpTransport.Peer p = t.peers[coll.members[peer]];
    return p == null || p.shm == null ? null : p.shm.path;
  }

  /** Test hook: DATA frames this rank's posted receives applied straight from a shared-memory ring. */
  long framesLandedInPlaceForTest() {
    return t.landedInPlace.sum();
  }

  /** Test hook: drops every connection at once with no goodbye, as a kill -9 would. */
  void crashForTest() {
    t.crash();
  }

  // ---- small things -----------------------------------------------------------------------------

  private long begin(String name) {
    checkOpen(name);
    return coll.begin(name);
  }

  private void checkOpen(String name) {
    if (closed) {
      throw new CommException("rank " + rank + ": " + name + " on a closed communicator");
    }
  }

  private void checkPeer(int peer) {
    if (peer < 0 || peer >= n) {
      throw new IllegalArgumentException("rank " + peer + " is not in this group of " + n);
    }
  }

  private int[] displacements(int[] counts, String what) {
    int[] d = new int[n + 1];
    for (int p = 0; p < n; p++) {
      if (counts[p] < 0) {
        throw new IllegalArgumentException("all_to_all: " + what + "[" + p + "] is negative: " + counts[p]);
      }
      d[p + 1] = Math.addExact(d[p], counts[p]);
    }
    return d;
  }

  /** SplitMix64 of a pair: sub-group ids that every member derives alike, without talking. */
  private static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
