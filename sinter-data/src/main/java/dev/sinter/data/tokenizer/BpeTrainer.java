// Learns a byte-level BPE vocabulary from a corpus: counts pre-token words on several threads, then
// runs the incremental merge loop (MergeLearner) and appends Sinter's special tokens. The result
// depends only on the corpus and the configuration, never on the thread count.
package dev.sinter.data.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Trains {@link BpeTokenizer}s. */
public final class BpeTrainer {

  /** Documents taken from the shared iterator at a time, by total size. */
  private static final long CLAIM_BYTES = 1 << 20;

  /**
   * What to train.
   *
   * @param vocabSize ids in the result: 256 bytes + merges + {@link BpeTokenizer#SPECIAL_TOKENS};
   *     fewer merges are learned when the corpus runs out of pairs seen minPairCount times
   * @param threads threads that count words (the merge loop itself is sequential)
   * @param minPairCount the least number of occurrences a pair needs to become a merge
   */
  public record Config(int vocabSize, int threads, long minPairCount) {

    /** Validates every field. */
    public Config {
      int least = 256 + BpeTokenizer.SPECIAL_TOKENS.size();
      if (vocabSize < least) {
        throw new IllegalArgumentException(
            "vocabSize must be at least " + least + " (256 bytes + specials), got " + vocabSize);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      if (minPairCount < 1) {
        throw new IllegalArgumentException("minPairCount must be at least 1, got " + minPairCount);
      }
    }

    /** A config that merges pairs seen at least twice. */
    public Config(int vocabSize, int threads) {
      this(vocabSize, threads, 2);
    }
  }

  private BpeTrainer() {}

  /** {@link #train(Iterable, Config)} with pairs seen at least twice. */
  public static BpeTokenizer train(Iterable<byte[]> docs, int vocabSize, int threads) {
    return train(docs, new Config(vocabSize, threads));
  }

  /**
   * Trains a tokenizer on {@code docs} (each one UTF-8 bytes, or any bytes). The iterable is walked
   * once; its iterator is only ever called by one thread at a time.
   */
  public static BpeTokenizer train(Iterable<byte[]> docs, Config config) {
    return train(docs, config, null);
  }

  /**
   * Trains, and when {@code phaseNanos} is given records the time spent counting words (index 0),
   * building the pair index (1) and merging (2) there, for the benchmark.
   */
  static BpeTokenizer train(Iterable<byte[]> docs, Config config, long[] phaseNanos) {
    long t0 = System.nanoTime();
    WordCounts counts = countWords(docs, config.threads());
    long t1 = System.nanoTime();
    MergeLearner learner = new MergeLearner(counts);
    long t2 = System.nanoTime();
    int specials = BpeTokenizer.SPECIAL_TOKENS.size();
    learner.learn(config.vocabSize() - specials, config.minPairCount());
    if (phaseNanos != null) {
      phaseNanos[0] = t1 - t0;
      phaseNanos[1] = t2 - t1;
      phaseNanos[2] = System.nanoTime() - t2;
    }
    byte[][] learned = learner.tokens();
    byte[][] tokens = new byte[learned.length + specials][];
    System.arraycopy(learned, 0, tokens, 0, learned.length);
    Map<String, Integer> specialIds = new LinkedHashMap<>();
    for (int s = 0; s < specials; s++) {
      String text = BpeTokenizer.SPECIAL_TOKENS.get(s);
      tokens[learned.length + s] = text.getBytes(StandardCharsets.UTF_8);
      specialIds.put(text, learned.length + s);
    }
    return new BpeTokenizer(
        new BpeModel(tokens, specialIds, learner.mergeLeft(), learner.mergeRight(), false));
  }

  /**
   * Counts words on {@code threads} threads, each claiming about a megabyte of documents at once.
   */
  static WordCounts countWords(Iterable<byte[]> docs, int threads) {
    Iterator<byte[]> source = docs.iterator();
    WordCounts[] partial = new WordCounts[threads];
    Workers.run(
        threads,
        "sinter-bpe-count",
        (worker, stop) -> {
          WordCounts counts = new WordCounts();
          partial[worker] = counts;
          List<byte[]> claim = new ArrayList<>();
          while (!stop.getAsBoolean()) {
            claim.clear();
            synchronized (source) {
              long bytes = 0;
              while (bytes < CLAIM_BYTES && source.hasNext()) {
                byte[] doc = Objects.requireNonNull(source.next(), "a document is null");
                claim.add(doc);
                bytes += doc.length;
              }
            }
            if (claim.isEmpty()) {
              return;
            }
            for (byte[] doc : claim) {
              counts.addDocument(doc);
            }
          }
        });
    WordCounts total = partial[0];
    for (int w = 1; w < threads; w++) {
      total.addAll(partial[w]);
    }
    return total;
  }
}
