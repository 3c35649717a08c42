// Settings of a prepare run (corpus to shards), validated once.
package dev.sinter.data.shard;

/**
 * How {@link ShardPrepare#prepare} splits and shards the corpus.
 *
 * @param valPermille documents whose content hash falls in [0, valPermille) of 1000 buckets go to
 *     validation; 0..1000
 * @param shardTokens a shard is closed once it holds at least this many tokens (documents never
 *     span shards, so a shard may exceed it by one document); at least 1
 * @param threads tokenizer threads, at least 1; the output does not depend on it
 * @param overwrite whether an existing {@code shards.json} (and its shards) in the output
 *     directory may be replaced
 */
public record PrepareOptions(int valPermille, long shardTokens, int threads, boolean overwrite) {

  /** 1 % validation, 100 M tokens per shard (200 MB at 2 bytes a token), one thread per core. */
  public static final PrepareOptions DEFAULT = new PrepareOptions(10, 100_000_000L,
      Runtime.getRuntime().availableProcessors(), false);

  /** Checks the ranges. */
  public PrepareOptions {
    if (valPermille < 0 || valPermille > 1000) {
      throw new IllegalArgumentException("valPermille must be in [0, 1000], got " + valPermille);
    }
    if (shardTokens < 1) {
      throw new IllegalArgumentException("shardTokens must be >= 1, got " + shardTokens);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
  }

  /** A copy with another validation share. */
  public PrepareOptions withValPermille(int permille) {
    return new PrepareOptions(permille, shardTokens, threads, overwrite);
  }

  /** A copy with another shard size. */
  public PrepareOptions withShardTokens(long tokens) {
    return new PrepareOptions(valPermille, tokens, threads, overwrite);
  }

  /** A copy with another thread count. */
  public PrepareOptions withThreads(int n) {
    return new PrepareOptions(valPermille, shardTokens, n, overwrite);
  }

  /** A copy that may or may not replace an existing output. */
  public PrepareOptions withOverwrite(boolean on) {
    return new PrepareOptions(valPermille, shardTokens, threads, on);
  }
}
