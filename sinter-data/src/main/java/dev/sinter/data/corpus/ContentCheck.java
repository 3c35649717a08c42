// Decides whether a document's bytes are text we should train on: not binary, strictly valid UTF-8.
//
// The UTF-8 check is hand-written rather than a CharsetDecoder because it runs over every byte of
// the corpus and needs no output; it follows RFC 3629 / Unicode Table 3-7 exactly (no overlong
// forms, no surrogates, nothing above U+10FFFF) and is tested against the JDK decoder.
package dev.sinter.data.corpus;

final class ContentCheck {

  /** The verdict on one document. */
  enum Verdict { TEXT, BINARY, INVALID_UTF8 }

  /**
   * More than one control byte in ten is not prose or code; random data has about 11 % (and a
   * NUL within the first few hundred bytes), so this catches binaries that happen to lack NULs.
   */
  static final double MAX_CONTROL_SHARE = 0.10;

  private ContentCheck() {}

  static Verdict classify(byte[] b) {
    int controls = 0;
    for (byte x : b) {
      int c = x & 0xFF;
      if (c == 0) {
        return Verdict.BINARY;
      }
      if (isControl(c)) {
        controls++;
      }
    }
    if (controls > MAX_CONTROL_SHARE * b.length) {
      return Verdict.BINARY;
    }
    return isValidUtf8(b, 0, b.length) ? Verdict.TEXT : Verdict.INVALID_UTF8;
  }

  /** C0 controls other than tab, line feed, vertical tab, form feed and carriage return; DEL. */
  private static boolean isControl(int c) {
    return (c < 0x20 && (c < 0x09 || c > 0x0D)) || c == 0x7F;
  }

  static boolean isValidUtf8(byte[] b, int from, int to) {
    int i = from;
    while (i < to) {
      int c = b[i];
      if (c >= 0) {
        i++;
        continue;
      }
      c &= 0xFF;
      if (c < 0xC2 || c > 0xF4) {
        return false; // a continuation byte, an overlong 2-byte lead (C0/C1) or beyond U+10FFFF
      }
      if (c < 0xE0) {
        if (i + 1 >= to || !isContinuation(b[i + 1])) {
          return false;
        }
        i += 2;
      } else if (c < 0xF0) {
        if (i + 2 >= to) {
          return false;
        }
        int c1 = b[i + 1] & 0xFF;
        // E0 needs A0..BF (else overlong); ED needs 80..9F (else a UTF-16 surrogate).
        int lo = c == 0xE0 ? 0xA0 : 0x80;
        int hi = c == 0xED ? 0x9F : 0xBF;
        if (c1 < lo || c1 > hi || !isContinuation(b[i + 2])) {
          return false;
        }
        i += 3;
      } else {
        if (i + 3 >= to) {
          return false;
        }
        int c1 = b[i + 1] & 0xFF;
        // F0 needs 90..BF (else overlong); F4 needs 80..8F (else above U+10FFFF).
        int lo = c == 0xF0 ? 0x90 : 0x80;
        int hi = c == 0xF4 ? 0x8F : 0xBF;
        if (c1 < lo || c1 > hi || !isContinuation(b[i + 2]) || !isContinuation(b[i + 3])) {
          return false;
        }
        i += 4;
      }
    }
    return true;
  }

  private static boolean isContinuation(byte x) {
    return (x & 0xC0) == 0x80;
  }

  /** Whether a Java string has an unpaired surrogate, which has no UTF-8 form. */
  static boolean hasLoneSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
