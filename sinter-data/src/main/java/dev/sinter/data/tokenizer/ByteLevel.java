// The GPT-2 byte <-> unicode alphabet that Hugging Face's ByteLevel pre-tokenizer and decoder use
// to
// store byte tokens as printable JSON strings. It exists only at the tokenizer.json boundary:
// inside
// Sinter tokens are raw bytes.
package dev.sinter.data.tokenizer;

final class ByteLevel {

  /** BYTE_TO_CHAR[b] is the character that stands for byte b in tokenizer.json. */
  private static final char[] BYTE_TO_CHAR = new char[256];

  /** CHAR_TO_BYTE[c] is the byte that character c stands for, or -1; indexed up to U+0143. */
  private static final int[] CHAR_TO_BYTE = new int[0x144];

  static {
    // GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes
    // (controls, space, DEL, NBSP, soft hyphen) to U+0100.. in byte order, so no byte becomes
    // whitespace or a control character that JSON tooling might mangle.
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int shifted = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      char c = printable ? (char) b : (char) (0x100 + shifted++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevel() {}

  /** The byte-level string that stands for {@code bytes}. */
  static String encode(byte[] bytes) {
    char[] chars = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
    }
    return new String(chars);
  }

  /**
   * The bytes a byte-level string stands for, or null if it holds a character outside the
   * 256-character alphabet (the caller reports where).
   */
  static byte[] decode(String s) {
    byte[] bytes = new byte[s.length()];
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
      if (b < 0) {
        return null;
      }
      bytes[i] = (byte) b;
    }
    return bytes;
  }

  /** A token as tokenizer.json spells it, quoted, for error messages. */
  static String describe(byte[] bytes) {
    return "\"" + encode(bytes) + "\"";
  }
}
