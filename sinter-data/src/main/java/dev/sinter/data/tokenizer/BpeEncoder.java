// The encoding loop of one thread: pre-tokenise, look the word up in this encoder's cache, and on a
// miss run the merges. Encoders are pooled by BpeTokenizer so their caches stay warm across calls;
// an encoder is never used by two threads at once.
package dev.sinter.data.tokenizer;

import java.util.Arrays;

final class BpeEncoder {

  private static final int CACHE_ENTRIES = 1 << 16;

  /**
   * Buffers grown past these sizes by one huge input are dropped afterwards: encoders are pooled.
   */
  private static final int RETAINED_IDS = 1 << 20;

  private static final int RETAINED_WORD_BYTES = 1 << 12;

  private final int[] byteToId;
  private final PairTable ranks;
  private final int[] mergeResult;
  private final ByteSliceTable wholeWords; // non-null only under ignore_merges
  private final int[] wholeWordIds;
  private final WordCache cache = new WordCache(CACHE_ENTRIES);

  private int[] out = new int[4096];
  private int outSize;

  // Merge scratch, indexed by byte position within the word; sym is -1 once merged into its left.
  private int[] sym = new int[64];
  private int[] next = new int[64];
  private int[] prev = new int[64];
  private long[] heap = new long[192];

  BpeEncoder(BpeModel model) {
    this.byteToId = model.byteToId;
    this.ranks = model.ranks;
    this.mergeResult = model.mergeResult;
    this.wholeWords = model.ignoreMerges ? model.regularTokens : null;
    this.wholeWordIds = model.regularTokenIds;
  }

  /** Encodes b[from, to) on its own. */
  int[] encode(byte[] b, int from, int to) {
    reset();
    append(b, from, to);
    return result();
  }

  /** Starts an encoding that is built with append and appendId, then taken with result. */
  void reset() {
    outSize = 0;
  }

  int[] result() {
    int[] ids = Arrays.copyOf(out, outSize);
    if (out.length > RETAINED_IDS) {
      out = new int[4096];
    }
    if (sym.length > RETAINED_WORD_BYTES) {
      sym = new int[64];
      next = new int[64];
      prev = new int[64];
      heap = new long[192];
    }
    return ids;
  }

  void appendId(int id) {
    ensureOut(1);
    out[outSize++] = id;
  }

  /** Pre-tokenises b[from, to) and appends the ids of each piece. */
  void append(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      int end = PreTokenizer.next(b, i, to);
      appendWord(b, i, end);
      i = end;
    }
  }

  private void appendWord(byte[] b, int from, int to) {
    int len = to - from;
    // A word never yields more ids than it has bytes.
    ensureOut(len);
    if (len == 1) {
      out[outSize++] = byteToId[b[from] & 0xFF];
      return;
    }
    if (len > WordCache.MAX_WORD_BYTES) {
      outSize += merge(b, from, to, out, outSize);
      return;
    }
    int hash = ByteSliceTable.hash(b, from, to);
    int e = cache.find(b, from, to, hash);
    if (e >= 0) {
      outSize += cache.copyIds(e, out, outSize);
      return;
    }
    int n = merge(b, from, to, out, outSize);
    cache.put(b, from, to, hash, out, outSize, n);
    outSize += n;
  }

  private void ensureOut(int extra) {
    if (outSize + extra > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, outSize + extra));
    }
  }

  /**
   * Applies the merges to the bytes b[from, to), writes the ids to dst[at..] and returns their
   * number. Same procedure as Hugging Face's Word::merge_all: a min-heap of (rank, position) over
   * adjacent pairs, the lowest rank first and the leftmost among equals, entries checked for
   * staleness when popped, so loaded files encode exactly as there.
   */
  private int merge(byte[] b, int from, int to, int[] dst, int at) {
    int n = to - from;
    if (wholeWords != null) {
      int e = wholeWords.find(b, from, to, ByteSliceTable.hash(b, from, to));
      if (e >= 0) {
        dst[at] = wholeWordIds[e];
        return 1;
      }
    }
    ensureScratch(n);
    int[] sym = this.sym;
    int[] next = this.next;
    int[] prev = this.prev;
    long[] heap = this.heap;
    int heapSize = 0;
    for (int k = 0; k < n; k++) {
      sym[k] = byteToId[b[from + k] & 0xFF];
      next[k] = k + 1;
      prev[k] = k - 1;
    }
    next[n - 1] = -1;
    for (int k = 0; k + 1 < n; k++) {
      int rank = ranks.get(sym[k], sym[k + 1]);
      if (rank >= 0) {
        heapSize = push(heap, heapSize, ((long) rank << 32) | k);
      }
    }
    while (heapSize > 0) {
      long top = heap[0];
      heapSize = pop(heap, heapSize);
      int pos = (int) top;
      int newId = mergeResult[(int) (top >>> 32)];
      int right = sym[pos] < 0 ? -1 : next[pos];
      if (right < 0) {
        continue;
      }
      int current = ranks.get(sym[pos], sym[right]);
      if (current < 0 || mergeResult[current] != newId) {
        continue; // the pair at pos changed since this entry was pushed
      }
      sym[pos] = newId;
      sym[right] = -1;
      int after = next[right];
      next[pos] = after;
      if (after >= 0) {
        prev[after] = pos;
        int rank = ranks.get(newId, sym[after]);
        if (rank >= 0) {
          heapSize = push(heap, heapSize, ((long) rank << 32) | pos);
        }
      }
      int before = prev[pos];
      if (before >= 0) {
        int rank = ranks.get(sym[before], newId);
        if (rank >= 0) {
          heapSize = push(heap, heapSize, ((long) rank << 32) | before);
        }
      }
    }
    int count = 0;
    for (int k = 0; k >= 0; k = next[k]) {
      dst[at + count++] = sym[k];
    }
    return count;
  }

  private void ensureScratch(int n) {
    if (n > sym.length) {
      int size = Math.max(n, sym.length * 2);
      sym = new int[size];
      next = new int[size];
      prev = new int[size];
      // n - 1 initial pairs plus at most two pushes per merge, of which there are at most n - 1.
      heap = new long[3 * size];
    }
  }

  private static int push(long[] heap, int size, long value) {
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= value) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = value;
    return size + 1;
  }

  private static int pop(long[] heap, int size) {
    long last = heap[--size];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[child] >= last) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return size;
  }
}
