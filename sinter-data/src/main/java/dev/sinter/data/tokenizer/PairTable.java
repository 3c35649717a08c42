// An open-addressing map from a token pair (left id, right id) to an int, for the two places where
// a boxed HashMap lookup per adjacent pair would dominate: merge ranks during encoding and pair
// indices during training. Keys are the pair packed into a long; ids are non-negative ints.
package dev.sinter.data.tokenizer;

import java.util.Arrays;

final class PairTable {

  private static final long EMPTY = -1L;

  private long[] keys;
  private int[] values;
  private int mask;
  private int shift;
  private int size;

  PairTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    values = new int[capacity];
    Arrays.fill(keys, EMPTY);
    mask = capacity - 1;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
  }

  static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  static int left(long key) {
    return (int) (key >>> 32);
  }

  static int right(long key) {
    return (int) key;
  }

  int size() {
    return size;
  }

  /** The value stored for (left, right), or -1. */
  int get(int left, int right) {
    long k = key(left, right);
    int slot = slot(k);
    while (true) {
      long found = keys[slot];
      if (found == k) {
        return values[slot];
      }
      if (found == EMPTY) {
        return -1;
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Stores {@code value} under {@code key} if the key is absent and returns -1; otherwise leaves
   * the table unchanged and returns the value already there.
   */
  int putIfAbsent(long key, int value) {
    int slot = slot(key);
    while (true) {
      long found = keys[slot];
      if (found == key) {
        return values[slot];
      }
      if (found == EMPTY) {
        keys[slot] = key;
        values[slot] = value;
        if (++size * 2 > keys.length) {
          grow();
        }
        return -1;
      }
      slot = (slot + 1) & mask;
    }
  }

  private int slot(long k) {
    // Fibonacci hashing: the top bits of the product depend on both ids.
    return (int) ((k * 0x9E3779B97F4A7C15L) >>> shift);
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new int[oldValues.length * 2];
    Arrays.fill(keys, EMPTY);
    mask = keys.length - 1;
    shift--;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != EMPTY) {
        int slot = slot(oldKeys[i]);
        while (keys[slot] != EMPTY) {
          slot = (slot + 1) & mask;
        }
        keys[slot] = oldKeys[i];
        values[slot] = oldValues[i];
      }
    }
  }
}
