// The shared-memory ring on its own, two channel objects over one file as two processes would map
// it: seeded streams of frames of every size (empty, small, reserved in place, wrapping with a PAD,
// bigger than the ring and streamed) pass intact both ways at once, read through a buffer or where
// they lie in the ring (always possible for a frame reserved in place; a declined look leaves the
// frame to be read as usual); the file is owner-only and a wrong token is refused; a peer that is
// gone reads as the end of the stream once its frames are drained, and mid-frame as an
// EOFException; a closed side stops its waiters instead of hanging.
package dev.sinter.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShmChannelTest {
  static final long SEED = Long.getLong("sinter.seed", 20_250_611L);
  static final int RING = 64 << 10;
  static final byte[] TOKEN = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  @TempDir
  Path dir;

  /** A caller's patience of a few seconds; failures become CommExceptions that say what happened. */
  static final ShmChannel.Guard GUARD = new ShmChannel.Guard() {
    public void check() {}

    public long timeoutNs() {
      return TimeUnit.SECONDS.toNanos(10);
    }

    public long graceNs() {
      return TimeUnit.MILLISECONDS.toNanos(100);
    }

    public void stalled() {}

    public CommException timedOut() {
      return new CommException("timed out waiting for ring space");
    }

    public CommException closed(IOException cause) {
      return new CommException("closed: " + cause.getMessage());
    }

    public CommException interrupted() {
      return new CommException("interrupted");
    }
  };

  @Test
  void framesOfEverySizePassIntactBothWaysAtOnce() throws Exception {
    BufferPool pool = new BufferPool(16 << 10);
    Path f = dir.resolve("ring");
    ShmChannel a = ShmSetup.create(f, RING, TOKEN, pool);
    ShmChannel b = ShmSetup.open(f, TOKEN, pool);
    // Four threads of their own: the common pool may have a single worker on a small machine.
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      int frames = 600;
      List<Future<?>> fs = List.of(threads.submit(() -> produce(a, SEED, frames, pool)),
          threads.submit(() -> produce(b, SEED + 1, frames, pool)), threads.submit(() -> consume(b, SEED, frames)),
          threads.submit(() -> consume(a, SEED + 1, frames)));
      for (Future<?> done : fs) {
        done.get(60, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
      a.close();
      b.close();
    }
  }

  /** Sizes: 0, small, in place (some wrapping past the end behind a PAD), and bigger than the ring. */
  private static int size(SplittableRandom rng) {
    return switch (rng.nextInt(5)) {
      case 0 -> 0;
      case 1 -> rng.nextInt(64);
      case 2, 3 -> rng.nextInt(RING / 2 - 64);
      default -> RING / 2 + rng.nextInt(3 * RING);
    };
  }

  private static byte value(long seed, int frame, int i) {
    return (byte) (seed * 31 + frame * 7 + i * 13 + (i >>> 8));
  }

  /** Half the frames packed straight into a reservation, half copied in from a buffer of their own. */
  private static void produce(ShmChannel c, long seed, int frames, BufferPool pool) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int k = 0; k < frames; k++) {
      int len = size(rng);
      ByteBuffer p = k % 2 == 0 ? c.reserve(len, GUARD) : pool.get(len);
      for (int i = 0; i < len; i++) {
        p.put(i, value(seed, k, i));
      }
      c.send(TcpTransport.DATA, TcpTransport.COLL, (byte) 0, seed, k, p, GUARD);
    }
  }

  private static void consume(ShmChannel c, long seed, int frames) {
    SplittableRandom rng = new SplittableRandom(seed);
    ByteBuffer hdr = ByteBuffer.allocateDirect(TcpTransport.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    try {
      for (int k = 0; k < frames; k++) {
        int len = size(rng);
        hdr.clear();
        assertTrue(c.read(hdr, true), "seed " + SEED + ": stream ended before frame " + k);
        assertEquals(TcpTransport.MAGIC, hdr.getInt(0), "frame " + k);
        assertEquals(TcpTransport.DATA, hdr.get(5), "frame " + k);
        assertEquals(seed, hdr.getLong(8), "frame " + k);
        assertEquals(k, hdr.getLong(16), "seed " + SEED + ": frames out of order");
        assertEquals(len, hdr.getInt(24), "seed " + SEED + ": length of frame " + k);
        int frame = k;
        // A third read where they lie, a third looked at there and declined, a third copied out.
        if (k % 3 == 0) {
          boolean inPlace = c.readInPlace(len, view -> {
            check(view, seed, frame, len);
            return true;
          });
          if (c.fitsInPlace(len)) {
            assertTrue(inPlace, "seed " + SEED + ": frame " + k + " of " + len + " bytes was reserved in place");
          }
          if (inPlace) {
            continue;
          }
        } else if (k % 3 == 1) {
          assertFalse(c.readInPlace(len, view -> false));
        }
        ByteBuffer p = ByteBuffer.allocateDirect(len);
        c.read(p, false);
        check(p.flip(), seed, k, len);
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static void check(ByteBuffer p, long seed, int k, int len) {
    assertEquals(len, p.remaining(), "frame " + k);
    for (int i = 0; i < len; i++) {
      if (p.get(p.position() + i) != value(seed, k, i)) {
        throw new AssertionError("seed " + SEED + ": frame " + k + " of " + len + " bytes differs at byte " + i);
      }
    }
  }

  @Test
  void theFileIsOwnerOnlyAndAWrongTokenIsRefused() throws Exception {
    BufferPool pool = new BufferPool(4096);
    Path f = dir.resolve("ring");
    ShmChannel a = ShmSetup.create(f, RING, TOKEN, pool);
    try {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
      assertEquals(ShmChannel.HEADER_PAGE + 2L * RING, Files.size(f));
      byte[] wrong = TOKEN.clone();
      wrong[3] ^= 1;
      IOException e = assertThrows(IOException.class, () -> ShmSetup.open(f, wrong, pool));
      assertTrue(e.getMessage().contains("token wrong"), e.getMessage());
      assertThrows(IOException.class, () -> ShmSetup.create(f, RING, TOKEN, pool), "the name must be fresh");
    } finally {
      a.close();
    }
  }

  @Test
  void aGonePeerEndsTheStreamOnceItsFramesAreReadAndMidFrameIsAnEof() throws Exception {
    BufferPool pool = new BufferPool(4096);
    Path f = dir.resolve("ring");
    ShmChannel a = ShmSetup.create(f, RING, TOKEN, pool);
    ShmChannel b = ShmSetup.open(f, TOKEN, pool);
    try {
      for (int k = 0; k < 3; k++) {
        c(a, k, 100);
      }
      b.peerGone();
      ByteBuffer hdr = ByteBuffer.allocateDirect(TcpTransport.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (int k = 0; k < 3; k++) {
        hdr.clear();
        assertTrue(b.read(hdr, true), "frame " + k + " was sent before the peer went");
        b.read(ByteBuffer.allocate(hdr.getInt(24)), false);
      }
      hdr.clear();
      assertFalse(b.read(hdr, true), "after the last frame, the end of the stream");

      // Mid-frame: a header whose payload never comes.
      ShmChannel a2 = ShmSetup.create(dir.resolve("ring2"), RING, TOKEN, pool);
      ShmChannel b2 = ShmSetup.open(dir.resolve("ring2"), TOKEN, pool);
      ByteBuffer junk = ByteBuffer.allocate(TcpTransport.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      junk.putInt(0, TcpTransport.MAGIC).putInt(24, 1000);
      a2.writeRaw(junk);
      b2.peerGone();
      hdr.clear();
      assertTrue(b2.read(hdr, true));
      assertThrows(EOFException.class, () -> b2.read(ByteBuffer.allocate(1000), false));
      a2.close();
      b2.close();
    } finally {
      a.close();
      b.close();
    }
  }

  @Test
  void closingStopsAWaitingReaderAndAWriterWaitingForRoom() throws Exception {
    BufferPool pool = new BufferPool(4096);
    Path f = dir.resolve("ring");
    ShmChannel a = ShmSetup.create(f, RING, TOKEN, pool);
    ShmChannel b = ShmSetup.open(f, TOKEN, pool);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    // a reads the ring b would write, and writes the one b would read: neither moves.
    Future<Boolean> reader = threads.submit(() -> a.read(ByteBuffer.allocate(TcpTransport.HEADER_BYTES), true));
    Future<?> writer = threads.submit(() -> {
      for (int k = 0; ; k++) {
        c(a, k, RING / 4); // nobody reads a's ring: it fills, then the writer waits
      }
    });
    Thread.sleep(200);
    assertFalse(reader.isDone() || writer.isDone(), "both should be waiting");
    a.close();
    assertFalse(reader.get(5, TimeUnit.SECONDS), "a closed side reads as the end");
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> writer.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("closed"), e.getCause().toString());
    threads.shutdownNow();
    b.close();
  }

  /** One DATA frame of {@code len} bytes, sequence {@code k}, through a reservation. */
  private static void c(ShmChannel ch, int k, int len) {
    ch.send(TcpTransport.DATA, TcpTransport.COLL, (byte) 0, 1, k, ch.reserve(len, GUARD), GUARD);
  }
}
