// TokenizerBench side by side with Hugging Face tokenizers (the Rust library through DJL's Java
// binding, ai.djl.huggingface:tokenizers). Our trained tokenizer is saved as tokenizer.json and
// loaded by HF, so both encode with the same vocabulary; the ids are compared on the benchmark
// corpus, on adversarial Unicode strings and on the hand-made test fixture (any disagreement is a
// correctness finding), then throughput is measured alternately, ours and HF's, on 1 and 2 threads.
// DJL runs offline: the native library must come from the jar, never from the network.
//
//   cd sinter-data
//   mvn -q -B -Phf-bench test-compile dependency:build-classpath \
//       -Dmdep.includeScope=test -Dmdep.outputFile=target/hf-bench.classpath
//   java -Xmx6g -cp target/classes:target/test-classes:$(cat target/hf-bench.classpath) \
//       dev.sinter.data.tokenizer.HfTokenizerBench [vocab] [trainMB] [encodeMB]
package dev.sinter.data.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/** Compares {@link BpeTokenizer} with Hugging Face tokenizers on the same tokenizer.json. */
public final class HfTokenizerBench {

  /**
   * What adversarial strings are made of, '|'-separated: ordinary characters of each class, the
   * White_Space characters and look-alikes (U+001C, U+180E, U+00AD), contractions, and code points
   * whose class depends on the Unicode version: U+0378 (unassigned), U+1FAE9, U+31350 (CJK Ext. H,
   * 15.0), and from 16.0 U+10D40 (Garay digit), U+10D50 (Garay letter), U+11BC0 (Sunuwar), U+16100
   * (Gurung Khema), U+1C89 and U+A7CB (letters).
   */
  private static final String[] POOL =
      String.join(
              "|",
              "a|Z|é|中|한|\uD835\uDC00|0|٣|½|Ⅻ|.|'|_|😀|👍🏽|\u0301|\u200D|\uFEFF|\u180E",
              "\u001C|\u001F|\u0000|\u00AD| | |\t|\n|\r\n|\u000B|\u000C|\u0085|\u00A0",
              "\u1680|\u2003|\u2028|\u2029|\u202F|\u205F|\u3000",
              "'s|'re|'ll|'S| 's|the| of|  |   x|\u0378|\uD83E\uDEE9|\uD884\uDF50",
              "\uD803\uDD40|\uD803\uDD50|\uD806\uDFC0|\uD818\uDD00|\u1C89|\uA7CB")
          .split("\\|");

  private HfTokenizerBench() {}

  /** Runs TokenizerBench, then the HF comparison; arguments as TokenizerBench's. */
  public static void main(String[] args) throws IOException {
    System.setProperty("ai.djl.offline", "true");
    TokenizerBench.Settings settings = TokenizerBench.Settings.parse(args);
    TokenizerBench.Prepared p = TokenizerBench.prepare(settings, System.out);
    TokenizerBench.measureOurs(p, System.out);

    List<String> texts = new ArrayList<>();
    for (byte[] doc : p.encodeDocs()) {
      texts.add(new String(doc, StandardCharsets.UTF_8));
    }
    try (HuggingFaceTokenizer hf = load(p.json())) {
      compare("benchmark corpus", p.tokenizer(), hf, texts);
      compare("adversarial Unicode", p.tokenizer(), hf, adversarial(0x5EED_0401L, 20_000));
      long bytes = TokenizerBench.bytes(p.encodeDocs());
      for (int threads : new int[] {1, 2}) {
        for (int round = 0; round < 2; round++) {
          double ours =
              TokenizerBench.throughput(
                  bytes, () -> p.tokenizer().encodeAll(p.encodeDocs(), threads));
          double theirs = TokenizerBench.throughput(bytes, () -> encodeAll(hf, texts, threads));
          System.out.printf(
              Locale.ROOT,
              "threads %d, round %d: sinter %.1f MB/s, hf %.1f MB/s," + " ratio %.2f%n",
              threads,
              round,
              ours,
              theirs,
              ours / theirs);
        }
      }
    }
    Path fixture = TokenizerBench.scratchFile("sinter-hf-fixture-", "tokenizer.json");
    try (InputStream in =
        HfTokenizerBench.class.getResourceAsStream("/tokenizer/handmade-bpe.json")) {
      Files.copy(in, fixture);
    }
    List<String> probes =
        new ArrayList<>(
            List.of(
                "hello world",
                "yell",
                " the",
                "the",
                " their",
                "aaa",
                "aaaaa",
                " sing",
                "123",
                " 12",
                "é",
                "😀",
                "a\n\nb",
                "<|end_of_text|>",
                "hello",
                "hello there aaaa"));
    probes.addAll(adversarial(0x5EED_0402L, 5_000));
    try (HuggingFaceTokenizer hf = load(fixture)) {
      compare("hand-made fixture", TokenizerJson.load(fixture), hf, probes);
    }
    // Llama-3's option: a word that is itself a token skips the merges.
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(fixture.toFile());
    ((ObjectNode) root.get("model")).put("ignore_merges", true);
    Path ignoreMerges = fixture.resolveSibling("ignore-merges.json");
    ignoreMerges.toFile().deleteOnExit();
    json.writeValue(ignoreMerges.toFile(), root);
    try (HuggingFaceTokenizer hf = load(ignoreMerges)) {
      compare("fixture with ignore_merges", TokenizerJson.load(ignoreMerges), hf, probes);
    }
  }

