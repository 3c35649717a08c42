// Token windows from a directory of shards written by `sinter data prepare`: the bridge between the
// data module's TokenLoader and the training loop's TokenSource.
package dev.sinter.train;

import dev.sinter.data.loader.LoaderConfig;
import dev.sinter.data.loader.TokenLoader;
import dev.sinter.data.shard.ShardSet;
import dev.sinter.data.shard.Split;
import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.data.tokenizer.TokenizerJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A {@link TokenSource} over one split of a shard directory. */
public final class ShardTokens implements TokenSource, AutoCloseable {
  private final Path dir;
  private final Split split;
  private final ShardSet set;
  private final TokenLoader loader;

  /**
   * Opens a split, checking every shard against the tokenizer's hash and vocabulary.
   *
   * @param tokenizer the model's tokenizer
   * @param shuffle   shuffle window order (training) or read in order (validation)
   */
  public ShardTokens(Path dir, Split split, BpeTokenizer tokenizer, int seqLen, long seed, boolean shuffle) {
    this.dir = dir;
    this.split = split;
    try {
      this.set = ShardSet.open(dir, split, tokenizer.hash(), tokenizer.vocabSize());
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    this.loader = new TokenLoader(set, new LoaderConfig(seqLen, seed, shuffle, 0, 1));
  }

  /** Loads the tokenizer at {@code file}, or {@code dir/tokenizer.json} when file is empty. */
  public static BpeTokenizer tokenizerFor(Path dir, String file) {
    Path p = file.isEmpty() ? dir.resolve(dev.sinter.data.DataPrepare.TOKENIZER_FILE) : Path.of(file);
    if (!Files.exists(p)) {
      throw new IllegalArgumentException(p + ": no tokenizer; set data.tokenizer to the tokenizer.json the shards"
          + " were prepared with");
    }
    try {
      return TokenizerJson.load(p);
    } catch (IOException e) {
      throw new UncheckedIOException(p + ": cannot read tokenizer: " + e.getMessage(), e);
    }
  }

  @Override
  public void next(int[] tokens, int[] targets, int b, int t) {
    loader.next(tokens, targets, b, t);
  }

  @Override
  public long position() {
    return loader.position();
  }

  @Override
  public void seek(long position) {
    loader.seek(position);
  }

  /** Windows of the configured length in one pass over the split. */
  public long windowsPerEpoch() {
    return loader.windowsPerEpoch();
  }

  @Override
  public String describe() {
    return dir + " [" + split.prefix() + ": " + set.tokenCount() + " tokens, " + set.documentCount() + " documents]";
  }

  @Override
  public void close() {
    set.close();
  }
}
