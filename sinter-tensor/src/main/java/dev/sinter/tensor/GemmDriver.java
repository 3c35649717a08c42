// The packed, blocked, multi-threaded driver behind VectorGemm: C[M,N] (+)= A[M,K]·B[K,N] (+ bias).
//
// The product is a sequence of steps, one per K chunk [p0, p0+KC) in increasing order (times a
// super-block of whole tiles, should an operand outgrow the pack budget). A step
//   packs its chunk of A into MR-row micro-panels and of B into NR-column micro-panels, each once
//     and shared by every tile (B by all M tiles, A by all N tiles), reading the sources in
//     sequential runs into buffers that stay in L3; then
//   runs one task per MC×NC tile of C: per MR-row panel (its A micro-panel stays in L1 or L2) the
//     task walks the tile's NR-column B micro-panels (the KC×NC block stays in L2) and adds into C
//     left to right, which the hardware prefetcher follows.
// Steps are pipelined over double buffers: one parallelFor runs the tiles of step s together with
// the packing of step s+1, so memory-bound packing overlaps compute and each step costs a single
// barrier. The first step has nothing before it to overlap with (and most training shapes are a
// single step), so its packing and its tiles run as one dataflow phase: the tasks are listed so
// that each tile comes after the packing tasks it reads (its row block of A, its column block of
// B), a tile waits until those have finished, and the packing of later row and column blocks (and
// of the second step) runs beside the first tiles. Tasks are claimed in list order, so whatever a
// task waits for has been claimed by a running thread, and the wait ends. One driver per calling
// thread holds the buffers, so steady-state calls allocate nothing.
// Every element of C is computed as C ← (((C or bias) + s₀) + s₁) + … where sᵢ is the FMA chain of
// K chunk i in increasing p; chunks and tiles depend only on (M, N, K), never on the thread count,
// so the result is bitwise the same on any pool.
package dev.sinter.tensor;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;

final class GemmDriver {
  /** A packing task covers at most this many rows of one row block of A. */
  private static final int A_ROWS_PER_TASK = 64;
  /** Rows of a row-major B per packing task (a transposed B is packed one column block a task). */
  private static final int B_ROWS_PER_TASK = 16;
  /** In the dataflow phase, a column block of B is listed this many tiles ahead of its use. */
  private static final int LOOKAHEAD_TILES = 1;
  /** Below this many multiply-adds the pool's hand-off costs more than it saves. */
  static final long PARALLEL_MIN_WORK = 128L * 128 * 128;

  private final GemmBlocking bl;
  /** Packed B starts this many floats into its buffers, on a vector boundary (ArrayAlignment). */
  private final int bShift;
  private final int mr;
  private final int nr;
  /** Rows of A per packing task: A_ROWS_PER_TASK rounded down to whole MR-row panels. */
  private final int aPartRows;
  /** 6×4 kernel (512-bit) rather than 4×2. */
  private final boolean wide;
  /** Double buffers: step s packs A into packA[s % 2] and a new chunk c of B into packB[c % 2]. */
  private final float[][] packA = {new float[0], new float[0]};
  private final float[][] packB = {new float[0], new float[0]};
  private final Step[] steps = {new Step(), new Step()};

  // The current problem; written by the calling thread before each parallelFor, read by tasks.
  private float[] c;
  private int cOff;
  private int ldc;
  private float[] a;
  private int aOff;
  private int lda;
  private boolean aTrans;
  private float[] b;
  private int bOff;
  private int ldb;
  private boolean bTrans;
  private int m;
  private int n;
  private int k;
  private boolean accumulate;
  private float[] bias;
  private int biasOff;
  private float[] rowSums;
  private int rowSumsOff;

  // Partition, a function of (m, n, k) and the blocking only.
  private int chunkK;
  private int tileRows;
  private int tileCols;
  private int superRows;
  private int superCols;
  private int rowBlocks;
  private int chunks;

  // The current phase: tiles of `computing` and packing of `packing` (either may be null); in the
  // first phase, `flow` runs its own packing and tiles in the order of `flowOrder` first.
  private Step computing;
  private Step packing;
  private Step flow;
  private int[] flowOrder = new int[0];
  private final IntConsumer phaseTask = this::phaseTask;

