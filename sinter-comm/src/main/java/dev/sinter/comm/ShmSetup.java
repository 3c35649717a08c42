// Whether two ranks share a host, and if they do, the shared-memory channel between them. Runs on
// every data connection right after the HMAC handshake, so everything here travels over a
// connection that has already proved the job's secret both ways.
//
// Same host means the same kernel boot (/proc/sys/kernel/random/boot_id), the same network
// namespace (readlink /proc/self/ns/net: ranks in different namespaces talk over real TCP, as two
// hosts would), the same user (the file is owner-only) and the same shared-memory directory
// (/dev/shm, or java.io.tmpdir where /dev/shm is not a writable directory). Each side sends a
// SHA-256 digest of those; only equal digests on two sides that both want shared memory go on:
//
//   both        HELLO   want (u8) | identity digest (32 B)
//   acceptor    OFFER   token (16 B) | path        or  DECLINE reason
//   connector   MAPPED                             or  REFUSE reason
//
// The acceptor creates the file (random 128-bit name, mode 0600, created exclusively), writes a
// random token into its header and sends the path and token; the connector opens it without
// following links, checks owner, mode and token, and maps it. The acceptor unlinks the file as soon
// as the answer comes (or on any failure), so it exists by name for one round trip; the memory
// lives until both sides unmap it. Any failure on the way falls back to TCP, with the reason logged.
// Messages are framed like the handshake's: magic "SNSP" (u32), version (u8), type (u8), payload
// length (u16), big-endian; nothing is ever deserialized beyond these fixed fields.
package dev.sinter.comm;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/** One rank's side of the same-host check and shared-memory setup, for all of its connections. */
final class ShmSetup {
  static final int MAGIC = 0x534E5350; // "SNSP"
  static final int VERSION = 1;
  static final String PREFIX = "sinter-shm-";
  static final String VIA_SHM = "shared memory";

  private static final int HELLO = 1;
  private static final int OFFER = 2;
  private static final int DECLINE = 3;
  private static final int MAPPED = 4;
  private static final int REFUSE = 5;
  private static final int DIGEST = 32;
  private static final int MAX_PAYLOAD = 4096;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** How a connection carries data: a channel, or null and why it stays on TCP. */
  record Result(ShmChannel channel, String via) {}

  private final int ringBytes;
  private final BufferPool pool;
  /** Why this rank offers no shared memory, or null when it does. */
  private final String off;
  private final Path dir;
  private final int uid;
  private final byte[] digest;

  private ShmSetup(int ringBytes, BufferPool pool, String off, Path dir, int uid, byte[] digest) {
    this.ringBytes = ringBytes;
    this.pool = pool;
    this.off = off;
    this.dir = dir;
    this.uid = uid;
    this.digest = digest;
  }

  /** This rank's side: reads the host's identity once, unless {@code enabled} is false. */
  static ShmSetup local(boolean enabled, int ringBytes, BufferPool pool) {
    if (!enabled) {
      return off("shared memory off", ringBytes, pool);
    }
    Path dir = directory();
    if (dir == null) {
      return off("no writable /dev/shm or java.io.tmpdir", ringBytes, pool);
    }
    try {
      int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return of(identity(dir, uid), dir, uid, ringBytes, pool);
    } catch (IOException | RuntimeException e) {
      return off("cannot tell which host this is (" + e.getMessage() + ")", ringBytes, pool);
    }
  }

  /** A side that offers no shared memory, for the reason {@code why}. */
  private static ShmSetup off(String why, int ringBytes, BufferPool pool) {
    return new ShmSetup(ringBytes, pool, why, null, -1, new byte[DIGEST]);
  }

  /** A side that wants shared memory and claims {@code identity} (tests give two sides different ones). */
  static ShmSetup of(String identity, Path dir, int uid, int ringBytes, BufferPool pool) {
    return new ShmSetup(ringBytes, pool, null, dir, uid, sha256(identity.getBytes(StandardCharsets.UTF_8)));
  }

  /** Boot, network namespace, user and directory: equal exactly when two processes may share memory. */
  static String identity(Path dir, int uid) throws IOException {
    String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
    String net = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    if (boot.isEmpty() || !net.startsWith("net:")) {
      throw new IOException("unexpected boot id '" + boot + "' or network namespace '" + net + "'");
    }
    return "sinter-shm-v1|boot=" + boot + "|net=" + net + "|uid=" + uid + "|dir=" + dir.toAbsolutePath();
  }

  /** /dev/shm when it is a writable directory, else java.io.tmpdir when that is, else null. */
  static Path directory() {
    for (Path p : new Path[] {Path.of("/dev/shm"), Path.of(System.getProperty("java.io.tmpdir"))}) {
      if (Files.isDirectory(p) && Files.isWritable(p)) {
        return p.toAbsolutePath();
      }
    }
    return null;
  }

