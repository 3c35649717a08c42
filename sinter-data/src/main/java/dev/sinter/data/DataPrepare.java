// The whole data preparation in one call: read a corpus, train a byte-level BPE tokenizer on it (or
// load a given one), save it as tokenizer.json beside the shards, and write the token shards. Used
// by `sinter data prepare` and by `sinter demo`.
package dev.sinter.data;

import dev.sinter.data.corpus.Corpus;
import dev.sinter.data.corpus.CorpusFilter;
import dev.sinter.data.corpus.CorpusReader;
import dev.sinter.data.corpus.Document;
import dev.sinter.data.shard.PrepareOptions;
import dev.sinter.data.shard.ShardManifest;
import dev.sinter.data.shard.ShardPrepare;
import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.data.tokenizer.BpeTrainer;
import dev.sinter.data.tokenizer.TokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/** Corpus → tokenizer → shards. */
public final class DataPrepare {
  /** The tokenizer file written beside the shards. */
  public static final String TOKENIZER_FILE = "tokenizer.json";

  private DataPrepare() {}

  /**
   * What happened.
   *
   * @param tokenizer        the tokenizer the shards were encoded with
   * @param trainedTokenizer whether it was trained now (false: loaded)
   * @param tokenizerSeconds time to train or load it
   * @param manifest         the shards written, with the corpus statistics
   * @param shardSeconds     time to encode and write the shards
   */
  public record Result(BpeTokenizer tokenizer, boolean trainedTokenizer, double tokenizerSeconds,
      ShardManifest manifest, double shardSeconds) {}

  /**
   * Runs the preparation into {@code outDir}.
   *
   * @param tokenizerFile an existing tokenizer.json to use, or null to train one of {@code vocab} ids
   * @param vocab         vocabulary size to train (bytes and special tokens included)
   */
  public static Result run(Corpus corpus, CorpusFilter filter, Path tokenizerFile, int vocab, Path outDir,
      PrepareOptions options, ShardPrepare.Listener listener) throws IOException {
    long t0 = System.nanoTime();
    BpeTokenizer tok;
    if (tokenizerFile != null) {
      tok = TokenizerJson.load(tokenizerFile);
    } else {
      Iterable<byte[]> docs = () -> new Iterator<>() {
        private final CorpusReader reader = corpus.open(filter);

        @Override
        public boolean hasNext() {
          boolean more = reader.hasNext();
          if (!more) {
            reader.close();
          }
          return more;
        }

        @Override
        public byte[] next() {
          Document d = reader.next();
          return d.bytes();
        }
      };
      tok = BpeTrainer.train(docs, vocab, options.threads());
    }
    double tokSeconds = (System.nanoTime() - t0) / 1e9;
    Files.createDirectories(outDir);
    Path target = outDir.resolve(TOKENIZER_FILE);
    if (Files.exists(target) && !options.overwrite()) {
      throw new IOException(target + " already exists; choose another output directory or allow overwriting"
          + " (--overwrite)");
    }
    TokenizerJson.save(tok, target);
    long t1 = System.nanoTime();
    ShardManifest m = ShardPrepare.prepare(corpus, filter, tok, outDir, options, listener);
    return new Result(tok, tokenizerFile == null, tokSeconds, m, (System.nanoTime() - t1) / 1e9);
  }
}
