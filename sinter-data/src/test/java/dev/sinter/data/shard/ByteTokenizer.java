// A trivial tokenizer for tests: one id per byte (0..255) plus an end-of-text id (256).
package dev.sinter.data.shard;

import dev.sinter.data.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Byte-level identity tokenizer; its hash depends on {@code name} so tests can make two. */
public final class ByteTokenizer implements Tokenizer {
  /** The end-of-text id. */
  public static final int EOT = 256;

  private final String hash;

  /** A tokenizer whose hash is derived from {@code name}. */
  public ByteTokenizer(String name) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(("byte-tokenizer:" + name).getBytes(StandardCharsets.UTF_8));
      this.hash = HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The default instance. */
  public ByteTokenizer() {
    this("v1");
  }

  @Override
  public int vocabSize() {
    return 257;
  }

  @Override
  public int[] encode(byte[] utf8) {
    int[] ids = new int[utf8.length];
    for (int i = 0; i < utf8.length; i++) {
      ids[i] = utf8[i] & 0xFF;
    }
    return ids;
  }

  @Override
  public byte[] decodeBytes(int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id == EOT) {
        out.writeBytes("<|endoftext|>".getBytes(StandardCharsets.UTF_8));
      } else {
        out.write(id);
      }
    }
    return out.toByteArray();
  }

  @Override
  public int endOfText() {
    return EOT;
  }

  @Override
  public String hash() {
    return hash;
  }
}