  // ---- the two sides ----------------------------------------------------------------------------

  /** The accepting (lower) rank: creates the file when both sides may share memory. */
  Result asAcceptor(SocketChannel ch, int peer) throws IOException {
    DataInputStream in = new DataInputStream(ch.socket().getInputStream());
    OutputStream out = ch.socket().getOutputStream();
    String tcp = hello(in, out, peer);
    if (tcp != null) {
      return new Result(null, tcp);
    }
    byte[] token = random(ShmChannel.TOKEN_BYTES);
    Path file = dir.resolve(PREFIX + HexFormat.of().formatHex(random(16)));
    ShmChannel c;
    try {
      c = create(file, ringBytes, token, pool);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(file);
      String why = "cannot create " + file + ": " + e;
      write(out, DECLINE, why.getBytes(StandardCharsets.UTF_8));
      return new Result(null, "TCP (" + why + ")");
    }
    boolean mapped = false;
    try {
      byte[] name = file.toString().getBytes(StandardCharsets.UTF_8);
      write(out, OFFER, ByteBuffer.allocate(token.length + name.length).put(token).put(name).array());
      int[] type = new int[1];
      byte[] reply = read(in, type);
      if (type[0] == MAPPED) {
        mapped = true;
        return new Result(c, VIA_SHM);
      }
      if (type[0] != REFUSE) {
        throw new IOException("unexpected shared-memory setup message " + type[0] + " from rank " + peer);
      }
      return new Result(null, "TCP (rank " + peer + " could not map " + file + ": "
          + new String(reply, StandardCharsets.UTF_8) + ")");
    } finally {
      // Both sides have mapped it, or one never will: the name has served its purpose.
      deleteQuietly(file);
      if (!mapped) {
        c.close();
      }
    }
  }

  /** The connecting (higher) rank: maps the file the acceptor offers. */
  Result asConnector(SocketChannel ch, int peer) throws IOException {
    DataInputStream in = new DataInputStream(ch.socket().getInputStream());
    OutputStream out = ch.socket().getOutputStream();
    String tcp = hello(in, out, peer);
    if (tcp != null) {
      return new Result(null, tcp);
    }
    int[] type = new int[1];
    byte[] offer = read(in, type);
    if (type[0] == DECLINE) {
      return new Result(null, "TCP (rank " + peer + " " + new String(offer, StandardCharsets.UTF_8) + ")");
    }
    if (type[0] != OFFER || offer.length <= ShmChannel.TOKEN_BYTES) {
      throw new IOException("unexpected shared-memory setup message " + type[0] + " from rank " + peer);
    }
    byte[] token = java.util.Arrays.copyOf(offer, ShmChannel.TOKEN_BYTES);
    String name = new String(offer, ShmChannel.TOKEN_BYTES, offer.length - ShmChannel.TOKEN_BYTES,
        StandardCharsets.UTF_8);
    ShmChannel c;
    try {
      c = open(checked(name), token, pool);
    } catch (IOException | RuntimeException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      write(out, REFUSE, why.getBytes(StandardCharsets.UTF_8));
      return new Result(null, "TCP (cannot map rank " + peer + "'s " + name + ": " + why + ")");
    }
    try {
      write(out, MAPPED, new byte[0]);
    } catch (IOException e) {
      c.close();
      throw e;
    }
    return new Result(c, VIA_SHM);
  }

  /** Exchanges HELLOs; null when both may share memory, else why the connection stays on TCP. */
  private String hello(DataInputStream in, OutputStream out, int peer) throws IOException {
    byte[] mine = new byte[1 + DIGEST];
    mine[0] = (byte) (off == null ? 1 : 0);
    System.arraycopy(digest, 0, mine, 1, DIGEST);
    write(out, HELLO, mine);
    int[] type = new int[1];
    byte[] theirs = read(in, type);
    if (type[0] != HELLO || theirs.length != 1 + DIGEST) {
      throw new IOException("rank " + peer + " sent no shared-memory HELLO (type " + type[0] + ", " + theirs.length
          + " bytes)");
    }
    if (off != null) {
      return "TCP (" + off + " on this rank)";
    }
    if (theirs[0] == 0) {
      return "TCP (no shared memory on rank " + peer + ")";
    }
    if (!MessageDigest.isEqual(java.util.Arrays.copyOfRange(theirs, 1, 1 + DIGEST), digest)) {
      return "TCP (other host)";
    }
    return null;
  }