  /** One step: rows [i0, i0+mb) of A and C, columns [j0, j0+nb) of B and C, K chunk [p0, p0+kc). */
  private static final class Step {
    int i0;
    int mb;
    int j0;
    int nb;
    int p0;
    int kc;
    boolean packsB;
    boolean sumRows;
    int rowTiles;
    int colTiles;
    /** Packing tasks per row block of A. */
    int aParts;
    int aTasks;
    int bTasks;
    int tiles;
    float[] bufA;
    float[] bufB;
    /**
     * Dataflow only: finished packing tasks per row block of A, then per column block of a
     * transposed B (or, for a row-major B, one count over all its tasks).
     */
    AtomicIntegerArray done = new AtomicIntegerArray(0);
  }

  GemmDriver(GemmBlocking bl) {
    this(bl, ArrayAlignment.floatShiftTo(GemmMicroKernel.S.vectorByteSize()));
  }

  /** A driver that places packed B bShift floats into its buffers (for tests). */
  GemmDriver(GemmBlocking bl, int bShift) {
    if (bShift < 0) {
      throw new IllegalArgumentException("bShift must be >= 0, got " + bShift);
    }
    this.bShift = bShift;
    if (bl.lanes() != GemmMicroKernel.L) {
      throw new IllegalArgumentException(
          "blocking for " + bl.lanes() + " lanes on a " + GemmMicroKernel.L + "-lane JVM");
    }
    this.bl = bl;
    this.mr = bl.mr();
    this.nr = bl.nr();
    this.aPartRows = Math.max(1, A_ROWS_PER_TASK / mr) * mr;
    this.wide = bl.nv() == 4;
  }

  /**
   * C[M,N] = A·B (+ bias[N]) or, with {@code accumulate}, C += A·B; bias only without accumulate.
   * With rowSums non-null (transposed A only), rowSums[i] += Σ_p A[i,p] (summed in increasing p).
   * K must be at least 1; pool may be null for the calling thread alone.
   */
  void gemm(ThreadPool pool, float[] c, int cOff, int ldc, float[] a, int aOff, int lda,
      boolean aTrans, float[] b, int bOff, int ldb, boolean bTrans, int m, int n, int k,
      boolean accumulate, float[] bias, int biasOff, float[] rowSums, int rowSumsOff) {
    if (m <= 0 || n <= 0) {
      return;
    }
    if (rowSums != null && !aTrans) {
      throw new IllegalArgumentException("row sums are fused into the packing of a transposed A");
    }
    this.c = c;
    this.cOff = cOff;
    this.ldc = ldc;
    this.a = a;
    this.aOff = aOff;
    this.lda = lda;
    this.aTrans = aTrans;
    this.b = b;
    this.bOff = bOff;
    this.ldb = ldb;
    this.bTrans = bTrans;
    this.m = m;
    this.n = n;
    this.k = k;
    this.accumulate = accumulate;
    this.bias = accumulate ? null : bias;
    this.biasOff = biasOff;
    this.rowSums = rowSums;
    this.rowSumsOff = rowSumsOff;
    try {
      run((long) m * n * k < PARALLEL_MIN_WORK ? null : pool);
    } finally {
      this.c = null;
      this.a = null;
      this.b = null;
      this.bias = null;
      this.rowSums = null;
      this.computing = null;
      this.packing = null;
      this.flow = null;
    }
  }

