// A bounded cache of pre-token word -> token ids, owned by one encoder (so one thread at a time)
// and
// therefore lock-free. Source code and prose repeat a small set of words, so most words skip the
// merge loop. When a bound is reached the cache is emptied and refills with what is frequent now:
// cheaper than LRU bookkeeping on every hit, and results never depend on what is cached.
package dev.sinter.data.tokenizer;

import java.util.Arrays;

final class WordCache {

  /** Longer words are rare and would crowd the arena; they are merged every time. */
  static final int MAX_WORD_BYTES = 64;

  private final int maxEntries;
  private final int maxKeyBytes;
  private final ByteSliceTable words;
  private int[]
      valueStart; // per entry, plus one: ids of entry e are values[valueStart[e], valueStart[e +
  // 1])
  private int[] values;

  /** Starts small, so short-lived encoders are cheap, and grows up to the bound. */
  WordCache(int maxEntries) {
    this.maxEntries = maxEntries;
    this.maxKeyBytes = maxEntries * 16;
    this.words = new ByteSliceTable(1024, 16 * 1024);
    this.valueStart = new int[1024 + 1];
    this.values = new int[4 * 1024];
  }

  /** The cached entry for b[from, to), or -1. */
  int find(byte[] b, int from, int to, int hash) {
    return words.find(b, from, to, hash);
  }

  /** Copies the ids of entry e to dst[at..] and returns how many there are. */
  int copyIds(int e, int[] dst, int at) {
    int from = valueStart[e];
    int n = valueStart[e + 1] - from;
    System.arraycopy(values, from, dst, at, n);
    return n;
  }

  /** Caches ids[at, at + n) for the absent word b[from, to). */
  void put(byte[] b, int from, int to, int hash, int[] ids, int at, int n) {
    if (words.size() == maxEntries || words.keyBytes() + (to - from) > maxKeyBytes) {
      words.clear();
    }
    int e = words.add(b, from, to, hash);
    if (e + 1 == valueStart.length) {
      valueStart = Arrays.copyOf(valueStart, 2 * e + 1);
    }
    int start = valueStart[e];
    if (start + n > values.length) {
      values = Arrays.copyOf(values, Math.max(values.length * 2, start + n));
    }
    System.arraycopy(ids, at, values, start, n);
    valueStart[e + 1] = start + n;
  }
}
