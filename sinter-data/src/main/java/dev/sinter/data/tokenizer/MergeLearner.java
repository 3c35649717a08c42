// The merge loop of BPE training, incremental in the style of Sennrich's and Hugging Face's
// trainers: pair counts are kept up to date and each pair remembers the words it occurs in, so a
// merge rewrites only the words that hold the chosen pair and adjusts only the counts of the pairs
// around each occurrence. A max-heap keyed by (count desc, left id, right id) picks the next merge;
// entries are corrected lazily when popped, which is sound because between merges an existing
// pair's count can only fall (pairs that gain occurrences are pushed anew).
package dev.sinter.data.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class MergeLearner {

  // Words, flattened: word w is sym[start[w], start[w] + len[w]) and shrinks as merges apply.
  private final int words;
  private final int[] start;
  private final int[] len;
  private final long[] freq;
  private final int[] sym;
  private final int[] lastVisit;

  // Pairs by index: key (left, right), total count, and the words that held it when it was counted
  // (possibly stale, never missing one).
  private final PairTable pairIndex = new PairTable(1 << 16);
  private long[] pairKey = new long[1 << 16];
  private long[] pairCount = new long[1 << 16];
  private int[][] pairWords = new int[1 << 16][];
  private int[] pairWordsSize = new int[1 << 16];
  private int[] lastGained = new int[1 << 16];
  private int pairs;
  private int[] gained = new int[256];
  private int gainedSize;

  private long[] heapCount = new long[1 << 16];
  private int[] heapPair = new int[1 << 16];
  private int heapSize;

  // Tokens: ids 0..255 are the bytes; merged tokens follow in the order they are created.
  private final List<byte[]> tokens = new ArrayList<>();
  private final ByteSliceTable tokenIndex = new ByteSliceTable(1 << 15, 1 << 18);
  private int[] mergeLeft = new int[1024];
  private int[] mergeRight = new int[1024];
  private final PairTable learned = new PairTable(1 << 15);
  private int merges;
  private int step;

  MergeLearner(WordCounts counts) {
    words = counts.size();
    start = new int[words];
    len = new int[words];
    freq = new long[words];
    lastVisit = new int[words];
    long total = 0;
    for (int w = 0; w < words; w++) {
      total += counts.to(w) - counts.from(w);
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "the corpus has " + total + " bytes of distinct words; at most 2^31 fit in memory");
    }
    sym = new int[(int) total];
    byte[] arena = counts.arena();
    int at = 0;
    for (int w = 0; w < words; w++) {
      start[w] = at;
      freq[w] = counts.count(w);
      for (int i = counts.from(w); i < counts.to(w); i++) {
        sym[at++] = arena[i] & 0xFF; // ids 0..255 are the bytes themselves
      }
      len[w] = at - start[w];
    }
    for (int b = 0; b < 256; b++) {
      byte[] t = {(byte) b};
      tokens.add(t);
      tokenIndex.add(t, 0, 1, ByteSliceTable.hash(t, 0, 1));
    }
    for (int w = 0; w < words; w++) {
      for (int i = start[w], end = start[w] + len[w] - 1; i < end; i++) {
        change(sym[i], sym[i + 1], freq[w], w);
      }
    }
    for (int g = 0; g < gainedSize; g++) {
      push(gained[g]);
    }
    gainedSize = 0;
  }

  /**
   * Merges until there are {@code tokenTarget} tokens (bytes included) or no pair occurs at least
   * {@code minPairCount} times.
   */
  void learn(int tokenTarget, long minPairCount) {
    while (tokens.size() < tokenTarget) {
      int best = popBest();
      if (best < 0 || pairCount[best] < minPairCount) {
        return;
      }
      int a = PairTable.left(pairKey[best]);
      int b = PairTable.right(pairKey[best]);
      int c = tokenFor(a, b);
      // A pair can come back only after a merge re-created a token that was already merged away;
      // its existing rule (earlier rank) already covers it at encode time, so it is applied to
      // the words but not recorded twice.
      if (learned.putIfAbsent(pairKey[best], merges) < 0) {
        if (merges == mergeLeft.length) {
          mergeLeft = Arrays.copyOf(mergeLeft, merges * 2);
          mergeRight = Arrays.copyOf(mergeRight, merges * 2);
        }
        mergeLeft[merges] = a;
        mergeRight[merges] = b;
        merges++;
      }
      step++;
      int[] holders = pairWords[best];
      int holderCount = pairWordsSize[best];
      pairWords[best] = null;
      pairWordsSize[best] = 0;
      for (int h = 0; h < holderCount; h++) {
        int w = holders[h];
        if (lastVisit[w] != step) {
          lastVisit[w] = step;
          mergeInWord(w, a, b, c);
        }
      }
      for (int g = 0; g < gainedSize; g++) {
        if (pairCount[gained[g]] > 0) {
          push(gained[g]);
        }
      }
      gainedSize = 0;
    }
  }

  /** The id of the token a+b, created if no earlier merge produced the same bytes. */
  private int tokenFor(int a, int b) {
    byte[] ta = tokens.get(a);
    byte[] tb = tokens.get(b);
    byte[] joined = Arrays.copyOf(ta, ta.length + tb.length);
    System.arraycopy(tb, 0, joined, ta.length, tb.length);
    int e = tokenIndex.findOrAdd(joined, 0, joined.length);
    if (e >= 0) {
      return e; // entries are added in id order, so entry == id
    }
    tokens.add(joined);
    return tokens.size() - 1;
  }

  /** Replaces each a,b in word w by c, left to right, and moves the neighbouring pair counts. */
  private void mergeInWord(int w, int a, int b, int c) {
    long f = freq[w];
    int s = start[w];
    int end = s + len[w];
    int out = s;
    int i = s;
    while (i < end) {
      if (sym[i] == a && i + 1 < end && sym[i + 1] == b) {
        // sym[out - 1] is already rewritten, so a preceding c (as in a,b,a,b) is seen as c.
        if (out > s) {
          change(sym[out - 1], a, -f, w);
          change(sym[out - 1], c, f, w);
        }
        if (i + 2 < end) {
          change(b, sym[i + 2], -f, w);
          change(c, sym[i + 2], f, w);
        }
        change(a, b, -f, w);
        sym[out++] = c;
        i += 2;
      } else {
        sym[out++] = sym[i++];
      }
    }
    len[w] = out - s;
  }

  private void change(int left, int right, long delta, int word) {
    long key = PairTable.key(left, right);
    int p = pairIndex.putIfAbsent(key, pairs);
    if (p < 0) {
      p = newPair(key);
    }
    pairCount[p] += delta;
    if (delta <= 0) {
      return;
    }
    if (lastGained[p] != step + 1) {
      lastGained[p] = step + 1;
      if (gainedSize == gained.length) {
        gained = Arrays.copyOf(gained, gainedSize * 2);
      }
      gained[gainedSize++] = p;
    }
    int n = pairWordsSize[p];
    int[] list = pairWords[p];
    if (list == null) {
      list = pairWords[p] = new int[2];
    } else if (n > 0 && list[n - 1] == word) {
      return; // one word is processed at a time, so a repeat can only be the last entry
    } else if (n == list.length) {
      list = pairWords[p] = Arrays.copyOf(list, n + (n >> 1) + 1);
    }
    list[n] = word;
    pairWordsSize[p] = n + 1;
  }

  private int newPair(long key) {
    int p = pairs++;
    if (p == pairKey.length) {
      int n = p * 2;
      pairKey = Arrays.copyOf(pairKey, n);
      pairCount = Arrays.copyOf(pairCount, n);
      pairWords = Arrays.copyOf(pairWords, n);
      pairWordsSize = Arrays.copyOf(pairWordsSize, n);
      lastGained = Arrays.copyOf(lastGained, n);
    }
    pairKey[p] = key;
    return p;
  }

  /** The pair with the highest current count (lowest key among equals), or -1 if none is left. */
  private int popBest() {
    while (heapSize > 0) {
      long count = heapCount[0];
      int p = heapPair[0];
      removeTop();
      if (count == pairCount[p]) {
        return p;
      }
      if (pairCount[p] > 0) {
        push(p); // the count fell since this entry was pushed: requeue at its true place
      }
    }
    return -1;
  }

  private boolean above(long countX, int pairX, long countY, int pairY) {
    return countX != countY ? countX > countY : pairKey[pairX] < pairKey[pairY];
  }

  private void push(int p) {
    if (heapSize == heapCount.length) {
      heapCount = Arrays.copyOf(heapCount, heapSize * 2);
      heapPair = Arrays.copyOf(heapPair, heapSize * 2);
    }
    long count = pairCount[p];
    int i = heapSize++;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!above(count, p, heapCount[parent], heapPair[parent])) {
        break;
      }
      heapCount[i] = heapCount[parent];
      heapPair[i] = heapPair[parent];
      i = parent;
    }
    heapCount[i] = count;
    heapPair[i] = p;
  }

  private void removeTop() {
    int size = --heapSize;
    long count = heapCount[size];
    int p = heapPair[size];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size
          && above(heapCount[child + 1], heapPair[child + 1], heapCount[child], heapPair[child])) {
        child++;
      }
      if (!above(heapCount[child], heapPair[child], count, p)) {
        break;
      }
      heapCount[i] = heapCount[child];
      heapPair[i] = heapPair[child];
      i = child;
    }
    heapCount[i] = count;
    heapPair[i] = p;
  }

  byte[][] tokens() {
    return tokens.toArray(new byte[0][]);
  }

  int[] mergeLeft() {
    return Arrays.copyOf(mergeLeft, merges);
  }

  int[] mergeRight() {
    return Arrays.copyOf(mergeRight, merges);
  }
}