  private void run(ThreadPool pool) {
    chunkK = evenSplit(k, bl.kc(), 1);
    tileRows = evenSplit(m, bl.mc(), mr);
    tileCols = evenSplit(n, bl.nc(), nr);
    long budget = bl.packBudget();
    superRows = tileRows * (int) Math.max(1, budget / ((long) tileRows * chunkK));
    superCols = tileCols * (int) Math.max(1, budget / ((long) tileCols * chunkK));
    rowBlocks = ceilDiv(m, superRows);
    chunks = ceilDiv(k, chunkK);
    int stepCount = ceilDiv(n, superCols) * chunks * rowBlocks;
    long needA = (long) roundUp(Math.min(superRows, m), mr) * chunkK;
    long needB = (long) roundUp(Math.min(superCols, n), nr) * chunkK + bShift;
    for (int i = 0; i < 2; i++) {
      if (packA[i].length < needA) {
        packA[i] = new float[Math.toIntExact(needA)];
      }
      if (packB[i].length < needB) {
        packB[i] = new float[Math.toIntExact(needB)];
      }
    }
    flow = describe(steps[0], 0);
    computing = null;
    packing = stepCount > 1 ? describe(steps[1], 1) : null;
    forAll(pool, planFlow(flow, packing == null ? 0 : packing.aTasks + packing.bTasks));
    flow = null;
    for (int s = 1; s < stepCount; s++) {
      computing = packing;
      packing = s + 1 < stepCount ? describe(steps[(s + 1) % 2], s + 1) : null;
      forAll(pool, computing.tiles + (packing == null ? 0 : packing.aTasks + packing.bTasks));
    }
  }

  /**
   * Lists step st's packing and tiles in one order. Before tile t come the packing tasks it reads
   * that are not listed yet, plus one task of what is needed soon: a column block of a transposed
   * B one tile ahead, or a part of the next row block of A early enough (aParts + 1 tiles ahead,
   * one part per tile) that the threads have packed it, between tiles, by the time it is needed.
   * The next step's {@code nextPacks} packing tasks (other buffers, no dependencies) follow the
   * tiles one by one, so they too overlap compute. A tile is coded as its index t, a packing task p
   * of this step as -1 - p, and one of the next step as tiles + p. Returns the number listed.
   */
  private int planFlow(Step st, int nextPacks) {
    int total = st.tiles + st.aTasks + st.bTasks + nextPacks;
    if (flowOrder.length < total) {
      flowOrder = new int[total];
    }
    int doneSlots = st.rowTiles + (bTrans ? st.colTiles : 1);
    if (st.done.length() < doneSlots) {
      st.done = new AtomicIntegerArray(doneSlots);
    } else {
      for (int i = 0; i < doneSlots; i++) {
        st.done.set(i, 0);
      }
    }
    int n = 0;
    int aListed = 0;
    int colsListed = 0;
    int nextListed = 0;
    for (int t = 0; t < st.tiles; t++) {
      int needA = (t / st.colTiles + 1) * st.aParts;
      int soonA = (Math.min(st.tiles - 1, t + st.aParts + 1) / st.colTiles + 1) * st.aParts;
      while (aListed < needA || (aListed < soonA && aListed < needA + 1)) {
        flowOrder[n++] = -1 - aListed++;
      }
      if (bTrans) {
        // Every row block visits the column blocks in the same order, so the tiles of the first
        // row block list them all, each one tile before its first use.
        int soonB = Math.min(st.colTiles, t + 1 + LOOKAHEAD_TILES);
        for (; colsListed < soonB; colsListed++) {
          flowOrder[n++] = -1 - (st.aTasks + tileColumn(st, colsListed));
        }
      } else if (colsListed == 0) {
        for (int q = 0; q < st.bTasks; q++) {
          flowOrder[n++] = -1 - (st.aTasks + q);
        }
        colsListed = 1;
      }
      flowOrder[n++] = t;
      if (nextListed < nextPacks && nextReady(st, nextListed, aListed)) {
        flowOrder[n++] = st.tiles + nextListed++;
      }
    }
    while (nextListed < nextPacks) {
      flowOrder[n++] = st.tiles + nextListed++;
    }
    if (n != total) {
      throw new IllegalStateException("dataflow order lists " + n + " of " + total + " tasks");
    }
    return total;
  }

