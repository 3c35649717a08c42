// Packs the tokens of a shard set into fixed-length training windows, in a seeded, resumable,
// rank-partitioned order.
//
// The rules:
//  * Packing. The shards of the set, in manifest order, form one stream of N tokens in which every
//    document already ends with the end-of-text id (ShardPrepare writes it), so documents sit back
//    to back with one separator and windows cross document boundaries freely. Window w is the
//    T + 1 tokens [w*T, w*T + T]: inputs are the first T, targets the last T. There are
//    W = floor((N - 1) / T) windows; the last (N - 1) mod T tokens are never read.
//  * Order. Global sample s (s = 0, 1, 2, ...) belongs to epoch e = s / W and reads window
//    P_e(s mod W), where P_e is a pseudo-random permutation of [0, W) keyed by (seed, e) (the
//    identity when shuffle is off). Each epoch thus sees every window once, in a new order.
//  * Ranks. A call next(b) by every rank consumes one global batch of b * worldSize samples
//    starting at the position p: rank r's row j is sample p + j * worldSize + r. The ranks
//    together read exactly the single-rank order, interleaved, with no overlap; all ranks must
//    call next with the same b.
//  * Resume. The position p (global samples consumed) is the entire state: a loader at p yields
//    exactly what an uninterrupted one yields after p. Because p counts global samples, a run can
//    resume at another world size as long as the global batch stays the same.
//
// Cost per window: one permutation evaluation (a few multiplies), a binary search over the shard
// starts (usually skipped: the last shard is cached) and bulk reads of T + 1 ids from the mapped
// file; no per-token virtual calls.
package dev.sinter.data.loader;

import dev.sinter.data.shard.ShardReader;
import dev.sinter.data.shard.ShardSet;
import java.util.Arrays;
import java.util.List;

/**
 * Yields batches of B sequences of T token ids and their next-token targets. Not thread-safe:
 * one loader per rank, called from one thread. Does not own the shard set.
 */
public final class TokenLoader {
  private final ShardReader[] shards;
  private final long[] shardStart; // shardStart[i] = first global token of shard i; last = N
  private final LoaderConfig config;
  private final long tokens;
  private final String fingerprint;
  private final long windows;
  private long position;
  private Permutation permutation;
  private long permutationEpoch = -1;
  private int lastShard;

  /**
   * The loader's whole position, with what it must match on restore. Plain fields, so it
   * serialises to JSON as is (e.g. in a checkpoint's sidecar).
   *
   * @param position global samples consumed (all ranks together)
   * @param seed the seed of the run
   * @param seqLen T
   * @param shuffle whether windows are shuffled
   * @param tokens N, the number of tokens in the shard set
   * @param shards 16 hex digits identifying the shards (their token counts and checksums, in
   *     order), so a resume on other data is caught even at the same size
   */
  public record State(long position, long seed, int seqLen, boolean shuffle, long tokens,
      String shards) {}

  /**
   * Creates a loader at position 0.
   *
   * @throws IllegalArgumentException if the set has fewer than T + 1 tokens
   */
  public TokenLoader(ShardSet set, LoaderConfig config) {
    List<ShardReader> list = set.shards();
    this.shards = list.toArray(new ShardReader[0]);
    this.shardStart = new long[shards.length + 1];
    for (int i = 0; i < shards.length; i++) {
      shardStart[i + 1] = shardStart[i] + shards[i].tokenCount();
    }
    this.config = config;
    this.tokens = shardStart[shards.length];
    long h = shards.length;
    for (ShardReader r : shards) {
      h = Permutation.mix(h ^ r.tokenCount());
      h = Permutation.mix(h ^ Integer.toUnsignedLong(r.payloadCrc32c()));
    }
    this.fingerprint = String.format("%016x", h);
    this.windows = (tokens - 1) / config.seqLen();
    if (windows < 1) {
      throw new IllegalArgumentException("the shard set starting with " + shards[0].path()
          + " has " + tokens + " tokens, fewer than one window of seqLen + 1 = "
          + (config.seqLen() + 1L) + "; use more data or a shorter sequence");
    }
  }

