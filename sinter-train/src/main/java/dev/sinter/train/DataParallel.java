// Data parallelism for the Trainer: every rank holds the whole model, computes gradients on its
// rows of the global batch, and the ranks agree on the average gradient before the update.
//
//   zero = 0 (DDP)  on the last micro-batch, each range of gradients is all-reduced as soon as
//                   backward finishes it (head, then blocks from last to first, then embeddings),
//                   on a communication thread, so the reduction overlaps the rest of backward;
//   zero = 1        optimizer state sharded: after backward, one reduce-scatter leaves each rank
//                   the average gradient of its contiguous shard of the flat buffer; AdamW runs on
//                   the shard (moments of the shard only); an all-gather of parameters follows;
//   zero = 2        gradients sharded too: every micro-batch's gradients are reduce-scattered and
//                   added into a shard-sized accumulator, so accumulation needs no full buffer
//                   across micro-batches.
// The loss and the gradient norm (hence clipping) are global. Shards follow Shards, like every
// other split in Sinter.
package dev.sinter.train;

import dev.sinter.comm.Communicator;
import dev.sinter.comm.ReduceOp;
import dev.sinter.comm.Shards;
import dev.sinter.comm.Wire;
import dev.sinter.model.Transformer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The gradient-synchronisation policy of one data-parallel rank. */
final class DataParallel implements AutoCloseable {
  private final Communicator comm;
  private final int zero;
  private final Wire wire;
  private final int size;
  private final int shardStart;
  private final int shardEnd;
  private final float[] shardGrads; // zero = 2 only
  private final ExecutorService commThread;
  private final List<Future<?>> inFlight = new ArrayList<>();
  private final float[] scalar = new float[1];
  private long commNanos; // time spent inside collectives this step (on any thread)
  private long exposedNanos; // time the training thread waited for them

