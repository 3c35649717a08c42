// Times TokenLoader.next() at the batch shapes Sinter trains with, over a synthetic shard, to show
// the loader's share of a training step (about 50 ms for a tiny model, 5 s for gpt2-124m on CPU).
//
// Run:  mvn -q -pl sinter-data compile
//       java -cp sinter-data/target/classes dev.sinter.data.loader.LoaderBench \
//         [millionTokens] [repeats]
// It writes one shard of random GPT-2-sized ids (vocabulary 50257, 2 bytes each) into a temp
// directory, times opening it (which verifies the CRC-32C of the whole payload), then for each
// shape prints the median and best microseconds per next() call over `repeats` timed runs and
// the nanoseconds per token they imply. The best is printed too because on a shared machine the
// median mostly measures the neighbours. The temp directory is deleted afterwards.
package dev.sinter.data.loader;

import dev.sinter.data.shard.ShardReader;
import dev.sinter.data.shard.ShardSet;
import dev.sinter.data.shard.ShardWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Benchmark of the token loader; prints one line per batch shape. */
public final class LoaderBench {
  private static final int VOCAB = 50_257;
  private static final String HASH = "0".repeat(64);

  private record Shape(int b, int t) {}

  private static final Shape[] SHAPES = {new Shape(4, 256), new Shape(8, 1024)};

  private LoaderBench() {}

  /**
   * Runs the benchmark.
   *
   * @param args optional shard size in millions of tokens (default 4) and number of timed
   *     repeats (default 15)
   */
  public static void main(String[] args) throws IOException {
    long tokens = (long) ((args.length > 0 ? Double.parseDouble(args[0]) : 4) * 1_000_000);
    int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("sinter-loader-bench");
    Path file = dir.resolve("train-00000.bin");
    try {
      write(file, tokens);
      // The first open pays for class loading and a cold JIT; the best of the rest is the
      // steady cost of verifying a shard that is in the page cache.
      double firstMs = 0;
      double bestMs = Double.MAX_VALUE;
      for (int i = 0; i < 6; i++) {
        long t0 = System.nanoTime();
        ShardReader.open(file, HASH, VOCAB).close();
        double ms = (System.nanoTime() - t0) / 1e6;
        firstMs = i == 0 ? ms : firstMs;
        bestMs = i == 0 ? bestMs : Math.min(bestMs, ms);
      }
      ShardReader reader = ShardReader.open(file, HASH, VOCAB);
      double mb = Files.size(file) / 1e6;
      System.out.printf("shard: %,d tokens, %,d documents, %.1f MB; open + verify: first %.1f ms,"
          + " best %.1f ms (%.2f GB/s, page cache warm)%n", reader.tokenCount(),
          reader.documentCount(), mb, firstMs, bestMs, mb / bestMs);
      try (ShardSet set = ShardSet.of(List.of(reader))) {
        for (Shape s : SHAPES) {
          run(set, s, repeats);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
  }

  private static void write(Path file, long tokens) throws IOException {
    SplittableRandom rnd = new SplittableRandom(42);
    try (ShardWriter w = ShardWriter.create(file, VOCAB, VOCAB - 1, HASH)) {
      while (w.tokenCount() < tokens) {
        // Document lengths of 1..2000 tokens, like a mix of short web pages and source files.
        int[] ids = new int[rnd.nextInt(1, 2000)];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rnd.nextInt(VOCAB - 1);
        }
        w.addDocument(ids);
      }
      w.finish();
    }
  }

  private static void run(ShardSet set, Shape s, int repeats) {
    TokenLoader loader = new TokenLoader(set, LoaderConfig.of(s.t(), 1234));
    int[] x = new int[s.b() * s.t()];
    int[] y = new int[s.b() * s.t()];
    // Enough calls per timed run to last a few milliseconds, so timer resolution does not matter.
    int calls = Math.max(200, 2_000_000 / (s.b() * s.t()));
    long sink = 0;
    for (int i = 0; i < 20 * calls; i++) {
      loader.next(x, y, s.b(), s.t());
      sink += x[i % x.length];
    }
    double[] us = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        loader.next(x, y, s.b(), s.t());
        sink += y[i % y.length];
      }
      us[r] = (System.nanoTime() - t0) / 1e3 / calls;
    }
    Arrays.sort(us);
    double median = us[repeats / 2];
    double best = us[0];
    System.out.printf("B=%d T=%-5d next(): median %8.2f us, best %8.2f us per batch "
        + "(%.2f ns/token); %.4f %% of a 50 ms step, %.6f %% of a 5 s step [%d]%n",
        s.b(), s.t(), median, best, median * 1e3 / (s.b() * s.t()), 100 * median / 50e3,
        100 * median / 5e6, sink & 1);
  }
}