  /** Fills in step s: s = (column block · chunks + chunk) · rowBlocks + row block. */
  private Step describe(Step st, int s) {
    int rowBlock = s % rowBlocks;
    int chunk = (s / rowBlocks) % chunks;
    int colBlock = s / (rowBlocks * chunks);
    st.i0 = rowBlock * superRows;
    st.mb = Math.min(superRows, m - st.i0);
    st.j0 = colBlock * superCols;
    st.nb = Math.min(superCols, n - st.j0);
    st.p0 = chunk * chunkK;
    st.kc = Math.min(chunkK, k - st.p0);
    // B is shared by all row blocks of a chunk; it is packed with the first.
    st.packsB = rowBlock == 0;
    st.sumRows = rowSums != null && colBlock == 0;
    st.rowTiles = ceilDiv(st.mb, tileRows);
    st.colTiles = ceilDiv(st.nb, tileCols);
    st.aParts = ceilDiv(Math.min(tileRows, st.mb), aPartRows);
    st.aTasks = st.rowTiles * st.aParts;
    st.bTasks = !st.packsB ? 0 : bTrans ? st.colTiles : ceilDiv(st.kc, B_ROWS_PER_TASK);
    st.tiles = st.rowTiles * st.colTiles;
    st.bufA = packA[s % 2];
    st.bufB = packB[(s / rowBlocks) % 2];
    return st;
  }

  private void forAll(ThreadPool pool, int tasks) {
    if (pool == null) {
      for (int t = 0; t < tasks; t++) {
        phaseTask(t);
      }
    } else {
      pool.parallelFor(tasks, phaseTask);
    }
  }

  /**
   * Task t of the current phase. Tiles and packing tasks alternate while both last, so the
   * threads that pick them up in turn tend to mix memory-bound and compute-bound work.
   */
  private void phaseTask(int t) {
    if (flow != null) {
      int code = flowOrder[t];
      if (code < 0) {
        pack(flow, -1 - code);
      } else if (code < flow.tiles) {
        awaitPacking(flow, code);
        tile(flow, code);
      } else {
        awaitRowSums(code - flow.tiles);
        pack(packing, code - flow.tiles);
      }
      return;
    }
    int tiles = computing == null ? 0 : computing.tiles;
    int packs = packing == null ? 0 : packing.aTasks + packing.bTasks;
    int pairs = Math.min(tiles, packs);
    if (t < 2 * pairs) {
      if ((t & 1) == 0) {
        tile(computing, t >> 1);
      } else {
        pack(packing, t >> 1);
      }
    } else if (tiles > packs) {
      tile(computing, t - pairs);
    } else {
      pack(packing, t - pairs);
    }
  }

  /**
   * Packs a share of a step's K chunk: up to A_ROWS_PER_TASK rows of one row block of A, or one
   * column block of a transposed B, or B_ROWS_PER_TASK rows of a row-major B. In the dataflow phase
   * the task is counted as finished even if it failed, so no tile waits forever (the pool reports
   * the failure).
   */
  private void pack(Step st, int t) {
    try {
      if (t < st.aTasks) {
        int block = t / st.aParts;
        int row = block * tileRows + (t % st.aParts) * aPartRows;
        int rows = Math.min(aPartRows, Math.min(st.mb, (block + 1) * tileRows) - row);
        if (rows > 0) {
          GemmPack.packA(st.bufA, row * st.kc, a, aOff, lda, aTrans, st.i0 + row, rows, mr,
              st.p0, st.kc, st.sumRows ? rowSums : null, rowSumsOff + st.i0 + row);
        }
      } else if (bTrans) {
        int col = (t - st.aTasks) * tileCols;
        GemmPack.packBTransposed(st.bufB, bShift + col * st.kc, b, bOff, ldb, st.j0 + col,
            Math.min(tileCols, st.nb - col), nr, st.p0, st.kc);
      } else {
        int from = (t - st.aTasks) * B_ROWS_PER_TASK;
        GemmPack.packBRows(st.bufB, bShift, b, bOff, ldb, st.j0, st.nb, nr, st.p0, st.kc, from,
            Math.min(st.kc, from + B_ROWS_PER_TASK));
      }
    } finally {
      if (st == flow) {
        st.done.incrementAndGet(t < st.aTasks ? t / st.aParts
            : bTrans ? st.rowTiles + t - st.aTasks : st.rowTiles);
      }
    }
  }

