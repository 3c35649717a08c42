// The on-disk layout of a Sinter token shard (format version 1), and its header codec.
//
// All integers are little-endian. A shard is a fixed 128-byte header, the token ids, zero padding
// to a multiple of 8 bytes, then the document index:
//
//   offset size field
//        0    8 magic            53 4E 54 4B 0D 0A 1A 0A  ("SNTK\r\n\x1a\n", after PNG: catches
//                                text-mode newline rewriting and truncation at ^Z)
//        8    4 version          u32, 1
//       12    4 headerBytes      u32, 128
//       16    4 vocabSize        u32, every id is < vocabSize
//       20    4 endOfText        u32, the id that ends every document
//       24    4 tokenWidth       u32, bytes per id: 1 if vocabSize <= 2^8, 2 if <= 2^16, else 4
//       28    4 payloadCrc32c    u32, CRC-32C of bytes [128, fileSize)
//       32    8 tokenCount       u64
//       40    8 documentCount    u64, at least 1
//       48    8 indexOffset      u64, = align8(128 + tokenCount * tokenWidth)
//       56   32 tokenizerSha256  the 32 bytes of Tokenizer.hash() (hex-decoded)
//       88   36 reserved         zero
//      124    4 headerCrc32c     u32, CRC-32C of bytes [0, 124)
//      128    . tokens           tokenCount ids, tokenWidth bytes each, unsigned
//        .    . padding          zero bytes up to indexOffset
//  indexOffset 8*documentCount   u64 start of each document, in tokens from the first token;
//                                strictly increasing, the first is 0; document d ends where
//                                d + 1 starts (the last at tokenCount); every document's last
//                                token is endOfText
//
// fileSize = indexOffset + 8 * documentCount exactly; anything else is truncation or garbage.
//
// Why CRC-32C and not SHA-256: the threat is corruption (a bad disk, a partial copy, a bit flip),
// not an adversary, and a shard is only ever read as integers, never executed. CRC-32C detects
// every burst of up to 32 bits and every odd number of flipped bits, and the JDK computes it with
// the CPU's CRC instructions at many GB/s, so verifying a multi-GB shard costs about as much as
// paging it in; SHA-256 would be several times slower for no gain against that threat.
package dev.sinter.data.shard;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.zip.CRC32C;

final class ShardFormat {
  static final byte[] MAGIC = {'S', 'N', 'T', 'K', 0x0D, 0x0A, 0x1A, 0x0A};
  static final int VERSION = 1;
  static final int HEADER_BYTES = 128;
  static final int HEADER_CRC_OFFSET = 124;

  private ShardFormat() {}

  /** The decoded header. Sizes are in tokens or documents unless the name says bytes. */
  record Header(int vocabSize, int endOfText, int tokenWidth, int payloadCrc, long tokenCount,
      long documentCount, long indexOffset, byte[] tokenizerSha256) {

    long fileBytes() {
      return ShardFormat.fileBytes(tokenCount, tokenWidth, documentCount);
    }

    String tokenizerHash() {
      return HexFormat.of().formatHex(tokenizerSha256);
    }
  }

  /** The narrowest width that holds every id below {@code vocabSize}. */
  static int tokenWidth(int vocabSize) {
    if (vocabSize <= 1 << 8) {
      return 1;
    }
    return vocabSize <= 1 << 16 ? 2 : 4;
  }

  static long indexOffset(long tokenCount, int width) {
    long end = HEADER_BYTES + tokenCount * width;
    return (end + 7) & ~7L;
  }

  static long fileBytes(long tokenCount, int width, long documentCount) {
    return indexOffset(tokenCount, width) + 8 * documentCount;
  }

  /** Parses the 64 hex digits of a tokenizer hash; rejects anything else. */
  static byte[] parseTokenizerHash(String hex) {
    if (hex == null || hex.length() != 64) {
      throw new IllegalArgumentException("tokenizer hash must be 64 hex digits (a SHA-256), got '"
          + hex + "'");
    }
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tokenizer hash must be 64 hex digits (a SHA-256), got '"
          + hex + "'", e);
    }
  }

  static ByteBuffer encode(Header h) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC);
    b.putInt(VERSION);
    b.putInt(HEADER_BYTES);
    b.putInt(h.vocabSize());
    b.putInt(h.endOfText());
    b.putInt(h.tokenWidth());
    b.putInt(h.payloadCrc());
    b.putLong(h.tokenCount());
    b.putLong(h.documentCount());
    b.putLong(h.indexOffset());
    b.put(h.tokenizerSha256());
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, HEADER_CRC_OFFSET);
    b.putInt(HEADER_CRC_OFFSET, (int) crc.getValue());
    b.position(0);
    return b;
  }

  /**
   * Decodes and checks a header: magic, checksum, version and internal consistency.
   *
   * @param b the first 128 bytes of the file, little-endian
   * @param file the file's name, for messages
   * @throws IOException naming the file and the problem
   */
  static Header decode(ByteBuffer b, String file) throws IOException {
    b = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < MAGIC.length; i++) {
      if (b.get(i) != MAGIC[i]) {
        throw new IOException(file + ": not a Sinter token shard (bad magic bytes); "
            + "shards are written by `sinter data prepare`");
      }
    }
    int version = b.getInt(8);
    CRC32C crc = new CRC32C();
    crc.update(b.slice(0, HEADER_CRC_OFFSET));
    int stored = b.getInt(HEADER_CRC_OFFSET);
    if ((int) crc.getValue() != stored) {
      String hint = version != VERSION ? " (or written in an unsupported format version "
          + Integer.toUnsignedString(version) + ")" : "";
      throw new IOException(String.format("%s: header checksum mismatch (stored %08x, computed "
          + "%08x): the header is corrupt%s; re-run `sinter data prepare` or restore the file",
          file, stored, (int) crc.getValue(), hint));
    }
    if (version != VERSION) {
      throw new IOException(file + ": shard format version " + Integer.toUnsignedString(version)
          + ", but this build reads version " + VERSION + "; re-run `sinter data prepare`");
    }
    int headerBytes = b.getInt(12);
    int vocab = b.getInt(16);
    int eot = b.getInt(20);
    int width = b.getInt(24);
    int payloadCrc = b.getInt(28);
    long tokens = b.getLong(32);
    long docs = b.getLong(40);
    long indexOffset = b.getLong(48);
    byte[] sha = new byte[32];
    b.get(56, sha);
    String bad = null;
    if (headerBytes != HEADER_BYTES) {
      bad = "header size " + headerBytes + " (expected " + HEADER_BYTES + ")";
    } else if (vocab <= 0) {
      bad = "vocabulary size " + Integer.toUnsignedString(vocab);
    } else if (eot < 0 || eot >= vocab) {
      bad = "end-of-text id " + Integer.toUnsignedString(eot) + " outside vocabulary of " + vocab;
    } else if (width != tokenWidth(vocab)) {
      bad = "token width " + width + " for vocabulary " + vocab + " (expected "
          + tokenWidth(vocab) + ")";
    } else if (tokens <= 0 || docs <= 0 || docs > tokens
        || tokens > (Long.MAX_VALUE - HEADER_BYTES) / 8) {
      bad = tokens + " tokens in " + docs + " documents";
    } else if (indexOffset != indexOffset(tokens, width)) {
      bad = "index offset " + indexOffset + " (expected " + indexOffset(tokens, width) + ")";
    }
    if (bad != null) {
      throw new IOException(file + ": inconsistent shard header: " + bad
          + "; re-run `sinter data prepare`");
    }
    return new Header(vocab, eot, width, payloadCrc, tokens, docs, indexOffset, sha);
  }
}