  private static HuggingFaceTokenizer load(Path json) throws IOException {
    return HuggingFaceTokenizer.builder()
        .optTokenizerPath(json)
        .optAddSpecialTokens(false)
        .optTruncation(false)
        .optPadding(false)
        .build();
  }

  private static void encodeAll(HuggingFaceTokenizer hf, List<String> texts, int threads) {
    AtomicInteger next = new AtomicInteger();
    Workers.run(
        threads,
        "hf-encode",
        (worker, stop) -> {
          int i;
          while ((i = next.getAndIncrement()) < texts.size()) {
            hf.encode(texts.get(i), false, false).getIds();
          }
        });
  }

  /**
   * Prints how many texts encode differently, with the first few differences spelled out. HF's
   * encode matches added (special) tokens in text, so it is compared with encodeWithSpecials. For
   * texts without special tokens the pre-token split is compared too, through HF's word ids: equal
   * ids alone can hide a different split when no merge crosses the boundary.
   */
  private static void compare(
      String what, BpeTokenizer ours, HuggingFaceTokenizer hf, List<String> texts) {
    int differ = 0;
    int splitsDiffer = 0;
    for (String text : texts) {
      Encoding encoding = hf.encode(text, false, false);
      int[] a = ours.encodeWithSpecials(text);
      int[] b = Arrays.stream(encoding.getIds()).mapToInt(Math::toIntExact).toArray();
      if (!Arrays.equals(a, b)) {
        if (differ++ < 5) {
          int at = Arrays.mismatch(a, b);
          System.out.printf(
              "  ids differ: %s at token %d: sinter %s, hf %s%n",
              escape(text), at, render(ours, a, at), render(ours, b, at));
        }
      } else if (!text.contains("<|")) {
        long[] words = wordIds(ours, text);
        if (!Arrays.equals(words, encoding.getWordIds()) && splitsDiffer++ < 5) {
          System.out.printf(
              "  split differs: %s: sinter words %s, hf words %s%n",
              escape(text), Arrays.toString(words), Arrays.toString(encoding.getWordIds()));
        }
      }
    }
    System.out.printf(
        "hf agreement on %s: ids %d of %d texts, pre-token splits %d of %d%s%n",
        what,
        texts.size() - differ,
        texts.size(),
        texts.size() - differ - splitsDiffer,
        texts.size() - differ,
        differ + splitsDiffer == 0 ? "" : " (DIFFERENCES ABOVE)");
  }

  /** For each token of {@code text}, the index of the pre-token it came from. */
  private static long[] wordIds(BpeTokenizer ours, String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    List<Long> words = new ArrayList<>();
    long word = 0;
    for (int i = 0; i < b.length; word++) {
      int end = PreTokenizer.next(b, i, b.length);
      for (int k = ours.encode(Arrays.copyOfRange(b, i, end)).length; k > 0; k--) {
        words.add(word);
      }
      i = end;
    }
    return words.stream().mapToLong(Long::longValue).toArray();
  }

  private static String escape(String text) {
    return PreTokenizerTest.escape(text.length() > 80 ? text.substring(0, 80) : text);
  }

  private static String render(BpeTokenizer t, int[] ids, int from) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = from; i < Math.min(ids.length, from + 4); i++) {
      sb.append(ids[i])
          .append(' ')
          .append(PreTokenizerTest.escape(new String(t.tokenBytes(ids[i]), StandardCharsets.UTF_8)))
          .append(i + 1 < Math.min(ids.length, from + 4) ? ", " : "");
    }
    return sb.append(']').toString();
  }

  private static List<String> adversarial(long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String> out = new ArrayList<>(count);
    for (int n = 0; n < count; n++) {
      StringBuilder sb = new StringBuilder();
      for (int p = random.nextInt(1, 10); p > 0; p--) {
        sb.append(POOL[random.nextInt(POOL.length)]);
      }
      out.add(sb.toString());
    }
    return out;
  }
}
