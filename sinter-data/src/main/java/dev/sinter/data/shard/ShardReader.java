// Opens a token shard (layout in ShardFormat) as a memory-mapped, fully verified, read-only view.
//
// The whole file is mapped as one MemorySegment, which is indexed by long, so shards larger than
// 2 GB need no special handling. Opening verifies everything before a single token is handed out:
// the magic, the header checksum, the version, the exact file size, the payload CRC-32C (in
// 1 GiB slices, with the JDK's hardware CRC) and the document index. A training run that reads a
// corrupt shard would otherwise learn from garbage for hours before anyone noticed.
package dev.sinter.data.shard;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A verified, memory-mapped token shard. Thread-safe for reading; {@link #close()} unmaps it, and
 * reading after close throws {@link IllegalStateException}.
 */
public final class ShardReader implements Closeable {
  private static final ValueLayout.OfShort U16 =
      ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32 =
      ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 =
      ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final long CRC_SLICE = 1L << 30;

  private final Path path;
  private final Arena arena;
  private final MemorySegment segment;
  private final ShardFormat.Header header;

  private ShardReader(Path path, Arena arena, MemorySegment segment, ShardFormat.Header header) {
    this.path = path;
    this.arena = arena;
    this.segment = segment;
    this.header = header;
  }

  /**
   * Opens and verifies a shard without checking which tokenizer wrote it; for inspection tools.
   * Training must use {@link #open(Path, String, int)}.
   *
   * @throws IOException naming the file and what is wrong with it
   */
  public static ShardReader open(Path path) throws IOException {
    return open(path, null, 0);
  }

  /**
   * Opens and verifies a shard written with the given tokenizer.
   *
   * @param path the shard file
   * @param expectedTokenizerHash the model tokenizer's {@code Tokenizer.hash()}, or null to skip
   *     the check
   * @param expectedVocab the model tokenizer's vocabulary size (ignored if the hash is null)
   * @throws IOException naming the file and what is wrong: not a shard, corrupt header, truncated,
   *     corrupt payload, or written with a different tokenizer (both hashes given)
   */
  public static ShardReader open(Path path, String expectedTokenizerHash, int expectedVocab)
      throws IOException {
    String name = path.toString();
    Arena arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < ShardFormat.HEADER_BYTES) {
        throw new IOException(name + ": truncated: " + size + " bytes, shorter than the "
            + ShardFormat.HEADER_BYTES + "-byte shard header; re-run `sinter data prepare`");
      }
      ByteBuffer hb = ByteBuffer.allocate(ShardFormat.HEADER_BYTES);
      while (hb.hasRemaining()) {
        if (ch.read(hb, hb.position()) < 0) {
          throw new IOException(name + ": truncated while reading the header");
        }
      }
      ShardFormat.Header h = ShardFormat.decode(hb.flip(), name);
      if (expectedTokenizerHash != null) {
        checkTokenizer(name, h, expectedTokenizerHash, expectedVocab);
      }
      long expected = h.fileBytes();
      if (size < expected) {
        throw new IOException(name + ": truncated: " + size + " bytes, but its header describes "
            + h.tokenCount() + " tokens and " + h.documentCount() + " documents in " + expected
            + " bytes; the copy or write was cut short, re-run `sinter data prepare`");
      }
      if (size > expected) {
        throw new IOException(name + ": " + (size - expected) + " unexpected bytes after the end "
            + "of the shard (" + expected + " bytes); re-run `sinter data prepare`");
      }
      MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      ShardReader r = new ShardReader(path, arena, seg, h);
      r.verifyPayload();
      r.verifyIndex();
      return r;
    } catch (IOException | RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  private static void checkTokenizer(String name, ShardFormat.Header h, String expectedHash,
      int expectedVocab) throws IOException {
    byte[] want = ShardFormat.parseTokenizerHash(expectedHash.toLowerCase(Locale.ROOT));
    if (!Arrays.equals(want, h.tokenizerSha256())) {
      throw new IOException(name + ": written with tokenizer " + h.tokenizerHash()
          + " (vocabulary " + h.vocabSize() + "), but the model's tokenizer is "
          + expectedHash.toLowerCase(Locale.ROOT) + " (vocabulary " + expectedVocab
          + "); token ids mean different things under different tokenizers, so re-run "
          + "`sinter data prepare` with the model's tokenizer");
    }
    if (h.vocabSize() != expectedVocab) {
      throw new IOException(name + ": vocabulary size " + h.vocabSize() + ", but the model's "
          + "tokenizer (same hash " + h.tokenizerHash() + ") has " + expectedVocab
          + "; re-run `sinter data prepare` with the model's tokenizer");
    }
  }

  private void verifyPayload() throws IOException {
    CRC32C crc = new CRC32C();
    long size = segment.byteSize();
    for (long off = ShardFormat.HEADER_BYTES; off < size; off += CRC_SLICE) {
      crc.update(segment.asSlice(off, Math.min(CRC_SLICE, size - off)).asByteBuffer());
    }
    if ((int) crc.getValue() != header.payloadCrc()) {
      throw new IOException(String.format("%s: payload checksum mismatch (header says %08x, "
          + "data gives %08x): the tokens or index are corrupt (a bad disk or an incomplete "
          + "copy); re-run `sinter data prepare` or restore the file", path,
          header.payloadCrc(), (int) crc.getValue()));
    }
  }

  private void verifyIndex() throws IOException {
    long prev = -1;
    int eot = header.endOfText();
    for (long d = 0; d < header.documentCount(); d++) {
      long start = documentStart(d);
      if (d == 0 ? start != 0 : start <= prev || start >= header.tokenCount()) {
        throw new IOException(path + ": document index entry " + d + " is " + start
            + " after " + prev + " (of " + header.tokenCount() + " tokens); the writer that "
            + "made this shard is broken, re-run `sinter data prepare`");
      }
      if (d > 0 && token(start - 1) != eot) {
        throw new IOException(path + ": document " + (d - 1) + " does not end with the "
            + "end-of-text id " + eot + "; re-run `sinter data prepare`");
      }
      prev = start;
    }
    if (token(header.tokenCount() - 1) != eot) {
      throw new IOException(path + ": the last document does not end with the end-of-text id "
          + eot + "; re-run `sinter data prepare`");
    }
  }

  /** The file this shard was read from. */
  public Path path() {
    return path;
  }

  /** The vocabulary size of the tokenizer that wrote it. */
  public int vocabSize() {
    return header.vocabSize();
  }

  /** The end-of-text id that ends every document. */
  public int endOfText() {
    return header.endOfText();
  }

  /** The tokenizer's hash, as 64 lowercase hex digits. */
  public String tokenizerHash() {
    return header.tokenizerHash();
  }

  /** Bytes per token id on disk: 1, 2 or 4. */
  public int tokenWidth() {
    return header.tokenWidth();
  }

  /** Number of tokens, end-of-text separators included. */
  public long tokenCount() {
    return header.tokenCount();
  }

  /** Number of documents. */
  public long documentCount() {
    return header.documentCount();
  }

  /** The CRC-32C of everything after the header, as stored (and verified). */
  public int payloadCrc32c() {
    return header.payloadCrc();
  }

  /** The token at {@code i}, in [0, {@link #tokenCount()}). */
  public int token(long i) {
    long off = ShardFormat.HEADER_BYTES + i * header.tokenWidth();
    return switch (header.tokenWidth()) {
      case 1 -> segment.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
      case 2 -> segment.get(U16, off) & 0xFFFF;
      default -> segment.get(I32, off);
    };
  }

  /**
   * Copies {@code n} tokens starting at {@code from} into {@code dst[off..off+n)}. This is the
   * loader's hot path: one width dispatch per call, then a plain loop over the mapped bytes (a
   * bulk copy for 4-byte ids).
   *
   * @throws IndexOutOfBoundsException if the range is outside the shard or the array
   */
  public void read(long from, int[] dst, int off, int n) {
    if (from < 0 || n < 0 || from > header.tokenCount() - n) {
      throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + n) + ") outside "
          + path + " (" + header.tokenCount() + " tokens)");
    }
    Objects.checkFromIndexSize(off, n, dst.length);
    long base = ShardFormat.HEADER_BYTES + from * header.tokenWidth();
    switch (header.tokenWidth()) {
      case 1 -> {
        for (int k = 0; k < n; k++) {
          dst[off + k] = segment.get(ValueLayout.JAVA_BYTE, base + k) & 0xFF;
        }
      }
      case 2 -> {
        for (int k = 0; k < n; k++) {
          dst[off + k] = segment.get(U16, base + 2L * k) & 0xFFFF;
        }
      }
      default -> MemorySegment.copy(segment, I32, base, dst, off, n);
    }
  }

  /** Index of the first token of document {@code d}. */
  public long documentStart(long d) {
    Objects.checkIndex(d, header.documentCount());
    return segment.get(I64, header.indexOffset() + 8 * d);
  }

  /** One past the last token (the end-of-text) of document {@code d}. */
  public long documentEnd(long d) {
    return d + 1 == header.documentCount() ? header.tokenCount() : documentStart(d + 1);
  }

  /** Unmaps the file. */
  @Override
  public synchronized void close() {
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }

  @Override
  public String toString() {
    return path + " (" + tokenCount() + " tokens, " + documentCount() + " documents)";
  }
}
