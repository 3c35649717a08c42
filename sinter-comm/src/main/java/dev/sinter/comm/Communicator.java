// The one interface every collective goes through. Model and training code call it; whether the
// ranks are threads sharing memory (InProcessGroup) or processes on many hosts (TcpGroup) is the
// back end's business. All buffers are flat float[] with an offset, like every other buffer in
// Sinter, so a data-parallel bucket or a ZeRO shard is just (offset, length).
//
// Contract: every rank of the group calls the same collectives in the same order with the same
// sizes (as in MPI and NCCL). Results are identical on every rank, bit for bit, and depend only on
// the group size, never on timing. Every call has a deadline; a dead or silent peer becomes a
// CommException on every rank that names the peer and the operation.
package dev.sinter.comm;

/** Collective communication within a fixed group of ranks. Not thread-safe: one caller at a time. */
public interface Communicator extends AutoCloseable {

  /** This process's (or thread's) index in the group, in [0, size). */
  int rank();

  /** Number of ranks in the group. */
  int size();

  /** "inproc" or "tcp", for logs and benchmarks. */
  String backend();

  /**
   * In place: {@code buf[off, off+len)} becomes the element-wise reduction over all ranks.
   *
   * @param wire the precision on the wire (BF16 halves the bytes; the result is then rounded)
   */
  void allReduce(float[] buf, int off, int len, ReduceOp op, Wire wire);

  /** {@link #allReduce(float[], int, int, ReduceOp, Wire)} in full precision. */
  default void allReduce(float[] buf, int off, int len, ReduceOp op) {
    allReduce(buf, off, len, op, Wire.FP32);
  }

  /**
   * In place: afterwards this rank's shard {@link Shards#start}..{@link Shards#end} of
   * {@code buf[off, off+len)} holds the reduction over all ranks; the rest of the range is
   * undefined.
   */
  void reduceScatter(float[] buf, int off, int len, ReduceOp op, Wire wire);

  /**
   * In place: every rank contributes its shard of {@code buf[off, off+len)} (as split by
   * {@link Shards}) and afterwards every rank holds all of them.
   */
  void allGather(float[] buf, int off, int len, Wire wire);

  /** {@code buf[off, off+len)} of rank {@code root} is copied to every rank. */
  void broadcast(float[] buf, int off, int len, int root);

  /**
   * Personalised exchange: rank r sends {@code sendCounts[p]} floats to rank p, taken from
   * {@code send} in rank order, and receives {@code recvCounts[p]} from each p into {@code recv} in
   * rank order. Counts may differ per pair (variable splits); recvCounts[p] on this rank must equal
   * sendCounts[this rank] on rank p.
   */
  void allToAll(float[] send, int sendOff, int[] sendCounts, float[] recv, int recvOff, int[] recvCounts);

  /** Point to point: sends {@code buf[off, off+len)} to {@code peer}, which must {@link #recv} it. */
  void send(float[] buf, int off, int len, int peer);

  /** Point to point: receives {@code len} floats from {@code peer} into {@code buf[off, ..)}. */
  void recv(float[] buf, int off, int len, int peer);

  /** Returns once every rank has called it. */
  void barrier();

  /**
   * The sub-group of the ranks that pass the same {@code color}, ordered by rank. Every rank of
   * this group must call it, in the same order relative to other collectives.
   */
  Communicator split(int color);

  /** Bytes this rank has sent so far, per operation kind (for telemetry). */
  CommStats stats();

  /** Leaves the group; for the group's creator, also releases its connections or threads. */
  @Override
  void close();
}
