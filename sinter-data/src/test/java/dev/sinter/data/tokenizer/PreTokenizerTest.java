// The hand-written GPT-2 split against java.util.regex running the pattern itself (with \s as
// Unicode White_Space), on random strings drawn to hit every branch: contractions, each class with
// and without a leading space, whitespace runs before letters and at the end, supplementary and
// combining characters; plus the handling of bytes that are not UTF-8.
package dev.sinter.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

  private static final Pattern GPT2 =
      Pattern.compile(PreTokenizer.GPT2_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);

  /**
   * What random strings are made of, '|'-separated: letters (incl. supplementary), numbers (Nd, No,
   * Nl), other (punctuation, symbols, combining and format characters, controls, private use),
   * every White_Space character plus look-alikes that are not (U+001C..U+001F, U+180E), and
   * multi-character pieces that make contractions and whitespace runs likely.
   */
  private static final String[] POOL =
      String.join(
              "|",
              "a|Z|é|ß|Ω|ж|中|文|한|ﾊ|\uD835\uDC00|\uD840\uDC0B",
              "0|7|٣|½|²|Ⅻ|①|\uD835\uDFCE",
              ".|,|(|}|_|-|'|\"|#|€|😀|👍🏽|\u0301|\u200D|\uFEFF|\u180E",
              "\u001C|\u001F|\u0000|\u007F|\uE000",
              " | | |\t|\n|\r\n|\u000B|\u000C|\u0085|\u00A0|\u1680|\u2003|\u200A",
              "\u2028|\u2029|\u202F|\u205F|\u3000",
              "'s|'t|'re|'ve|'m|'ll|'d|'S|'r|'l| 's|''|the| of|  |   x|int|42| 42| .|\t\t")
          .split("\\|");

  @Test
  void matchesTheRegexOnRandomStrings() {
    long seed = 0x5EED_0001L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder sb = new StringBuilder();
      int parts = random.nextInt(12);
      for (int p = 0; p < parts; p++) {
        sb.append(POOL[random.nextInt(POOL.length)]);
      }
      String s = sb.toString();
      assertEquals(regexPieces(s), scannerPieces(s), () -> "seed " + seed + ", input " + escape(s));
    }
  }

  @Test
  void matchesTheRegexOnEveryBmpCharacterInContext() {
    // Each code point between letters, after a space and in a whitespace run, so its class decides.
    for (int cp = 0; cp < 0x10000; cp++) {
      if (Character.isSurrogate((char) cp)) {
        continue;
      }
      String c = Character.toString(cp);
      String s = "a" + c + "b " + c + "1  " + c + " x'" + c;
      int codePoint = cp;
      assertEquals(
          regexPieces(s), scannerPieces(s), () -> "code point U+" + Integer.toHexString(codePoint));
    }
  }

  @Test
  void splitsLikeGpt2() {
    assertEquals(List.of("Hello", ",", " world", "!"), scannerPieces("Hello, world!"));
    assertEquals(List.of("I", "'m", " here", "'ll"), scannerPieces("I'm here'll"));
    assertEquals(List.of("a", "\n", "\n", "b"), scannerPieces("a\n\nb"));
    assertEquals(List.of("x", "  ", " y", "   "), scannerPieces("x   y   "));
    assertEquals(List.of("int", " x", " =", " 42", ";"), scannerPieces("int x = 42;"));
    assertEquals(List.of(), scannerPieces(""));
  }

  @Test
  void bytesThatAreNotUtf8AreOtherCharacters() {
    byte[] b = {'a', (byte) 0xFF, (byte) 0x80, 'b', ' ', (byte) 0xC0, (byte) 0xAF, ' ', ' '};
    List<byte[]> pieces = new ArrayList<>();
    for (int i = 0; i < b.length; ) {
      int end = PreTokenizer.next(b, i, b.length);
      pieces.add(java.util.Arrays.copyOfRange(b, i, end));
      i = end;
    }
    assertEquals(5, pieces.size());
    assertArrayEquals(new byte[] {'a'}, pieces.get(0));
    assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0x80}, pieces.get(1));
    assertArrayEquals(new byte[] {'b'}, pieces.get(2));
    assertArrayEquals(new byte[] {' ', (byte) 0xC0, (byte) 0xAF}, pieces.get(3)); // overlong '/'
    assertArrayEquals(new byte[] {' ', ' '}, pieces.get(4));
  }

  @Test
  void everyByteSequenceIsCoveredExactly() {
    long seed = 0x5EED_0002L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int n = 0; n < 5_000; n++) {
      byte[] b = Utf8Garbage.next(random, 64);
      int i = 0;
      while (i < b.length) {
        int end = PreTokenizer.next(b, i, b.length);
        int at = i;
        org.junit.jupiter.api.Assertions.assertTrue(
            end > i && end <= b.length, () -> "seed " + seed + ": no progress at " + at);
        i = end;
      }
    }
  }

  private static List<String> regexPieces(String s) {
    List<String> pieces = new ArrayList<>();
    Matcher m = GPT2.matcher(s);
    int covered = 0;
    while (m.find()) {
      assertEquals(covered, m.start(), "the GPT-2 pattern matches every character");
      pieces.add(m.group());
      covered = m.end();
    }
    return pieces;
  }

  private static List<String> scannerPieces(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < b.length; ) {
      int end = PreTokenizer.next(b, i, b.length);
      pieces.add(new String(b, i, end - i, StandardCharsets.UTF_8));
      i = end;
    }
    return pieces;
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              if (cp >= 0x20 && cp < 0x7F) {
                sb.appendCodePoint(cp);
              } else {
                sb.append(String.format("\\u{%X}", cp));
              }
            });
    return sb.append('"').toString();
  }
}