  /** The offered path, if it names a channel file in this rank's own directory, owned by it, mode 0600. */
  private Path checked(String name) throws IOException {
    Path p = Path.of(name);
    String base = p.getFileName() == null ? "" : p.getFileName().toString();
    if (!dir.equals(p.getParent()) || !base.matches(PREFIX + "[0-9a-f]{32}")) {
      throw new IOException("the offered path " + name + " is not a channel file in " + dir);
    }
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile() || owner != uid
        || !a.permissions().equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE))) {
      throw new IOException(name + " is not a regular file of uid " + uid + " with mode 0600 (owner " + owner
          + ", mode " + PosixFilePermissions.toString(a.permissions()) + ")");
    }
    return p;
  }

  // ---- the file ---------------------------------------------------------------------------------

  /**
   * Creates {@code path} (owner read/write only; it must not exist), allocates its pages now (so a
   * full /dev/shm is an error here, not a fault on first touch), maps it and writes its header.
   */
  static ShmChannel create(Path path, int ringBytes, byte[] token, BufferPool pool) throws IOException {
    long bytes = ShmChannel.HEADER_PAGE + 2L * ringBytes;
    Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
      for (long at = 0; at < bytes; ) {
        zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - at));
        at += ch.write(zeros, at);
      }
      Arena arena = Arena.ofShared();
      try {
        MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        header(seg).putInt(0, ShmChannel.MAGIC).putInt(4, ShmChannel.VERSION)
            .putLong(ShmChannel.RING_BYTES_AT, ringBytes).put(ShmChannel.TOKEN_AT, token);
        return new ShmChannel(path, arena, seg, ringBytes, true, pool);
      } catch (IOException | RuntimeException e) {
        arena.close();
        throw e;
      }
    }
  }

  /** Maps the file a peer created, after checking that it is the one that peer announced. */
  static ShmChannel open(Path path, byte[] token, BufferPool pool) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      long bytes = ch.size();
      if (bytes < ShmChannel.HEADER_PAGE + 2L * ShmChannel.MIN_RING
          || bytes > ShmChannel.HEADER_PAGE + 2L * ShmChannel.MAX_RING) {
        throw new IOException(path + " has " + bytes + " bytes, not a Sinter shared-memory channel");
      }
      Arena arena = Arena.ofShared();
      try {
        MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        ByteBuffer h = header(seg);
        long ring = h.getLong(ShmChannel.RING_BYTES_AT);
        byte[] theirs = new byte[ShmChannel.TOKEN_BYTES];
        h.get(ShmChannel.TOKEN_AT, theirs);
        boolean ours = MessageDigest.isEqual(theirs, token);
        if (h.getInt(0) != ShmChannel.MAGIC || h.getInt(4) != ShmChannel.VERSION || Long.bitCount(ring) != 1
            || bytes != ShmChannel.HEADER_PAGE + 2 * ring || !ours) {
          throw new IOException(String.format("%s is not the channel announced (magic 0x%08x, version %d, ring %d"
              + " bytes, token %s)", path, h.getInt(0), h.getInt(4), ring, ours ? "ok" : "wrong"));
        }
        return new ShmChannel(path, arena, seg, (int) ring, false, pool);
      } catch (IOException | RuntimeException e) {
        arena.close();
        throw e;
      }
    }
  }

  private static ByteBuffer header(MemorySegment file) {
    return file.asSlice(0, 64).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  // ---- framing ----------------------------------------------------------------------------------

  /** Writes one message in a single call. */
  private static void write(OutputStream out, int type, byte[] payload) throws IOException {
    int len = Math.min(payload.length, MAX_PAYLOAD);
    ByteBuffer m = ByteBuffer.allocate(8 + len);
    m.putInt(MAGIC).put((byte) VERSION).put((byte) type).putShort((short) len).put(payload, 0, len);
    out.write(m.array());
    out.flush();
  }

  /** Reads one message; its type goes to {@code type[0]}. */
  private static byte[] read(DataInputStream in, int[] type) throws IOException {
    int magic = in.readInt();
    int version = in.readUnsignedByte();
    if (magic != MAGIC || version != VERSION) {
      throw new IOException(String.format("not a Sinter shared-memory setup message (magic 0x%08x, version %d):"
          + " is the peer running the same Sinter build?", magic, version));
    }
    type[0] = in.readUnsignedByte();
    int len = in.readUnsignedShort();
    if (len > MAX_PAYLOAD) {
      throw new IOException("shared-memory setup message of " + len + " bytes exceeds the cap");
    }
    byte[] payload = new byte[len];
    in.readFully(payload);
    return payload;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // Nothing else to do: the name is random, and the memory goes with the last mapping.
    }
  }
}
