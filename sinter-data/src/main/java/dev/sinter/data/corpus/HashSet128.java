// An open-addressing set of 128-bit content hashes for exact deduplication.
//
// A corpus can hold tens of millions of documents; a HashSet<ContentHash> would spend ~60 bytes of
// object overhead per entry, this spends 32 (two longs at load factor one half).
package dev.sinter.data.corpus;

final class HashSet128 {
  private long[] table; // pairs (hi, lo); (0, 0) marks an empty slot
  private int size;
  private boolean hasZero; // the one key that collides with the empty marker

  HashSet128() {
    table = new long[2 * 1024];
  }

  /** Adds the key; returns false if it was already present. */
  boolean add(long hi, long lo) {
    if (hi == 0 && lo == 0) {
      boolean added = !hasZero;
      hasZero = true;
      return added;
    }
    if (2 * (size + 1) > table.length / 2) {
      grow();
    }
    if (!insert(table, hi, lo)) {
      return false;
    }
    size++;
    return true;
  }

  int size() {
    return size + (hasZero ? 1 : 0);
  }

  private static boolean insert(long[] t, long hi, long lo) {
    int mask = t.length / 2 - 1;
    // Real keys are SHA-256 bits and would index well as they are; mixing both halves keeps the
    // set linear-time for any keys (tests and callers with structured keys included).
    long h = (hi ^ Long.rotateLeft(lo, 32)) * 0x9E3779B97F4A7C15L;
    int slot = (int) (h ^ (h >>> 32)) & mask;
    while (true) {
      int k = 2 * slot;
      if (t[k] == 0 && t[k + 1] == 0) {
        t[k] = hi;
        t[k + 1] = lo;
        return true;
      }
      if (t[k] == hi && t[k + 1] == lo) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
  }

  private void grow() {
    if (table.length >= 1 << 30) {
      throw new IllegalStateException("more than 2^28 distinct documents: deduplicate in parts");
    }
    long[] next = new long[table.length * 2];
    for (int k = 0; k < table.length; k += 2) {
      if (table[k] != 0 || table[k + 1] != 0) {
        insert(next, table[k], table[k + 1]);
      }
    }
    table = next;
  }
}
