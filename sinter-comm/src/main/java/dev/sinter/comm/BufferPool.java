// Direct ByteBuffers of one chunk size, reused, so that the TCP back end's steady state allocates
// nothing: the caller takes one to pack a chunk, the sender thread returns it after the write; the
// reader takes one per frame, the caller returns it after unpacking (or forwards it). A large ring
// all-reduce queues a whole shard in the inboxes (each rank sends its shard before it receives), so
// the pool keeps up to a byte budget rather than a few buffers: below the budget, repeating such a
// collective allocates nothing (allocating and freeing a direct buffer per frame costs the kernel
// more than the copy itself).
package dev.sinter.comm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A bounded free list of little-endian direct buffers of {@code capacity} bytes. Thread-safe. */
final class BufferPool {
  /** Bytes of buffers kept at most; beyond it they are left to the GC: a burst must not pin memory for good. */
  private static final long MAX_KEPT_BYTES = 256L << 20;
  final int capacity;
  /** Buffers kept at most: the byte budget's worth, and never fewer than 64. */
  private final int maxKept;
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
  private final AtomicInteger kept = new AtomicInteger();

  BufferPool(int capacity) {
    this.capacity = capacity;
    this.maxKept = (int) Math.max(64, MAX_KEPT_BYTES / capacity);
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
    if (kept.incrementAndGet() <= maxKept) {
      free.offer(b);
    } else {
      kept.decrementAndGet();
    }
  }
}
