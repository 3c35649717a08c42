// A flat file of token ids, until the data pipeline's sharded format arrives: little-endian uint16
// (".u16", as llm.c and nanoGPT write them, without a header) or int32 (".i32"). Window i starts at
// token (i·T) mod (n − T − 1), so every position is visited in order and the state is one number.
package dev.sinter.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Windows over a token file held in memory. */
public final class TokenFile implements TokenSource {
  private final Path path;
  private final int[] ids;
  private long position;

  /**
   * Reads the file and checks every id against the vocabulary.
   *
   * @throws IllegalArgumentException naming the file for a bad extension, a truncated file or an id
   *     outside [0, vocab)
   */
  public TokenFile(Path path, int vocab) {
    this.path = path;
    String name = path.getFileName().toString();
    int width;
    if (name.endsWith(".u16")) {
      width = 2;
    } else if (name.endsWith(".i32")) {
      width = 4;
    } else {
      throw new IllegalArgumentException(path + ": unknown token file type; name it .u16 (uint16)"
          + " or .i32 (int32), little-endian ids without a header");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read token file: " + e.getMessage(), e);
    }
    if (bytes.length % width != 0) {
      throw new IllegalArgumentException(path + ": " + bytes.length + " bytes is not a whole number of "
          + width + "-byte ids; the file is truncated");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    ids = new int[bytes.length / width];
    for (int i = 0; i < ids.length; i++) {
      int id = width == 2 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException(path + ": token " + i + " has id " + id
            + ", outside the model's vocabulary [0, " + vocab + ")");
      }
      ids[i] = id;
    }
  }

  /** Number of tokens in the file. */
  public int size() {
    return ids.length;
  }

  @Override
  public void next(int[] tokens, int[] targets, int b, int t) {
    long span = ids.length - t - 1L;
    if (span <= 0) {
      throw new IllegalArgumentException(path + ": " + ids.length + " tokens is too few for windows of "
          + t + " tokens plus a target");
    }
    for (int i = 0; i < b; i++) {
      int start = (int) (((position + i) * t) % span);
      System.arraycopy(ids, start, tokens, i * t, t);
      System.arraycopy(ids, start + 1, targets, i * t, t);
    }
    position += b;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public void seek(long p) {
    this.position = p;
  }

  @Override
  public String describe() {
    return path + " (" + ids.length + " tokens)";
  }
}
