// Where training tokens come from. A source is a deterministic sequence of fixed-length windows
// addressed by an index, so its whole state is one number and resuming is a seek.
package dev.sinter.train;

/** A deterministic, seekable stream of (input, target) windows. */
public interface TokenSource {

  /**
   * Fills the next micro-batch: {@code tokens[i·T + j]} is position j of window i and
   * {@code targets[i·T + j]} the token that follows it. Advances {@link #position()} by b.
   */
  void next(int[] tokens, int[] targets, int b, int t);

  /** Number of windows consumed so far. */
  long position();

  /** Continues from a position returned by {@link #position()}. */
  void seek(long position);

  /** One line for logs, e.g. "synthetic (V=128)". */
  String describe();
}
