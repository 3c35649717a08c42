// Pre-token word -> frequency over a corpus, the input of BPE training. One instance per counting
// thread; the trainer adds them together afterwards, which is exact, so the counts (and therefore
// the learned merges) do not depend on how documents were spread over threads.
package dev.sinter.data.tokenizer;

import java.util.Arrays;

final class WordCounts {

  private final ByteSliceTable words = new ByteSliceTable(1 << 16, 1 << 20);
  private long[] counts = new long[1 << 16];

  /** Counts the pre-tokens of one document. */
  void addDocument(byte[] doc) {
    int i = 0;
    while (i < doc.length) {
      int end = PreTokenizer.next(doc, i, doc.length);
      // A one-byte word holds no pair, so it can never take part in a merge.
      if (end - i > 1) {
        add(doc, i, end, 1);
      }
      i = end;
    }
  }

  /** Adds every count of {@code other} into this one. */
  void addAll(WordCounts other) {
    byte[] arena = other.words.arena();
    for (int e = 0; e < other.size(); e++) {
      add(arena, other.words.keyFrom(e), other.words.keyTo(e), other.counts[e]);
    }
  }

  private void add(byte[] b, int from, int to, long n) {
    int e = words.findOrAdd(b, from, to);
    if (e < 0) {
      e = -e - 1;
      if (e == counts.length) {
        counts = Arrays.copyOf(counts, counts.length * 2);
      }
    }
    counts[e] += n;
  }

  /** Number of distinct words. */
  int size() {
    return words.size();
  }

  long count(int word) {
    return counts[word];
  }

  /** The array word w's bytes live in, at [from(w), to(w)). */
  byte[] arena() {
    return words.arena();
  }

  int from(int word) {
    return words.keyFrom(word);
  }

  int to(int word) {
    return words.keyTo(word);
  }
}
