// Writes one token shard (layout in ShardFormat) atomically: a temp file in the target directory,
// fsync, rename over the target, fsync of the directory.
//
// Tokens stream straight to disk through a 1 MiB buffer and the payload CRC is computed as they
// go, so a shard of any size costs a constant amount of memory plus 8 bytes per document for the
// index. A reader never sees a half-written shard: until finish() renames it, only the temp file
// exists, and close() without finish() deletes it.
package dev.sinter.data.shard;

import dev.sinter.data.AtomicFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/** Writes the documents of one shard; not thread-safe. */
public final class ShardWriter implements Closeable {
  private static final int BUFFER_BYTES = 1 << 20;
  private static final int MAX_DOCUMENTS = Integer.MAX_VALUE - 8;

  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private final int vocabSize;
  private final int[] separator;
  private final int width;
  private final byte[] tokenizerSha;
  private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES)
      .order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private long[] starts = new long[1024];
  private long documents;
  private long tokens;
  private boolean done;

  private ShardWriter(Path target, int vocabSize, int endOfText, byte[] tokenizerSha)
      throws IOException {
    this.target = target;
    this.vocabSize = vocabSize;
    this.separator = new int[] {endOfText};
    this.width = ShardFormat.tokenWidth(vocabSize);
    this.tokenizerSha = tokenizerSha;
    this.temp = AtomicFiles.createTemp(target);
    try {
      this.channel = FileChannel.open(temp, StandardOpenOption.WRITE);
      // The header goes in last, once the counts and the payload CRC are known.
      channel.position(ShardFormat.HEADER_BYTES);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /**
   * Starts a shard that will be written to {@code file} when {@link #finish()} is called.
   *
   * @param file the final path; its directory must exist
   * @param vocabSize the tokenizer's vocabulary size; every id must be below it
   * @param endOfText the id appended to every document
   * @param tokenizerHash the 64 hex digits of {@code Tokenizer.hash()}
   */
  public static ShardWriter create(Path file, int vocabSize, int endOfText, String tokenizerHash)
      throws IOException {
    if (vocabSize <= 0) {
      throw new IllegalArgumentException("vocabulary size must be positive, got " + vocabSize);
    }
    if (endOfText < 0 || endOfText >= vocabSize) {
      throw new IllegalArgumentException("end-of-text id " + endOfText
          + " is outside the vocabulary [0, " + vocabSize + ")");
    }
    return new ShardWriter(file, vocabSize, endOfText,
        ShardFormat.parseTokenizerHash(tokenizerHash));
  }

  /**
   * Appends a document: its ids, then the end-of-text id. Shards store the separator so the
   * loader can pack windows straight from the mapped bytes.
   *
   * @throws IllegalArgumentException if an id is outside the vocabulary (a tokenizer bug that the
   *     narrow on-disk width would otherwise silently truncate)
   */
  public void addDocument(int[] ids) throws IOException {
    if (done) {
      throw new IllegalStateException("shard " + target + " is already finished");
    }
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
            + " of document " + documents + " is outside the vocabulary [0, " + vocabSize + ")");
      }
    }
    if (documents == starts.length) {
      if (starts.length >= MAX_DOCUMENTS) {
        throw new IllegalStateException("shard " + target + " already holds " + documents
            + " documents; use a smaller shard size");
      }
      starts = Arrays.copyOf(starts, (int) Math.min(MAX_DOCUMENTS, 2L * starts.length));
    }
    starts[(int) documents++] = tokens;
    putTokens(ids);
    putTokens(separator);
    tokens += ids.length + 1L;
  }

  /** Tokens written so far, separators included. */
  public long tokenCount() {
    return tokens;
  }

  /** Documents written so far. */
  public long documentCount() {
    return documents;
  }

  /**
   * Writes the index and header, makes the file durable and renames it into place.
   *
   * @return the file's name, token and document counts and payload checksum
   * @throws IllegalStateException if no document was added (an empty shard is never written)
   */
  public ShardManifest.ShardFile finish() throws IOException {
    if (done) {
      throw new IllegalStateException("shard " + target + " is already finished");
    }
    if (documents == 0) {
      throw new IllegalStateException("shard " + target + " has no documents");
    }
    long indexOffset = ShardFormat.indexOffset(tokens, width);
    long pad = indexOffset - (ShardFormat.HEADER_BYTES + tokens * width);
    for (long i = 0; i < pad; i++) {
      put1((byte) 0);
    }
    for (int d = 0; d < documents; d++) {
      ensure(8);
      buf.putLong(starts[d]);
    }
    flush();
    int payloadCrc = (int) crc.getValue();
    ByteBuffer header = ShardFormat.encode(new ShardFormat.Header(vocabSize, separator[0], width,
        payloadCrc, tokens, documents, indexOffset, tokenizerSha));
    while (header.hasRemaining()) {
      channel.write(header, header.position());
    }
    channel.force(true);
    channel.close();
    AtomicFiles.moveAtomically(temp, target);
    done = true;
    return new ShardManifest.ShardFile(target.getFileName().toString(), tokens, documents,
        ShardFormat.fileBytes(tokens, width, documents),
        HexFormat.of().toHexDigits(payloadCrc));
  }

  /** Deletes the temp file unless {@link #finish()} succeeded. */
  @Override
  public void close() throws IOException {
    if (!done) {
      done = true;
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(temp);
      }
    }
  }

  private void putTokens(int[] ids) throws IOException {
    int i = 0;
    while (i < ids.length) {
      ensure(width);
      // One width switch per buffer-full, not per token.
      int n = Math.min(ids.length - i, buf.remaining() / width);
      switch (width) {
        case 1 -> {
          for (int k = i; k < i + n; k++) {
            buf.put((byte) ids[k]);
          }
        }
        case 2 -> {
          for (int k = i; k < i + n; k++) {
            buf.putShort((short) ids[k]);
          }
        }
        default -> {
          for (int k = i; k < i + n; k++) {
            buf.putInt(ids[k]);
          }
        }
      }
      i += n;
    }
  }

  private void put1(byte b) throws IOException {
    ensure(1);
    buf.put(b);
  }

  private void ensure(int n) throws IOException {
    if (buf.remaining() < n) {
      flush();
    }
  }

  private void flush() throws IOException {
    buf.flip();
    crc.update(buf.duplicate());
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    buf.clear();
  }
}
