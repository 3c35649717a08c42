// BPE training: a hand-worked example (counts and tie-breaks), agreement with the
// recount-everything
// reference trainer, identical results on 1 and 2 threads, and compression of held-out text.
package dev.sinter.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

  @Test
  void learnsTheHandWorkedMerges() {
    // Words: "hug" x1, " hug" x2, " pug" x2, " bun" x1.
    // u+g (5) -> 256 "ug"; h+ug (3) -> 257 "hug"; then three pairs tie at 2 and the lowest ids
    // win: ' '+p (32,112) -> 258 " p", ' '+hug (32,257) -> 259 " hug", " p"+ug -> 260 " pug".
    // The rest occur once, below the default minimum of two.
    List<byte[]> docs = List.of(utf8("hug hug hug pug pug bun"));
    BpeTokenizer t = BpeTrainer.train(docs, 300, 1);
    assertEquals(List.of("u,g", "h,ug", " ,p", " ,hug", " p,ug"), merges(t));
    assertEquals(256 + 5 + BpeTokenizer.SPECIAL_TOKENS.size(), t.vocabSize());
    assertArrayEquals(
        new int[] {257, 259, 259, 260, 260, 32, 'b', 'u', 'n'}, t.encode(docs.get(0)));

    // With single occurrences allowed: ' '+b (32,98) -> 261, then u+n (117,110) beats " b"+u
    // (261,117) on ids -> 262 "un", then " b"+un -> 263 " bun".
    BpeTokenizer all = BpeTrainer.train(docs, new BpeTrainer.Config(300, 1, 1));
    assertEquals(
        List.of("u,g", "h,ug", " ,p", " ,hug", " p,ug", " ,b", "u,n", " b,un"), merges(all));
    assertArrayEquals(new int[] {263}, all.encode(" bun"));
  }

  @Test
  void agreesWithTheRecountingReferenceTrainer() {
    List<byte[]> docs = TestCorpus.documents(0x5EED_0201L, 60, 120);
    int tokens = 256 + 500;
    BpeTokenizer t =
        BpeTrainer.train(
            docs, new BpeTrainer.Config(tokens + BpeTokenizer.SPECIAL_TOKENS.size(), 1, 1));
    List<String> expected = ReferenceBpe.trainMerges(docs, tokens, 1);
    List<String> actual = new ArrayList<>();
    BpeModel m = t.model();
    for (int r = 0; r < m.mergeCount(); r++) {
      actual.add(m.mergeLeft[r] + "," + m.mergeRight[r]);
    }
    assertEquals(500, expected.size(), "the corpus should support every requested merge");
    assertEquals(expected, actual, "seed 0x5EED0201");
  }

  @Test
  void theSameCorpusGivesTheSameTokenizerOnOneAndTwoThreads() {
    // Many small documents, so the two counting threads claim interleaved parts of the corpus.
    List<byte[]> docs = TestCorpus.documents(0x5EED_0202L, 3_000, 80);
    BpeTokenizer one = BpeTrainer.train(docs, 2000, 1);
    BpeTokenizer two = BpeTrainer.train(docs, 2000, 2);
    assertEquals(one.hash(), two.hash());
    assertEquals(one.vocabSize(), two.vocabSize());
  }

  @Test
  void moreMergesCompressHeldOutTextMore() {
    List<byte[]> train = TestCorpus.documents(0x5EED_0203L, 400, 200);
    List<byte[]> heldOut = TestCorpus.documents(0x5EED_0204L, 50, 200);
    long bytes = heldOut.stream().mapToLong(d -> d.length).sum();
    long small = tokens(BpeTrainer.train(train, 400, 2), heldOut);
    long large = tokens(BpeTrainer.train(train, 1500, 2), heldOut);
    assertTrue(small < bytes * 0.6, "400 ids: " + small + " tokens for " + bytes + " bytes");
    assertTrue(large < small * 0.8, "1500 ids: " + large + " tokens vs " + small + " with 400");
  }

  @Test
  void validatesItsConfig() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer.Config(100, 1));
    assertTrue(e.getMessage().contains("vocabSize"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BpeTrainer.Config(1000, 0));
    assertThrows(IllegalArgumentException.class, () -> new BpeTrainer.Config(1000, 1, 0));
  }

  @Test
  void anEmptyCorpusGivesTheBytesAndSpecials() {
    BpeTokenizer t = BpeTrainer.train(List.of(), 1000, 2);
    assertEquals(256 + BpeTokenizer.SPECIAL_TOKENS.size(), t.vocabSize());
    assertEquals("any text ✓", t.decode(t.encode("any text ✓")));
  }

  @Test
  void aFailingDocumentSourceFailsTrainingOnEveryThreadCount() {
    List<byte[]> docs = new ArrayList<>(TestCorpus.documents(0x5EED_0205L, 50, 20));
    docs.add(25, null);
    for (int threads : new int[] {1, 2}) {
      NullPointerException e =
          assertThrows(NullPointerException.class, () -> BpeTrainer.train(docs, 500, threads));
      assertEquals("a document is null", e.getMessage());
    }
  }

  private static long tokens(BpeTokenizer t, List<byte[]> docs) {
    long n = 0;
    for (int[] ids : t.encodeAll(docs, 2)) {
      n += ids.length;
    }
    return n;
  }

  private static List<String> merges(BpeTokenizer t) {
    BpeModel m = t.model();
    List<String> out = new ArrayList<>();
    for (int r = 0; r < m.mergeCount(); r++) {
      out.add(
          new String(m.tokens[m.mergeLeft[r]], StandardCharsets.UTF_8)
              + ","
              + new String(m.tokens[m.mergeRight[r]], StandardCharsets.UTF_8));
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
