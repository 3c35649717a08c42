// Direct ByteBuffers of one chunk size, reused, so that the TCP back end's steady state allocates
// nothing: the caller takes one to pack a chunk, the sender thread returns it after the write; the
// reader takes one per frame, the caller returns it after unpacking (or forwards it).
package dev.sinter.comm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A bounded free list of little-endian direct buffers of {@code capacity} bytes. Thread-safe. */
final class BufferPool {
  /** Buffers kept beyond this are left to the GC: a burst must not pin memory for good. */
  private static final int MAX_KEPT = 64;
  final int capacity;
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger kept = new AtomicInteger();

  BufferPool(int capacity) {
    this.capacity = capacity;
  }

  /** A buffer with position 0 and limit {@code bytes}; pooled when it fits a chunk. */
  ByteBuffer get(int bytes) {
    if (bytes > capacity) {
      return ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
    ByteBuffer b = free.poll();
    if (b == null) {
      b = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    } else {
      kept.decrementAndGet();
    }
    b.clear().limit(bytes);
    return b;
  }

  /** Takes back a buffer from {@link #get}; others (null, heap, odd sizes) are ignored. */
  void release(ByteBuffer b) {
    if (b == null || b.capacity() != capacity || !b.isDirect()) {
      return;
    }
    if (kept.incrementAndGet() <= MAX_KEPT) {
      free.offer(b);
    } else {
      kept.decrementAndGet();
    }
  }
}