  /**
   * Fills the next batch for this rank and advances the position by {@code b * worldSize}.
   *
   * @param tokens [b, t] input ids, row-major; at least b * t long
   * @param targets [b, t] the id following each input; at least b * t long
   * @param b sequences per rank (the same on every rank)
   * @param t the sequence length; must equal the configured seqLen
   */
  public void next(int[] tokens, int[] targets, int b, int t) {
    if (t != config.seqLen()) {
      throw new IllegalArgumentException("t = " + t + ", but this loader cuts windows of seqLen "
          + config.seqLen());
    }
    if (b < 1) {
      throw new IllegalArgumentException("b must be >= 1, got " + b);
    }
    int n = Math.multiplyExact(b, t);
    if (tokens.length < n || targets.length < n) {
      throw new IllegalArgumentException("batch arrays hold " + tokens.length + " and "
          + targets.length + " ids, need b * t = " + n);
    }
    int world = config.worldSize();
    for (int row = 0; row < b; row++) {
      long sample = position + (long) row * world + config.rank();
      long start = window(sample) * t;
      int o = row * t;
      read(start, tokens, o, t);
      System.arraycopy(tokens, o + 1, targets, o, t - 1);
      read(start + t, targets, o + t - 1, 1);
    }
    position += (long) b * world;
  }

  /** Global samples consumed so far, by all ranks together. */
  public long position() {
    return position;
  }

  /**
   * Moves to {@code position} global samples; the next batch is the one an uninterrupted loader
   * would yield there.
   */
  public void seek(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("position must be >= 0, got " + position);
    }
    this.position = position;
  }

  /** The epoch the next sample belongs to. */
  public long epoch() {
    return position / windows;
  }

  /** W, windows per epoch. */
  public long windowsPerEpoch() {
    return windows;
  }

  /** N, tokens in the shard set. */
  public long tokenCount() {
    return tokens;
  }

  /** The configuration. */
  public LoaderConfig config() {
    return config;
  }

  /** The current state, for a checkpoint. */
  public State state() {
    return new State(position, config.seed(), config.seqLen(), config.shuffle(), tokens,
        fingerprint);
  }

  /**
   * Resumes from a checkpointed state.
   *
   * @throws IllegalArgumentException if the state was taken with another seed, sequence length,
   *     shuffle setting or other shards, naming what differs: resuming would silently
   *     repeat or skip data
   */
  public void restore(State s) {
    String diff = null;
    if (s.seed() != config.seed()) {
      diff = "seed " + s.seed() + " vs " + config.seed();
    } else if (s.seqLen() != config.seqLen()) {
      diff = "seqLen " + s.seqLen() + " vs " + config.seqLen();
    } else if (s.shuffle() != config.shuffle()) {
      diff = "shuffle " + s.shuffle() + " vs " + config.shuffle();
    } else if (s.tokens() != tokens || !fingerprint.equals(s.shards())) {
      diff = "shards " + s.shards() + " of " + s.tokens() + " tokens vs " + fingerprint + " of "
          + tokens + " tokens";
    }
    if (diff != null) {
      throw new IllegalArgumentException("cannot resume the data loader: the checkpoint was "
          + "taken with " + diff + " (checkpoint vs now); resume with the same data and "
          + "loader settings, or start the data order afresh");
    }
    seek(s.position());
  }

  private long window(long sample) {
    long e = sample / windows;
    long i = sample - e * windows;
    if (!config.shuffle()) {
      return i;
    }
    if (e != permutationEpoch) {
      permutation = new Permutation(windows, config.seed(), e);
      permutationEpoch = e;
    }
    return permutation.apply(i);
  }

  /** Copies global tokens [start, start + n) into dst[off..), across shard boundaries. */
  private void read(long start, int[] dst, int off, int n) {
    int s = lastShard;
    if (start < shardStart[s] || start >= shardStart[s + 1]) {
      s = Arrays.binarySearch(shardStart, start);
      s = s >= 0 ? s : -s - 2;
    }
    int done = 0;
    while (done < n) {
      long local = start + done - shardStart[s];
      int take = (int) Math.min(n - done, shards[s].tokenCount() - local);
      shards[s].read(local, dst, off + done, take);
      done += take;
      if (done < n) {
        s++;
      }
    }
    lastShard = s;
  }
}
