// Differential tests of the UTF-8 validator against the JDK's strict decoder, the binary
// heuristic, and the 128-bit hash set against java.util.HashSet.
package dev.sinter.data.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContentCheckTest {

  private static final CharsetDecoder STRICT = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);

  private static boolean jdkValid(byte[] b) {
    try {
      STRICT.reset().decode(ByteBuffer.wrap(b));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Test
  void utf8ValidatorAgreesWithTheJdkDecoder() {
    long seed = 7_340_033L;
    Random rnd = new Random(seed);
    // Bytes drawn from the interesting boundaries of Table 3-7, so that near-valid sequences
    // (overlongs, surrogates, > U+10FFFF, truncations) are common.
    int[] pool = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
        0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    for (int iter = 0; iter < 100_000; iter++) {
      byte[] b = new byte[rnd.nextInt(7)];
      for (int i = 0; i < b.length; i++) {
        b[i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : pool[rnd.nextInt(pool.length)]);
      }
      assertEquals(jdkValid(b), ContentCheck.isValidUtf8(b, 0, b.length),
          () -> "seed " + seed + ", bytes " + HexFormat.of().formatHex(b));
    }
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp += 17) {
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        continue;
      }
      byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      assertTrue(ContentCheck.isValidUtf8(b, 0, b.length), "U+" + Integer.toHexString(cp));
    }
  }

  @Test
  void binaryHeuristic() {
    assertEquals(ContentCheck.Verdict.TEXT,
        ContentCheck.classify("tabs\tand\r\nform\ffeeds".getBytes(StandardCharsets.UTF_8)));
    assertEquals(ContentCheck.Verdict.BINARY, ContentCheck.classify(new byte[] {'a', 0, 'b'}));
    byte[] controls = "abcdefghi\u0001".getBytes(StandardCharsets.UTF_8);
    assertEquals(ContentCheck.Verdict.TEXT, ContentCheck.classify(controls), "10 % is allowed");
    byte[] more = "abcdefgh\u0001\u0002".getBytes(StandardCharsets.UTF_8);
    assertEquals(ContentCheck.Verdict.BINARY, ContentCheck.classify(more));
    assertEquals(ContentCheck.Verdict.INVALID_UTF8,
        ContentCheck.classify(new byte[] {'a', (byte) 0xFF}));
  }

  @Test
  void loneSurrogates() {
    assertFalse(ContentCheck.hasLoneSurrogate("a\uD834\uDD1Eb"));
    assertTrue(ContentCheck.hasLoneSurrogate("a\uD834b"));
    assertTrue(ContentCheck.hasLoneSurrogate("a\uDD1E"));
    assertTrue(ContentCheck.hasLoneSurrogate("\uD834"));
  }

  @Test
  void hashSetAgreesWithJavaUtil() {
    long seed = 99;
    Random rnd = new Random(seed);
    HashSet128 mine = new HashSet128();
    Set<ContentHash> ref = new HashSet<>();
    for (int i = 0; i < 50_000; i++) {
      // A small key space so that repeats (and the all-zero key) are frequent.
      long hi = rnd.nextInt(3) == 0 ? 0 : rnd.nextLong(20_000);
      long lo = rnd.nextInt(3) == 0 ? 0 : rnd.nextLong(3);
      assertEquals(ref.add(new ContentHash(hi, lo)), mine.add(hi, lo), "seed " + seed);
    }
    assertEquals(ref.size(), mine.size(), "seed " + seed);
  }
}
