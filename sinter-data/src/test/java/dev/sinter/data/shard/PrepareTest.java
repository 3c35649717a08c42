// Tests of ShardPrepare and ShardSet: byte-identical output for any thread count, a deterministic
// and disjoint train/validation split, shard rollover, the manifest, and safe re-runs.
package dev.sinter.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.data.Tokenizer;
import dev.sinter.data.corpus.ContentHash;
import dev.sinter.data.corpus.Corpus;
import dev.sinter.data.corpus.CorpusFilter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareTest {
  private static final long SEED = 1_234_567L;
  private static final Tokenizer TOK = new ByteTokenizer();

  @TempDir
  Path tmp;

  /** A corpus of 300 distinct random documents (plus a binary file and a duplicate). */
  private Path corpus() throws IOException {
    Path dir = tmp.resolve("corpus");
    Random rnd = new Random(SEED);
    for (int i = 0; i < 300; i++) {
      StringBuilder sb = new StringBuilder("doc ").append(i).append(':');
      int len = rnd.nextInt(400);
      for (int k = 0; k < len; k++) {
        sb.append((char) ('a' + rnd.nextInt(26)));
        if (rnd.nextInt(30) == 0) {
          sb.append("é\n");
        }
      }
      Path p = dir.resolve("d" + (i % 7)).resolve(String.format("f%03d.txt", i));
      Files.createDirectories(p.getParent());
      Files.writeString(p, sb, StandardCharsets.UTF_8);
    }
    Files.write(dir.resolve("zz-binary.txt"), new byte[] {1, 0, 2});
    Files.copy(dir.resolve("d0/f000.txt"), dir.resolve("zz-copy.txt"));
    return dir;
  }

  private static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    return out;
  }

  private ShardManifest prepare(Path corpus, Path out, int threads) throws IOException {
    PrepareOptions opts = new PrepareOptions(100, 5_000, threads, false);
    return ShardPrepare.prepare(Corpus.directory(corpus), CorpusFilter.DEFAULT, TOK, out, opts);
  }

  @Test
  void outputIsByteIdenticalWithOneAndThreeThreads() throws IOException {
    Path corpus = corpus();
    ShardManifest one = prepare(corpus, tmp.resolve("one"), 1);
    ShardManifest three = prepare(corpus, tmp.resolve("three"), 3);
    assertEquals(one, three, "seed " + SEED);
    Map<String, byte[]> a = contents(tmp.resolve("one"));
    Map<String, byte[]> b = contents(tmp.resolve("three"));
    assertEquals(a.keySet(), b.keySet(), "seed " + SEED);
    assertTrue(a.size() > 3, "several shards expected, got " + a.keySet());
    for (String name : a.keySet()) {
      assertArrayEquals(a.get(name), b.get(name), "seed " + SEED + ", file " + name);
    }
  }

  @Test
  void splitIsDeterministicDisjointAndByContentHash() throws IOException {
    Path corpus = corpus();
    Path out = tmp.resolve("out");
    ShardManifest m = prepare(corpus, out, 2);
    String msg = "seed " + SEED;
    assertEquals(300, m.corpus().documents(), msg);
    assertEquals(1, m.corpus().skippedBinary(), msg);
    assertEquals(1, m.corpus().skippedDuplicate(), msg);
    assertEquals(TOK.hash(), m.tokenizerHash());
    assertEquals(257, m.vocabSize());
    assertEquals(2, m.tokenWidth());

    Set<String> expectVal = new HashSet<>();
    Set<String> expectTrain = new HashSet<>();
    long expectTokens = 0;
    try (Stream<Path> s = Files.walk(corpus)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        byte[] b = Files.readAllBytes(p);
        if (p.getFileName().toString().startsWith("zz-")) {
          continue;
        }
        String text = new String(b, StandardCharsets.UTF_8);
        (ContentHash.of(b).permille() < 100 ? expectVal : expectTrain).add(text);
        expectTokens += b.length + 1;
      }
    }
    assertFalse(expectVal.isEmpty(), msg);
    Set<String> train = documents(out, Split.TRAIN);
    Set<String> val = documents(out, Split.VAL);
    assertEquals(expectTrain, train, msg);
    assertEquals(expectVal, val, msg);
    assertEquals(expectTokens, m.train().tokens() + m.val().tokens(), msg);
    assertEquals(expectTrain.size(), m.train().documents(), msg);

    for (ShardManifest.ShardFile f : m.train().files()) {
      assertTrue(f.tokens() >= 5_000 || f == m.train().files().getLast(),
          "only the last shard may be short of the target: " + f);
    }
    Path again = tmp.resolve("again");
    prepare(corpus, again, 1);
    assertEquals(val, documents(again, Split.VAL), msg);
  }

  /** Decodes every document of a split back to text, checking the set opens cleanly. */
  private static Set<String> documents(Path dir, Split split) throws IOException {
    Set<String> out = new HashSet<>();
    try (ShardSet set = ShardSet.open(dir, split, TOK.hash(), TOK.vocabSize())) {
      for (ShardReader r : set.shards()) {
        for (long d = 0; d < r.documentCount(); d++) {
          long s = r.documentStart(d);
          int[] ids = new int[(int) (r.documentEnd(d) - s) - 1];
          r.read(s, ids, 0, ids.length);
          assertEquals(ByteTokenizer.EOT, r.token(r.documentEnd(d) - 1));
          assertTrue(out.add(new String(TOK.decodeBytes(ids), StandardCharsets.UTF_8)));
        }
      }
    }
    return out;
  }

  @Test
  void rerunNeedsOverwriteAndRemovesStaleShards() throws IOException {
    Path corpus = corpus();
    Path out = tmp.resolve("out");
    ShardManifest first = prepare(corpus, out, 1);
    IOException e = assertThrows(IOException.class, () -> prepare(corpus, out, 1));
    assertTrue(e.getMessage().contains("shards.json") && e.getMessage().contains("overwrite"),
        e.getMessage());
    PrepareOptions bigger = new PrepareOptions(100, 1_000_000, 2, true);
    List<ShardManifest.ShardFile> written = new ArrayList<>();
    ShardManifest second = ShardPrepare.prepare(Corpus.directory(corpus), CorpusFilter.DEFAULT,
        TOK, out, bigger, new ShardPrepare.Listener() {
          @Override
          public void shardWritten(Split split, ShardManifest.ShardFile file) {
            written.add(file);
          }
        });
    assertTrue(first.train().files().size() > 1);
    assertEquals(1, second.train().files().size());
    assertEquals(2, written.size());
    assertEquals(Set.of("shards.json", "train-00000.bin", "val-00000.bin"),
        contents(out).keySet(), "stale shards of the first run must be gone");
    assertEquals(first.train().tokens(), second.train().tokens());
  }

  @Test
  void shardSetRejectsWrongTokenizerAndMixedRuns() throws IOException {
    Path corpus = corpus();
    Path out = tmp.resolve("out");
    prepare(corpus, out, 1);
    String other = new ByteTokenizer("other").hash();
    IOException e = assertThrows(IOException.class,
        () -> ShardSet.open(out, Split.TRAIN, other, 257));
    assertTrue(e.getMessage().contains(TOK.hash()) && e.getMessage().contains(other)
        && e.getMessage().contains("shards.json"), e.getMessage());

    // Swap two train shards: each is valid on its own, but not where the manifest puts it.
    Path a = out.resolve("train-00000.bin");
    Path b = out.resolve("train-00001.bin");
    Path t = out.resolve("swap");
    Files.move(a, t);
    Files.move(b, a);
    Files.move(t, b);
    IOException mixed = assertThrows(IOException.class,
        () -> ShardSet.open(out, Split.TRAIN, TOK.hash(), 257));
    assertTrue(mixed.getMessage().contains("train-00000.bin")
        && mixed.getMessage().contains("does not match"), mixed.getMessage());

    IOException none = assertThrows(IOException.class,
        () -> ShardSet.open(tmp.resolve("corpus"), Split.TRAIN, TOK.hash(), 257));
    assertTrue(none.getMessage().contains("shards.json"), none.getMessage());
  }

  @Test
  void tokenizerFailureNamesTheDocumentAndLeavesNoPartialOutput() throws IOException {
    Path corpus = corpus();
    Path out = tmp.resolve("out");
    Tokenizer broken = new Tokenizer() {
      @Override
      public int[] encode(byte[] utf8) {
        if (new String(utf8, StandardCharsets.UTF_8).startsWith("doc 150:")) {
          throw new IllegalStateException("boom");
        }
        return TOK.encode(utf8);
      }

      @Override
      public int vocabSize() {
        return TOK.vocabSize();
      }

      @Override
      public byte[] decodeBytes(int[] ids) {
        return TOK.decodeBytes(ids);
      }

      @Override
      public int endOfText() {
        return TOK.endOfText();
      }

      @Override
      public String hash() {
        return TOK.hash();
      }
    };
    for (int threads : new int[] {1, 3}) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> ShardPrepare.prepare(Corpus.directory(corpus), CorpusFilter.DEFAULT, broken, out,
              new PrepareOptions(100, 5_000, threads, true)));
      assertTrue(e.getMessage().contains("f150.txt"), e.getMessage());
      try (Stream<Path> s = Files.list(out)) {
        assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")
            || p.getFileName().toString().equals("shards.json")), "threads " + threads);
      }
    }
  }
}
