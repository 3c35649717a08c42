// An insert-only hash set of byte strings that is probed with a slice of a larger array, so the hot
// paths (word cache, vocabulary lookup, training word counts) never allocate a key per lookup.
// Entries are numbered 0, 1, 2, ... in insertion order and callers keep their values in parallel
// arrays indexed by entry.
package dev.sinter.data.tokenizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

final class ByteSliceTable {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private int[] slots; // entry + 1; 0 marks an empty slot
  private int mask;
  private int[] hashes; // per entry
  private int[]
      keyStart; // per entry, plus one past the last: key e is arena[keyStart[e], keyStart[e + 1])
  private byte[] arena;
  private int size;

  ByteSliceTable(int expectedEntries, int expectedBytes) {
    int capacity = Integer.highestOneBit(Math.max(16, expectedEntries * 2 - 1)) << 1;
    slots = new int[capacity];
    mask = capacity - 1;
    hashes = new int[Math.max(16, expectedEntries)];
    keyStart = new int[hashes.length + 1];
    arena = new byte[Math.max(64, expectedBytes)];
  }

  /** A 32-bit hash of b[from, to) whose low bits are well mixed (the table masks them). */
  static int hash(byte[] b, int from, int to) {
    long h = 0x243F6A8885A308D3L ^ (to - from);
    int i = from;
    for (; i + 8 <= to; i += 8) {
      h = Long.rotateLeft((h ^ (long) LONGS.get(b, i)) * 0x9E3779B97F4A7C15L, 31);
    }
    if (i < to) {
      long tail;
      if (i + 8 <= b.length) {
        // Read a whole word and keep the bytes that belong to the key: cheaper than a byte loop.
        tail = (long) LONGS.get(b, i) & (-1L >>> ((8 - (to - i)) << 3));
      } else {
        tail = 0;
        for (int k = to - 1; k >= i; k--) {
          tail = (tail << 8) | (b[k] & 0xFF);
        }
      }
      h = (h ^ tail) * 0x9E3779B97F4A7C15L;
    }
    h ^= h >>> 32;
    h *= 0xD6E8FEB86659FD93L;
    return (int) (h ^ (h >>> 32));
  }

  int size() {
    return size;
  }

  /** Bytes held by all keys together. */
  int keyBytes() {
    return keyStart[size];
  }

  /** The entry whose key equals b[from, to), or -1. */
  int find(byte[] b, int from, int to, int hash) {
    int slot = hash & mask;
    while (true) {
      int e = slots[slot] - 1;
      if (e < 0) {
        return -1;
      }
      if (hashes[e] == hash && Arrays.equals(arena, keyStart[e], keyStart[e + 1], b, from, to)) {
        return e;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Adds b[from, to), which must be absent, and returns its entry number. */
  int add(byte[] b, int from, int to, int hash) {
    int e = size;
    if (e == hashes.length) {
      hashes = Arrays.copyOf(hashes, hashes.length * 2);
      keyStart = Arrays.copyOf(keyStart, hashes.length + 1);
    }
    int start = keyStart[e];
    int len = to - from;
    if (start + len > arena.length) {
      arena = Arrays.copyOf(arena, Math.max(arena.length * 2, start + len));
    }
    System.arraycopy(b, from, arena, start, len);
    keyStart[e + 1] = start + len;
    hashes[e] = hash;
    size = e + 1;
    if (size * 2 > slots.length) {
      rehash(slots.length * 2);
    } else {
      place(e);
    }
    return e;
  }

  /** Finds b[from, to) or adds it; returns the entry, or -(entry + 1) when it was just added. */
  int findOrAdd(byte[] b, int from, int to) {
    int h = hash(b, from, to);
    int e = find(b, from, to, h);
    return e >= 0 ? e : -add(b, from, to, h) - 1;
  }

  /** A copy of key e. */
  byte[] key(int e) {
    return Arrays.copyOfRange(arena, keyStart[e], keyStart[e + 1]);
  }

  /** The array keys live in; key e is at [keyFrom(e), keyTo(e)). Valid until the next add. */
  byte[] arena() {
    return arena;
  }

  int keyFrom(int e) {
    return keyStart[e];
  }

  int keyTo(int e) {
    return keyStart[e + 1];
  }

  /** Removes every entry, keeping the allocated arrays. */
  void clear() {
    Arrays.fill(slots, 0);
    size = 0;
  }

  private void place(int e) {
    int slot = hashes[e] & mask;
    while (slots[slot] != 0) {
      slot = (slot + 1) & mask;
    }
    slots[slot] = e + 1;
  }

  private void rehash(int capacity) {
    slots = new int[capacity];
    mask = capacity - 1;
    for (int e = 0; e < size; e++) {
      place(e);
    }
  }
}
