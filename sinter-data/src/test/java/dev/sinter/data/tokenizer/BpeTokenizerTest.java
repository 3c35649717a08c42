// Encoding and decoding of a tokenizer trained on the synthetic corpus: exact round trips of any
// bytes, agreement with the naive reference encoder, special-token handling, and bulk encoding that
// does not depend on the thread count or on what the word cache holds.
package dev.sinter.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {

  private static BpeTokenizer tokenizer;

  @BeforeAll
  static void train() {
    tokenizer = BpeTrainer.train(TestCorpus.documents(1, 400, 200), 1200, 1);
  }

  @Test
  void randomBytesRoundTripExactly() {
    long seed = 0x5EED_0101L;
    SplittableRandom random = new SplittableRandom(seed);
    for (int n = 0; n < 3_000; n++) {
      byte[] b = Utf8Garbage.next(random, 80);
      int[] ids = tokenizer.encode(b);
      assertArrayEquals(b, tokenizer.decodeBytes(ids), () -> "seed " + seed + ": " + hex(b));
      for (int id : ids) {
        assertFalse(
            tokenizer.isSpecial(id), () -> "seed " + seed + ": plain encode made a special");
      }
    }
  }

  @Test
  void textRoundTrips() {
    String[] texts = {
      "",
      "😀👍🏽👩‍👩‍👧 emoji and 𝐀𝐁 math letters 𠀋",
      "東京は日本の首都です。数据、한국어",
      " \t \u3000\u00A0\n\r\n\u2028  x\t\t\n   ",
      "café naïve Zürich ΕΛΛΆΔΑ Москва",
      "public static void main(String[] args) {\n    System.out.println(\"hi\");\n}\n",
      "can't won't it's 'quoted' ''double'' '"
    };
    for (String t : texts) {
      int[] ids = tokenizer.encode(t);
      assertEquals(t, tokenizer.decode(ids), () -> PreTokenizerTest.escape(t));
    }
    assertEquals(0, tokenizer.encode("").length);
    assertEquals(0, tokenizer.decodeBytes(new int[0]).length);
  }

  @Test
  void agreesWithTheReferenceEncoder() {
    long seed = 0x5EED_0102L;
    List<byte[]> heldOut = TestCorpus.documents(seed, 30, 150);
    BpeModel model = tokenizer.model();
    for (byte[] doc : heldOut) {
      String text = new String(doc, StandardCharsets.UTF_8);
      assertArrayEquals(
          ReferenceBpe.encode(model, text),
          tokenizer.encode(doc),
          () -> "seed " + seed + ": " + text);
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int n = 0; n < 500; n++) {
      // Valid UTF-8 only: the reference runs the regex on a String.
      String text = new String(Utf8Garbage.next(random, 30), StandardCharsets.UTF_8);
      assertArrayEquals(
          ReferenceBpe.encode(model, text),
          tokenizer.encode(text),
          () -> "seed " + seed + ": " + PreTokenizerTest.escape(text));
    }
  }

  @Test
  void wordCacheOverflowDoesNotChangeIds() {
    // More distinct words than one encoder caches, so the cache empties and refills mid-document.
    long seed = 0x5EED_0103L;
    SplittableRandom random = new SplittableRandom(seed);
    StringBuilder sb = new StringBuilder();
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 80_000; i++) {
      String w = " " + Long.toString(random.nextLong() >>> 20, 36).replaceAll("[0-9]", "");
      words.add(w);
      sb.append(w);
    }
    int[] whole = tokenizer.encode(sb.toString());
    List<Integer> pieceByPiece = new ArrayList<>();
    BpeModel model = tokenizer.model();
    for (int i = 0; i < words.size(); i += 997) {
      String w = words.get(i);
      assertArrayEquals(ReferenceBpe.encode(model, w), tokenizer.encode(w), () -> "seed " + seed);
    }
    for (String w : words) {
      for (int id : tokenizer.encode(w)) {
        pieceByPiece.add(id);
      }
    }
    assertArrayEquals(
        pieceByPiece.stream().mapToInt(Integer::intValue).toArray(), whole, () -> "seed " + seed);
  }

  @Test
  void encodeAllIsIndependentOfThreadCount() {
    List<byte[]> docs = TestCorpus.documents(0x5EED_0104L, 300, 60);
    docs.add(new byte[0]);
    docs.add(new byte[] {(byte) 0xFF, ' ', (byte) 0x80});
    int[][] one = tokenizer.encodeAll(docs, 1);
    for (int threads : new int[] {2, 3, 8}) {
      int[][] many = tokenizer.encodeAll(docs, threads);
      for (int d = 0; d < docs.size(); d++) {
        assertArrayEquals(one[d], many[d], "doc " + d + " on " + threads + " threads");
      }
    }
    for (int d = 0; d < docs.size(); d++) {
      assertArrayEquals(tokenizer.encode(docs.get(d)), one[d], "doc " + d);
    }
    assertThrows(IllegalArgumentException.class, () -> tokenizer.encodeAll(docs, 0));

    // Fewer documents than threads, one of them large: each is still encoded exactly once.
    List<byte[]> few =
        List.of(
            docs.get(0),
            String.join(
                    "",
                    java.util.Collections.nCopies(
                        200, new String(docs.get(1), StandardCharsets.UTF_8)))
                .getBytes(StandardCharsets.UTF_8),
            new byte[0]);
    int[][] spread = tokenizer.encodeAll(few, 4);
    for (int d = 0; d < few.size(); d++) {
      assertArrayEquals(tokenizer.encode(few.get(d)), spread[d], "doc " + d + " of 3");
    }
  }

  @Test
  void specialTokensFollowTheMergesAndAreNeverEncodedFromPlainText() {
    int v = tokenizer.vocabSize();
    List<String> specials = BpeTokenizer.SPECIAL_TOKENS;
    for (int i = 0; i < specials.size(); i++) {
      assertEquals(v - specials.size() + i, tokenizer.specialId(specials.get(i)));
    }
    assertEquals(tokenizer.specialId(BpeTokenizer.END_OF_TEXT), tokenizer.endOfText());
    assertEquals(tokenizer.specialId(BpeTokenizer.BEGIN_OF_TEXT), tokenizer.beginOfText());
    assertEquals(tokenizer.specialId(BpeTokenizer.PAD), tokenizer.pad());

    String text = "a<|end_of_text|><|user|>hi<|end_of_turn|";
    int[] plain = tokenizer.encode(text);
    assertTrue(Arrays.stream(plain).noneMatch(tokenizer::isSpecial));
    assertEquals(text, tokenizer.decode(plain));

    int[] withSpecials = tokenizer.encodeWithSpecials(text);
    int eot = tokenizer.endOfText();
    int user = tokenizer.specialId(BpeTokenizer.USER);
    assertEquals(
        List.of(eot, user),
        Arrays.stream(withSpecials).filter(tokenizer::isSpecial).boxed().toList());
    assertEquals(text, tokenizer.decode(withSpecials));
    assertArrayEquals(
        tokenizer.encode("a"),
        Arrays.copyOf(
            withSpecials, withSpecials.length - tokenizer.encode("hi<|end_of_turn|").length - 2));
  }

  @Test
  void rejectsIdsOutsideTheVocabulary() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> tokenizer.decodeBytes(new int[] {1, -1}));
    assertTrue(e.getMessage().contains("-1"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> tokenizer.decodeBytes(new int[] {tokenizer.vocabSize()}));
    assertThrows(IllegalArgumentException.class, () -> tokenizer.specialId("<|nope|>"));
  }

  @Test
  void baseTokensAreTheBytes() {
    for (int b = 0; b < 256; b++) {
      assertArrayEquals(new byte[] {(byte) b}, tokenizer.tokenBytes(b));
    }
    assertEquals(64, tokenizer.hash().length());
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.ofDelimiter(" ").formatHex(b);
  }
}
