// A small synthetic corpus for training tests: Zipf-like English words, Java-looking code with
// indentation runs, numbers, CJK, accented and emoji text, so merges of every pre-token class are
// learned. Deterministic for a seed.
package dev.sinter.data.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

final class TestCorpus {

  private static final String[] WORDS =
      ("the of and to in is that for it as with was on be by this are from at an which not or"
              + " have had tokenizer merge pair byte vocabulary training model Sinter encode decode"
              + " can't we're it's they'll café naïve Zürich 東京 数据 한국어 😀 Ελλάδα Москва")
          .split(" ");

  private static final String[] CODE = {
    "public static int %1$s(int x) {\n    return x + %2$d;\n}\n",
    "for (int i = 0; i < %1$s.length; i++) {\n        sum += %1$s[i] * %2$d;\n    }\n",
    "// %1$s: why this matters, not what it does\n",
    "if (%1$s == null) {\n    throw new IllegalArgumentException(\"%1$s is %2$d\");\n}\n",
    "\tprivate final long %1$s = %2$dL;\n"
  };

  private TestCorpus() {}

  static List<byte[]> documents(long seed, int count, int wordsPerDoc) {
    SplittableRandom random = new SplittableRandom(seed);
    List<byte[]> docs = new ArrayList<>(count);
    for (int d = 0; d < count; d++) {
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < wordsPerDoc; w++) {
        if (random.nextInt(12) == 0) {
          String name = word(random);
          sb.append(String.format(CODE[random.nextInt(CODE.length)], name, random.nextInt(1000)));
        } else {
          sb.append(w == 0 ? "" : random.nextInt(15) == 0 ? ".\n" : " ").append(word(random));
        }
      }
      docs.add(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    return docs;
  }

  /** Zipf-ish: low indices far more often. */
  private static String word(SplittableRandom random) {
    double u = random.nextDouble();
    return WORDS[(int) (WORDS.length * u * u * u)];
  }
}
