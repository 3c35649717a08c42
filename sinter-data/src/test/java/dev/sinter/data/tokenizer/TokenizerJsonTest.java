// tokenizer.json: save/load round trips (both merge syntaxes, GPT-2 and Llama-3 pre-tokenizer
// layouts), a hand-made Hugging Face fixture whose ids are derived by hand below, atomic
// replacement, and clear rejections of malformed or unsupported files.
package dev.sinter.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerJsonTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static BpeTokenizer trained;
  private static List<byte[]> sample;

  @TempDir Path dir;

  @BeforeAll
  static void train() {
    trained = BpeTrainer.train(TestCorpus.documents(0x5EED_0301L, 300, 150), 900, 2);
    sample = TestCorpus.documents(0x5EED_0302L, 40, 100);
  }

  @Test
  void aSavedTokenizerLoadsBackIdentical() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    TokenizerJson.save(trained, file);
    BpeTokenizer loaded = TokenizerJson.load(file);
    assertEquals(trained.hash(), loaded.hash());
    assertEquals(trained.vocabSize(), loaded.vocabSize());
    assertEquals(trained.specialTokens(), loaded.specialTokens());
    assertEquals(trained.endOfText(), loaded.endOfText());
    for (byte[] doc : sample) {
      assertArrayEquals(trained.encode(doc), loaded.encode(doc));
    }
    String text = Files.readString(file);
    assertTrue(text.contains("\"type\": \"BPE\""), "model type written");
    assertTrue(text.contains("\n    \"merges\": [\n      [\""), "one merge pair per line");
  }

  @Test
  void legacyStringMergesAndTheLlama3LayoutLoadToTheSameTokenizer() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    TokenizerJson.save(trained, file);
    Path legacy =
        rewrite(
            file,
            root -> {
              ArrayNode merges = (ArrayNode) root.path("model").path("merges");
              ArrayNode strings = JSON.createArrayNode();
              strings.add("#version: 0.2");
              merges.forEach(m -> strings.add(m.get(0).asText() + " " + m.get(1).asText()));
              ((ObjectNode) root.get("model")).set("merges", strings);
            });
    assertEquals(trained.hash(), TokenizerJson.load(legacy).hash());

    Path llama =
        rewrite(
            file,
            root -> {
              ObjectNode split = JSON.createObjectNode().put("type", "Split");
              split.putObject("pattern").put("Regex", PreTokenizer.GPT2_PATTERN);
              split.put("behavior", "Isolated").put("invert", false);
              ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel");
              byteLevel
                  .put("add_prefix_space", false)
                  .put("trim_offsets", true)
                  .put("use_regex", false);
              ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
              seq.putArray("pretokenizers").add(split).add(byteLevel);
            });
    assertEquals(trained.hash(), TokenizerJson.load(llama).hash());
  }

  @Test
  void theHandMadeFixtureEncodesToHandDerivedIds() throws IOException {
    BpeTokenizer t = TokenizerJson.load(fixture());
    // Base ids follow GPT-2's vocab.json: printable bytes '!'..'~' are 0..93 (so 'a' = 64), then
    // 0xA1..0xAC = 94.., 0xAE..0xFF = 106..187, then the rest in byte order from 188: 0x00..0x20
    // (space = 220, '\n' = 198), 0x7F..0xA0 = 221..254, 0xAD = 255. Merge r makes id 256 + r:
    // 0 Ġt, 1 he, 2 Ġthe, 3 in, 4 Ġa, 5 er, 6 ll, 7 ow, 8 Ġw, 9 or, 10 Ġwor, 11 ld, 12 Ġworld,
    // 13 ell, 14 hell, 15 hello, 16 aa, 17 aaaa, 18 ing, 19 12, 20 Ã© ("é"); specials from 277.
    assertEquals(277 + 7, t.vocabSize());
    assertEquals(278, t.endOfText());
    // "hello": h+e (rank 1) beats l+l (6); then no rule joins he+ll, so hell/hello never form.
    // " world": Ġ+w (8), o+r (9), Ġw+or (10), l+d (11), Ġwor+ld (12).
    assertArrayEquals(new int[] {257, 262, 78, 268}, t.encode("hello world"));
    // "yell": l+l (6), then e+ll (13): ell is reachable when no h precedes the e.
    assertArrayEquals(new int[] {88, 269}, t.encode("yell"));
    // " the": Ġ+t (0), h+e (1), Ġt+he (2). Without the space: t, he.
    assertArrayEquals(new int[] {258}, t.encode(" the"));
    assertArrayEquals(new int[] {83, 257}, t.encode("the"));
    // " their": Ġthe then i, r (no rule for e+i once he formed, nor i+r).
    assertArrayEquals(new int[] {258, 72, 81}, t.encode(" their"));
    // Overlapping a+a: leftmost first, so aaaaa -> aa aa a -> aaaa a.
    assertArrayEquals(new int[] {272, 64}, t.encode("aaa"));
    assertArrayEquals(new int[] {273, 64}, t.encode("aaaaa"));
    // " sing": the pre-token is " sing"; i+n (3) then in+g (18); Ġ+s has no rule.
    assertArrayEquals(new int[] {220, 82, 274}, t.encode(" sing"));
    // Numbers are their own pre-token: "123" -> 12 (19), 3; " 12" keeps the space separate.
    assertArrayEquals(new int[] {275, 18}, t.encode("123"));
    assertArrayEquals(new int[] {220, 275}, t.encode(" 12"));
    // "é" is C3 A9 -> Ã © -> merge 20. "😀" is F0 9F 98 80 -> 172, 253, 246, 222.
    assertArrayEquals(new int[] {276}, t.encode("é"));
    assertArrayEquals(new int[] {172, 253, 246, 222}, t.encode("😀"));
    // "a\n\nb": the whitespace run gives back its last newline, which stands alone before "b".
    assertArrayEquals(new int[] {64, 198, 198, 65}, t.encode("a\n\nb"));
    // Special text encodes literally: "<|" (27 91), end, "_", of, "_", text, "|>" (91 29).
    assertArrayEquals(
        new int[] {27, 91, 68, 77, 67, 62, 78, 69, 62, 83, 68, 87, 83, 91, 29},
        t.encode("<|end_of_text|>"));
    assertArrayEquals(
        new int[] {277, 257, 262, 78, 278},
        t.encodeWithSpecials("<|begin_of_text|>hello<|end_of_text|>"));
    assertEquals("hello world", t.decode(t.encode("hello world")));
  }

  @Test
  void savingReplacesTheFileAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    Files.writeString(file, "old contents");
    TokenizerJson.save(trained, file);
    TokenizerJson.save(trained, file);
    assertEquals(trained.hash(), TokenizerJson.load(file).hash());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
  }

  @Test
  void rejectsMalformedFilesWithTheFileAndFieldInTheMessage() throws IOException {
    Path file = dir.resolve("tokenizer.json");
    TokenizerJson.save(trained, file);

    assertRejected(rewrite(file, root -> root.remove("model")), "model is missing");
    assertRejected(
        rewrite(file, root -> ((ObjectNode) root.get("model")).put("type", "WordPiece")),
        "model.type");
    assertRejected(
        rewrite(file, root -> ((ObjectNode) root.get("model")).putArray("vocab")),
        "model.vocab must be an object");
    assertRejected(
        rewrite(file, root -> ((ObjectNode) root.path("model").path("vocab")).put("a", "one")),
        "model.vocab[\"a\"] must be a non-negative integer");
    assertRejected(
        rewrite(
            file,
            root ->
                ((ArrayNode) root.path("model").path("merges"))
                    .insertArray(0)
                    .add("u")
                    .add("no-such-token")),
        "model.merges[0] token \"no-such-token\" is not in model.vocab");
    assertRejected(
        rewrite(file, root -> ((ArrayNode) root.path("model").path("merges")).insert(0, "u g x")),
        "model.merges[0]");
    assertRejected(
        rewrite(file, root -> ((ArrayNode) root.path("model").path("merges")).insert(0, 7)),
        "model.merges[0] must be");
    assertRejected(
        rewrite(file, root -> root.putObject("normalizer").put("type", "NFC")), "normalizer");
    assertRejected(
        rewrite(file, root -> ((ObjectNode) root.get("model")).put("dropout", 0.1)),
        "model.dropout");
    assertRejected(
        rewrite(
            file, root -> ((ObjectNode) root.path("added_tokens").get(0)).put("special", false)),
        "added_tokens[0]");
    assertRejected(
        rewrite(file, root -> ((ObjectNode) root.path("added_tokens").get(0)).put("id", 5000)),
        "not dense");
    assertRejected(
        rewrite(
            file, root -> ((ObjectNode) root.get("pre_tokenizer")).put("add_prefix_space", true)),
        "pre_tokenizer.add_prefix_space");
    assertRejected(rewrite(file, root -> root.remove("decoder")), "decoder");

    Path notJson = dir.resolve("broken.json");
    Files.writeString(notJson, "{\"model\": {\"type\": \"BPE\",, }");
    assertRejected(notJson, "not valid JSON at line 1");
    Path duplicate = dir.resolve("duplicate.json");
    Files.writeString(duplicate, "{\"model\": {}, \"model\": {}}");
    assertRejected(duplicate, "not valid JSON");
    Path array = dir.resolve("array.json");
    Files.writeString(array, "[]");
    assertRejected(array, "top level is not a JSON object");
  }

  @Test
  void rejectsAMergeWhoseResultIsNotInTheVocabulary() throws IOException {
    Path bad =
        rewrite(fixture(), root -> ((ArrayNode) root.path("model").path("merges")).add("Ġ z"));
    assertRejected(bad, "merge 21 (\"Ġ\" + \"z\") produces \"Ġz\", which is not in the vocabulary");
  }

  @Test
  void ignoreMergesEmitsAWholeWordTokenThatMergesCannotReach() throws IOException {
    Path file = fixture();
    BpeTokenizer plain = TokenizerJson.load(file);
    BpeTokenizer llama =
        TokenizerJson.load(
            rewrite(file, root -> ((ObjectNode) root.get("model")).put("ignore_merges", true)));
    // "hello" is token 271, but h+e outranks l+l so the merges give he, ll, o (see above).
    assertArrayEquals(new int[] {257, 262, 78}, plain.encode("hello"));
    assertArrayEquals(new int[] {271}, llama.encode("hello"));
    assertArrayEquals(new int[] {271, 268}, llama.encode("hello world"));
    assertArrayEquals(plain.encode(" hello there"), llama.encode(" hello there"));
    assertTrue(
        !plain.hash().equals(llama.hash()), "ignore_merges changes the encoding, so the hash");
  }

  @Test
  void rejectsARepeatedMerge() throws IOException {
    Path bad =
        rewrite(fixture(), root -> ((ArrayNode) root.path("model").path("merges")).add("h e"));
    assertRejected(bad, "merge 21 repeats merge 1");
  }

  private Path fixture() throws IOException {
    Path file = dir.resolve("handmade-bpe.json");
    if (!Files.exists(file)) {
      try (InputStream in = getClass().getResourceAsStream("/tokenizer/handmade-bpe.json")) {
        Files.copy(in, file);
      }
    }
    return file;
  }

  private Path rewrite(Path file, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(root);
    Path out = Files.createTempFile(dir, "edited-", ".json");
    JSON.writeValue(out.toFile(), root);
    return out;
  }

  private static void assertRejected(Path file, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TokenizerJson.load(file), expected);
    assertTrue(
        e.getMessage().contains(file.toString()) && e.getMessage().contains(expected),
        () -> "expected the file and \"" + expected + "\" in: " + e.getMessage());
  }
}
