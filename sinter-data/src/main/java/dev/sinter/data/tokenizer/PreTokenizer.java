// The GPT-2 pre-tokenisation split, hand-written over UTF-8 bytes. It gives exactly the pieces of
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// with \s meaning the Unicode White_Space property (as in Hugging Face's Oniguruma, Python's regex
// and java.util.regex under UNICODE_CHARACTER_CLASS), without building a String or running a
// backtracking matcher. Bytes that are not well-formed UTF-8 count as one "other" character each,
// like the U+FFFD a decoder would put there, so every byte sequence splits and none is dropped.
package dev.sinter.data.tokenizer;

final class PreTokenizer {

  /** The pattern this scanner implements, as Hugging Face's ByteLevel pre-tokenizer writes it. */
  static final String GPT2_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  static final int WHITESPACE = 0;
  static final int LETTER = 1;
  static final int NUMBER = 2;
  static final int OTHER = 3;

  /** Character class of every BMP code point; supplementary ones are classified on demand. */
  private static final byte[] BMP_CLASS = new byte[0x10000];

  static {
    for (int cp = 0; cp < BMP_CLASS.length; cp++) {
      BMP_CLASS[cp] = (byte) classify(cp);
    }
  }

  private PreTokenizer() {}

  /**
   * End (exclusive) of the pre-token that starts at {@code start}; {@code start < limit}. Calling
   * it again from the returned position walks the whole range.
   */
  static int next(byte[] b, int start, int limit) {
    int c = b[start];
    if (c == '\'' && start + 1 < limit) {
      int d = b[start + 1];
      if (d == 's' || d == 't' || d == 'm' || d == 'd') {
        return start + 2;
      }
      if (start + 2 < limit) {
        int e = b[start + 2];
        if (((d == 'r' || d == 'v') && e == 'e') || (d == 'l' && e == 'l')) {
          return start + 3;
        }
      }
    }
    if (c == ' ' && start + 1 < limit) {
      // " ?X+": the optional space binds to a following letter, number or other run.
      int u = unit(b, start + 1, limit);
      if ((u & 3) != WHITESPACE) {
        return run(b, start + 1 + (u >>> 2), limit, u & 3);
      }
    }
    int u = unit(b, start, limit);
    if ((u & 3) != WHITESPACE) {
      return run(b, start + (u >>> 2), limit, u & 3);
    }
    // "\s+(?!\S)" backtracks off the last whitespace character when a non-space follows, so that
    // character can lead the next piece; a single whitespace character falls through to "\s+".
    int lastStart = start;
    int i = start + (u >>> 2);
    while (i < limit) {
      int v = unit(b, i, limit);
      if ((v & 3) != WHITESPACE) {
        return lastStart > start ? lastStart : i;
      }
      lastStart = i;
      i += v >>> 2;
    }
    return i;
  }

  /** Extends a run of class {@code cls} from {@code i}; returns its end. */
  private static int run(byte[] b, int i, int limit, int cls) {
    while (i < limit) {
      int c = b[i];
      if (c >= 0) {
        if (BMP_CLASS[c] != cls) {
          return i;
        }
        i++;
      } else {
        int u = unit(b, i, limit);
        if ((u & 3) != cls) {
          return i;
        }
        i += u >>> 2;
      }
    }
    return i;
  }

  /**
   * The character at {@code i}, packed as (byte length << 2) | class. Anything that is not a
   * well-formed sequence (Unicode Table 3-7: no overlongs, surrogates or values past U+10FFFF, no
   * truncation) is a one-byte OTHER.
   */
  static int unit(byte[] b, int i, int limit) {
    int b0 = b[i];
    if (b0 >= 0) {
      return 4 | BMP_CLASS[b0];
    }
    b0 &= 0xFF;
    if (b0 < 0xC2) {
      return 4 | OTHER;
    }
    if (b0 < 0xE0) {
      if (i + 1 < limit && isContinuation(b[i + 1])) {
        return 8 | BMP_CLASS[((b0 & 0x1F) << 6) | (b[i + 1] & 0x3F)];
      }
      return 4 | OTHER;
    }
    if (b0 < 0xF0) {
      if (i + 2 < limit) {
        int b1 = b[i + 1] & 0xFF;
        int lo = b0 == 0xE0 ? 0xA0 : 0x80;
        int hi = b0 == 0xED ? 0x9F : 0xBF;
        if (b1 >= lo && b1 <= hi && isContinuation(b[i + 2])) {
          return 12 | BMP_CLASS[((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b[i + 2] & 0x3F)];
        }
      }
      return 4 | OTHER;
    }
    if (b0 < 0xF5 && i + 3 < limit) {
      int b1 = b[i + 1] & 0xFF;
      int lo = b0 == 0xF0 ? 0x90 : 0x80;
      int hi = b0 == 0xF4 ? 0x8F : 0xBF;
      if (b1 >= lo && b1 <= hi && isContinuation(b[i + 2]) && isContinuation(b[i + 3])) {
        int cp =
            ((b0 & 0x07) << 18)
                | ((b1 & 0x3F) << 12)
                | ((b[i + 2] & 0x3F) << 6)
                | (b[i + 3] & 0x3F);
        return 16 | classify(cp);
      }
    }
    return 4 | OTHER;
  }

  private static boolean isContinuation(byte b) {
    return (b & 0xC0) == 0x80;
  }

  /** The class of one code point: White_Space, then general category L, then N, else other. */
  static int classify(int cp) {
    if (isWhiteSpace(cp)) {
      return WHITESPACE;
    }
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER,
          Character.LOWERCASE_LETTER,
          Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER,
          Character.OTHER_LETTER ->
          LETTER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER ->
          NUMBER;
      default -> OTHER;
    };
  }

  /**
   * The Unicode White_Space property (PropList.txt, stable since Unicode 6.3). Not
   * Character.isWhitespace, which adds U+001C..U+001F and drops the no-break spaces.
   */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || cp == 0x20
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }
}