  /**
   * Whether packing task q of the next step may be listed once this step's first {@code aListed}
   * A tasks are: always, unless it sums rows of A that this step also sums (the bias gradient),
   * which must be added chunk after chunk, so it waits for this step's packing of those rows
   * (awaitRowSums) and is listed after it.
   */
  private boolean nextReady(Step st, int q, int aListed) {
    return !sumsAfter(st, packing, q) || aListed >= (q / packing.aParts + 1) * st.aParts;
  }

  /** Whether packing task q of next adds to row sums that step st adds to first. */
  private static boolean sumsAfter(Step st, Step next, int q) {
    return next.sumRows && st.sumRows && next.i0 == st.i0 && q < next.aTasks;
  }

  /**
   * Dataflow phase: before packing task q of the next step adds to the bias gradient's row sums,
   * waits until the first step has added its chunk to those rows (sums go chunk after chunk).
   */
  private void awaitRowSums(int q) {
    if (sumsAfter(flow, packing, q)) {
      awaitDone(flow, q / packing.aParts, flow.aParts);
    }
  }

  /** Dataflow phase: waits until the packing that tile t of st reads has finished. */
  private void awaitPacking(Step st, int t) {
    awaitDone(st, t / st.colTiles, st.aParts);
    awaitDone(st, st.rowTiles + (bTrans ? tileColumn(st, t) : 0), bTrans ? 1 : st.bTasks);
  }

  /** Spins until slot of st's finished-packing counts reaches need. */
  private static void awaitDone(Step st, int slot, int need) {
    while (st.done.get(slot) < need) {
      Thread.onSpinWait();
    }
  }

  /**
   * The column block of tile t. Within a row block the columns alternate between the left and
   * right half, so tasks running at the same time on different threads are far apart and share no
   * cache line of C (neighbours would share the line at their common edge in every row).
   */
  private static int tileColumn(Step st, int t) {
    int x = t % st.colTiles;
    return (x & 1) == 0 ? x >> 1 : (st.colTiles + 1) / 2 + (x >> 1);
  }

  /** Adds a step's K chunk contribution to one tile of C. */
  private void tile(Step st, int t) {
    // Row-major task order: consecutive tasks share their rows of packed A, so that MC×KC block
    // stays hot in L3 while the packed B chunk is swept once per row block (sweeping all of packed
    // A once per column block instead made the kernel twice as sensitive to memory traffic from
    // other processes).
    int rowStart = (t / st.colTiles) * tileRows;
    int colStart = tileColumn(st, t) * tileCols;
    int rowEnd = Math.min(st.mb, rowStart + tileRows);
    int colEnd = Math.min(st.nb, colStart + tileCols);
    int kc = st.kc;
    boolean load = accumulate || st.p0 > 0;
    float[] z = st.p0 == 0 ? bias : null;
    float[] pa = st.bufA;
    float[] pb = st.bufB;
    // Row panels outer: the A micro-panel stays close (L1, or L2 at the deepest KC) across the
    // tile's columns, and each row panel walks C left to right, which the prefetcher follows.
    for (int row = rowStart; row < rowEnd; row += mr) {
      int rows = Math.min(mr, rowEnd - row);
      int cAt = cOff + (st.i0 + row) * ldc + st.j0;
      for (int col = colStart; col < colEnd; col += nr) {
        int cols = Math.min(nr, colEnd - col);
        if (wide) {
          GemmMicroKernel.kernel6x4(kc, pa, row * kc, pb, bShift + col * kc, c, cAt + col, ldc,
              rows, cols, load, z, biasOff + st.j0 + col);
        } else {
          GemmMicroKernel.kernel4x2(kc, pa, row * kc, pb, bShift + col * kc, c, cAt + col, ldc,
              rows, cols, load, z, biasOff + st.j0 + col);
        }
      }
    }
  }

  /**
   * Splits {@code size} into the fewest pieces of at most {@code target} (rounded up to a multiple
   * of {@code align}) and returns the piece length: even pieces rather than a sliver at the end.
   */
  static int evenSplit(int size, int target, int align) {
    int t = Math.max(align, target / align * align);
    int pieces = ceilDiv(size, t);
    return roundUp(ceilDiv(size, pieces), align);
  }

  static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }

  static int roundUp(int x, int y) {
    return ceilDiv(x, y) * y;
  }
}