  DataParallel(Communicator comm, int zero, Wire wire, int params) {
    this.comm = comm;
    this.zero = zero;
    this.wire = wire;
    this.size = params;
    this.shardStart = zero == 0 ? 0 : Shards.start(params, comm.size(), comm.rank());
    this.shardEnd = zero == 0 ? params : Shards.end(params, comm.size(), comm.rank());
    this.shardGrads = zero == 2 ? new float[shardEnd - shardStart] : null;
    this.commThread = zero == 0 ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "dp-allreduce-" + comm.rank());
      t.setDaemon(true);
      return t;
    }) : null;
  }

  int rank() {
    return comm.rank();
  }

  int world() {
    return comm.size();
  }

  /** First parameter whose optimizer state this rank owns. */
  int shardStart() {
    return shardStart;
  }

  /** One past the last parameter this rank owns. */
  int shardEnd() {
    return shardEnd;
  }

  Communicator comm() {
    return comm;
  }

  /** Starts a step: clears the timers and, under ZeRO-2, the gradient shard. */
  void beginStep() {
    commNanos = 0;
    exposedNanos = 0;
    if (shardGrads != null) {
      java.util.Arrays.fill(shardGrads, 0f);
    }
  }

  /** Before a micro-batch's backward: under DDP, the last one reduces ranges as they finish. */
  void beforeBackward(Transformer model, boolean lastMicro) {
    if (zero == 0 && lastMicro) {
      float[] g = model.grads;
      model.onGradientsReady(new Transformer.GradientsReady() {
        @Override
        public void ready(int start, int end) {
          async(() -> comm.allReduce(g, start, end - start, ReduceOp.AVG, wire));
        }

        @Override
        public boolean takesEmbeddingRows() {
          return true;
        }

        @Override
        public void embeddingRows(int[] tokens, float[] dRows, int rows, int c) {
          async(() -> addEmbeddingRows(g, model.layout().tokEmbeddings().offset(), tokens, dRows, rows, c));
        }
      });
    } else {
      model.onGradientsReady(null);
    }
  }

  private void async(Runnable collective) {
    inFlight.add(commThread.submit(() -> {
      long t0 = System.nanoTime();
      collective.run();
      synchronized (this) {
        commNanos += System.nanoTime() - t0;
      }
    }));
  }

  /**
   * The sparse half of the embedding gradient: every rank's looked-up rows (B·T of them, not the
   * V-row table) are gathered, then added into the table, averaged, in rank and row order — the
   * same bits on every rank. Runs on the communication thread after the table's dense all-reduce.
   */
  private void addEmbeddingRows(float[] grads, int wteOff, int[] tokens, float[] dRows, int rows, int c) {
    int per = rows * c + rows; // a rank's rows, then its token ids (exact as floats below 2^24)
    if (gathered.length < per * comm.size()) {
      gathered = new float[per * comm.size()];
    }
    int mine = comm.rank() * per;
    System.arraycopy(dRows, 0, gathered, mine, rows * c);
    for (int r = 0; r < rows; r++) {
      gathered[mine + rows * c + r] = tokens[r];
    }
    comm.allGather(gathered, 0, per * comm.size(), Wire.FP32);
    float inv = 1f / comm.size();
    for (int q = 0; q < comm.size(); q++) {
      int base = q * per;
      for (int r = 0; r < rows; r++) {
        int dst = wteOff + (int) gathered[base + rows * c + r] * c;
        int src = base + r * c;
        for (int i = 0; i < c; i++) {
          grads[dst + i] += gathered[src + i] * inv;
        }
      }
    }
  }

  private float[] gathered = new float[0];

  /** Bytes of gradient shard this rank keeps beside the full gradient buffer (ZeRO-2 only). */
  long shardBytes() {
    return shardGrads == null ? 0 : 4L * shardGrads.length;
  }

  /**
   * After a micro-batch's backward. ZeRO-2 moves this micro-batch's gradients into the shard and
   * clears the full buffer for the next one.
   */
  void afterBackward(Transformer model) {
    model.onGradientsReady(null);
    if (zero == 2) {
      timed(() -> comm.reduceScatter(model.grads, 0, size, ReduceOp.AVG, wire));
      for (int i = shardStart; i < shardEnd; i++) {
        shardGrads[i - shardStart] += model.grads[i];
      }
      java.util.Arrays.fill(model.grads, 0f);
    }
  }

  /**
   * After the last micro-batch: leaves the averaged gradient in {@code grads[shardStart, shardEnd)}
   * (all of it under DDP).
   */
  void finishGradients(float[] grads) {
    if (zero == 0) {
      long t0 = System.nanoTime();
      for (Future<?> f : inFlight) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new dev.sinter.comm.CommException("interrupted waiting for a gradient all-reduce", e);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : new dev.sinter.comm.CommException(e.getMessage(), e);
        }
      }
      inFlight.clear();
      exposedNanos += System.nanoTime() - t0;
    } else if (zero == 1) {
      timed(() -> comm.reduceScatter(grads, 0, size, ReduceOp.AVG, wire));
    } else {
      System.arraycopy(shardGrads, 0, grads, shardStart, shardEnd - shardStart);
    }
  }

  /** The global sum over ranks of a per-rank partial (a sum of squares, for the gradient norm). */
  double sumAcrossShards(double partial) {
    if (zero == 0) {
      return partial; // every rank already holds the whole reduced gradient
    }
    scalar[0] = (float) partial;
    timed(() -> comm.allReduce(scalar, 0, 1, ReduceOp.SUM));
    return scalar[0];
  }

  /** The mean of a per-rank value (the loss). */
  double average(double x) {
    scalar[0] = (float) x;
    timed(() -> comm.allReduce(scalar, 0, 1, ReduceOp.AVG));
    return scalar[0];
  }

  /** After the update: under ZeRO, every rank receives the others' updated shards. */
  void finishUpdate(float[] params) {
    if (zero != 0) {
      timed(() -> comm.allGather(params, 0, size, Wire.FP32));
    }
  }

  /**
   * Whether any rank wants to stop (a signal reached some ranks first): all must agree before the
   * next step, or they would part ways mid-collective.
   */
  boolean anyone(boolean mine) {
    scalar[0] = mine ? 1f : 0f;
    comm.allReduce(scalar, 0, 1, ReduceOp.MAX);
    return scalar[0] > 0;
  }

  /** Every rank's value of {@code mine}, by rank (a small all-gather). */
  double[] gather(double mine) {
    float[] all = new float[comm.size()];
    all[comm.rank()] = (float) mine;
    comm.allGather(all, 0, all.length, Wire.FP32);
    double[] out = new double[all.length];
    for (int i = 0; i < all.length; i++) {
      out[i] = all[i];
    }
    return out;
  }

  /** Bytes sent per collective kind since the previous call. */
  java.util.Map<String, Long> bytesSinceLastCall() {
    java.util.Map<String, Long> now = comm.stats().bytesByKind();
    java.util.Map<String, Long> delta = new java.util.LinkedHashMap<>();
    now.forEach((k, v) -> delta.put(k, v - lastBytes.getOrDefault(k, 0L)));
    lastBytes = now;
    return delta;
  }

  private java.util.Map<String, Long> lastBytes = java.util.Map.of();

  /** Milliseconds spent in collectives this step. */
  double commMs() {
    return commNanos / 1e6;
  }

  /** Milliseconds the training thread waited on communication this step (not hidden by compute). */
  double exposedMs() {
    return exposedNanos / 1e6;
  }

  private void timed(Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    long dt = System.nanoTime() - t0;
    commNanos += dt;
    exposedNanos += dt;
  }

  @Override
  public void close() {
    if (commThread != null) {
      commThread.shutdownNow();
    }
  }
}
