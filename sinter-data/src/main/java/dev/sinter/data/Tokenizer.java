// What the data pipeline, the loader and generation need from a tokenizer. The byte-level BPE in
// dev.sinter.data.tokenizer implements it; tests may use simpler ones.
package dev.sinter.data;

/** Maps text to token ids and back. Implementations are immutable and thread-safe. */
public interface Tokenizer {

  /** Number of ids, special tokens included: every id is in [0, vocabSize()). */
  int vocabSize();

  /** Encodes UTF-8 bytes (any bytes, valid UTF-8 or not) to ids; special-token text is not matched. */
  int[] encode(byte[] utf8);

  /** Encodes a string (as its UTF-8 bytes). */
  default int[] encode(String text) {
    return encode(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** The exact bytes a sequence of ids stands for (special tokens render as their text). */
  byte[] decodeBytes(int[] ids);

  /** Decodes to a string; byte sequences that are not valid UTF-8 become U+FFFD. */
  default String decode(int[] ids) {
    return new String(decodeBytes(ids), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The id of the end-of-text token that separates documents. */
  int endOfText();

  /** A SHA-256 (hex) over everything that determines the encoding, recorded in shards. */
  String hash();
}
