// The 128-bit content hash that deduplication and the train/validation split are keyed on.
//
// 128 bits of SHA-256 make an accidental collision (which would silently drop a document) about as
// likely as a cosmic-ray bit flip in RAM over the life of the universe of corpora we will ever see,
// while two longs keep the dedup set free of per-entry objects.
package dev.sinter.data.corpus;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The first 128 bits of a SHA-256 digest, as two big-endian longs.
 *
 * @param hi bits 0..63 of the digest
 * @param lo bits 64..127 of the digest
 */
public record ContentHash(long hi, long lo) {

  /** Hashes {@code bytes} with a fresh digest. */
  public static ContentHash of(byte[] bytes) {
    return of(newDigest(), bytes);
  }

  /** Hashes {@code bytes} with {@code sha256}, which is reset first; lets a hot loop reuse one. */
  static ContentHash of(MessageDigest sha256, byte[] bytes) {
    sha256.reset();
    byte[] d = sha256.digest(bytes);
    return new ContentHash(readLong(d, 0), readLong(d, 8));
  }

  static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime must provide SHA-256", e);
    }
  }

  /**
   * The bucket in [0, 1000) a document falls into for the train/validation split. The high bits
   * of a cryptographic hash are uniform, so a permille threshold takes that share of documents.
   */
  public int permille() {
    return (int) Long.remainderUnsigned(hi, 1000);
  }

  /** The 32 hex digits of the hash. */
  @Override
  public String toString() {
    return String.format("%016x%016x", hi, lo);
  }

  private static long readLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }
}
