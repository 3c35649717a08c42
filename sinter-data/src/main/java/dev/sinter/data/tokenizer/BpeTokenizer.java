// Byte-level BPE in the GPT-2 / Llama-3 style: the 256 bytes are the base tokens, text is split by
// the GPT-2 pre-tokenisation pattern, and merges apply by rank within each piece. Any byte sequence
// encodes and decodes back exactly. Special tokens come after the merged tokens and are produced
// only by encodeWithSpecials or by the caller, never by plain encode.
package dev.sinter.data.tokenizer;

import dev.sinter.data.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A trained or loaded byte-level BPE tokenizer. Immutable and thread-safe; create one with {@link
 * BpeTrainer} or {@link TokenizerJson#load}.
 */
public final class BpeTokenizer implements Tokenizer {

  /** Starts a document. */
  public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";

  /** Ends a document; {@link #endOfText()}. */
  public static final String END_OF_TEXT = "<|end_of_text|>";

  /** Fills a batch row past the end of its sequence. */
  public static final String PAD = "<|pad|>";

  /** Opens a system turn (reserved for fine-tuning). */
  public static final String SYSTEM = "<|system|>";

  /** Opens a user turn (reserved for fine-tuning). */
  public static final String USER = "<|user|>";

  /** Opens an assistant turn (reserved for fine-tuning). */
  public static final String ASSISTANT = "<|assistant|>";

  /** Closes a chat turn (reserved for fine-tuning). */
  public static final String END_OF_TURN = "<|end_of_turn|>";

  /** The special tokens the trainer appends after the merged tokens, in id order. */
  public static final List<String> SPECIAL_TOKENS =
      List.of(BEGIN_OF_TEXT, END_OF_TEXT, PAD, SYSTEM, USER, ASSISTANT, END_OF_TURN);

  /** GPT-2's spelling, accepted as the end-of-text token of loaded files that lack ours. */
  private static final String GPT2_END_OF_TEXT = "<|endoftext|>";

  /** Most documents a worker of encodeAll claims at once; claiming costs a shared increment. */
  private static final int MAX_DOCS_PER_CLAIM = 16;

  private final BpeModel model;
  private final int endOfText;
  private final byte[][] specialsLongestFirst;
  private final int[] specialIdsLongestFirst;
  private final boolean[] specialFirstBytes = new boolean[256];
  private final ArrayBlockingQueue<BpeEncoder> idleEncoders =
      new ArrayBlockingQueue<>(2 * Runtime.getRuntime().availableProcessors());

  BpeTokenizer(BpeModel model) {
    this.model = model;
    Integer eot = model.specials.get(END_OF_TEXT);
    if (eot == null) {
      eot = model.specials.get(GPT2_END_OF_TEXT);
    }
    if (eot == null) {
      throw new IllegalArgumentException(
          "no end-of-text special token: add "
              + END_OF_TEXT
              + " (or GPT-2's "
              + GPT2_END_OF_TEXT
              + ") to the special tokens");
    }
    this.endOfText = eot;
    List<Integer> ids = new ArrayList<>(model.specials.values());
    ids.sort((x, y) -> Integer.compare(model.tokens[y].length, model.tokens[x].length));
    specialsLongestFirst = new byte[ids.size()][];
    specialIdsLongestFirst = new int[ids.size()];
    for (int i = 0; i < ids.size(); i++) {
      specialIdsLongestFirst[i] = ids.get(i);
      specialsLongestFirst[i] = model.tokens[ids.get(i)];
      specialFirstBytes[specialsLongestFirst[i][0] & 0xFF] = true;
    }
  }

  BpeModel model() {
    return model;
  }

  @Override
  public int vocabSize() {
    return model.vocabSize();
  }

  /** Number of merges; ranks run from 0, the merge applied first. */
  public int mergeCount() {
    return model.mergeCount();
  }

  /** {@inheritDoc} Text that spells a special token is encoded as ordinary bytes. */
  @Override
  public int[] encode(byte[] utf8) {
    BpeEncoder encoder = borrow();
    try {
      return encoder.encode(utf8, 0, utf8.length);
    } finally {
      release(encoder);
    }
  }

  /**
   * Encodes like {@link #encode(byte[])} but turns each occurrence of a special token's text into
   * its id (leftmost match first, the longest when several start at one place), as Hugging Face
   * does for added tokens. For trusted text only: user text must not be able to forge turns.
   */
  public int[] encodeWithSpecials(byte[] utf8) {
    BpeEncoder encoder = borrow();
    try {
      encoder.reset();
      int plainFrom = 0;
      int i = 0;
      while (i < utf8.length) {
        int match = specialAt(utf8, i);
        if (match < 0) {
          i++;
          continue;
        }
        encoder.append(utf8, plainFrom, i);
        encoder.appendId(specialIdsLongestFirst[match]);
        i += specialsLongestFirst[match].length;
        plainFrom = i;
      }
      encoder.append(utf8, plainFrom, utf8.length);
      return encoder.result();
    } finally {
      release(encoder);
    }
  }

  /** {@link #encodeWithSpecials(byte[])} on the UTF-8 bytes of {@code text}. */
  public int[] encodeWithSpecials(String text) {
    return encodeWithSpecials(text.getBytes(StandardCharsets.UTF_8));
  }

  private int specialAt(byte[] b, int i) {
    if (!specialFirstBytes[b[i] & 0xFF]) {
      return -1;
    }
    for (int s = 0; s < specialsLongestFirst.length; s++) {
      byte[] t = specialsLongestFirst[s];
      if (i + t.length <= b.length && Arrays.equals(b, i, i + t.length, t, 0, t.length)) {
        return s;
      }
    }
    return -1;
  }

  /**
   * Encodes many documents on {@code threads} threads; element i is {@code encode(docs.get(i))},
   * whatever the thread count.
   *
   * @throws IllegalArgumentException if threads is below 1
   */
  public int[][] encodeAll(List<byte[]> docs, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    byte[][] input = docs.toArray(new byte[0][]);
    int[][] result = new int[input.length][];
    AtomicInteger nextDoc = new AtomicInteger();
    // Claims shrink for short lists so that a few large documents still spread over the threads.
    int claim = Math.max(1, Math.min(MAX_DOCS_PER_CLAIM, input.length / (8 * threads)));
    Workers.run(
        Math.max(1, Math.min(threads, input.length)),
        "sinter-bpe-encode",
        (worker, stop) -> {
          BpeEncoder encoder = borrow();
          try {
            int from;
            while (!stop.getAsBoolean() && (from = nextDoc.getAndAdd(claim)) < input.length) {
              for (int d = from, to = Math.min(input.length, from + claim); d < to; d++) {
                result[d] = encoder.encode(input[d], 0, input[d].length);
              }
            }
          } finally {
            release(encoder);
          }
        });
    return result;
  }

  @Override
  public byte[] decodeBytes(int[] ids) {
    int total = 0;
    for (int id : ids) {
      total += tokenBytesUnchecked(id).length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (int id : ids) {
      byte[] t = model.tokens[id];
      System.arraycopy(t, 0, out, at, t.length);
      at += t.length;
    }
    return out;
  }

  /** A copy of the bytes token {@code id} stands for. */
  public byte[] tokenBytes(int id) {
    return tokenBytesUnchecked(id).clone();
  }

  private byte[] tokenBytesUnchecked(int id) {
    if (id < 0 || id >= model.tokens.length) {
      throw new IllegalArgumentException(
          "token id " + id + " is outside the vocabulary [0, " + model.tokens.length + ")");
    }
    return model.tokens[id];
  }

  /** Whether {@code id} is a special token. */
  public boolean isSpecial(int id) {
    tokenBytesUnchecked(id);
    return model.special[id];
  }

  /** The id of special token {@code text}; throws IllegalArgumentException if there is none. */
  public int specialId(String text) {
    Integer id = model.specials.get(text);
    if (id == null) {
      throw new IllegalArgumentException(
          "no special token " + text + " in this tokenizer; it has " + model.specials.keySet());
    }
    return id;
  }

  /** Special-token text to id, in id order. */
  public Map<String, Integer> specialTokens() {
    return model.specials;
  }

  @Override
  public int endOfText() {
    return endOfText;
  }

  /** The id of {@link #BEGIN_OF_TEXT}. */
  public int beginOfText() {
    return specialId(BEGIN_OF_TEXT);
  }

  /** The id of {@link #PAD}. */
  public int pad() {
    return specialId(PAD);
  }

  @Override
  public String hash() {
    return model.hash;
  }

  @Override
  public String toString() {
    return "BpeTokenizer[vocab="
        + vocabSize()
        + ", merges="
        + mergeCount()
        + ", specials="
        + model.specials.size()
        + ", hash="
        + model.hash.substring(0, 12)
        + "]";
  }

  private BpeEncoder borrow() {
    BpeEncoder encoder = idleEncoders.poll();
    return encoder != null ? encoder : new BpeEncoder(model);
  }

  private void release(BpeEncoder encoder) {
    // A full pool drops the encoder: memory stays bounded by twice the core count of caches.
    idleEncoders.offer(encoder);
  }
}
