// Register and cache blocking of VectorGemm, chosen once per JVM from the vector width.
//
// The register block is MR rows × NV vectors: MR broadcasts from packed A times NV loads from
// packed B feed MR·NV independent FMA chains, which must reach FMA latency × FMA ports (4 × 2 on
// Zen 3 / Zen 4) and fit the register file. C2 schedules all the loads of one step first, so the
// live set is MR·NV accumulators + NV loads + MR broadcasts, not "+ 1 broadcast":
//   256-bit (16 ymm): 4 × 2 vectors = 4×16 floats, 8 + 2 + 4 = 14 registers; 96–98 % of the FMA
//     peak in L1 on Zen 3. A 6×16 block needs 20, C2 spills one accumulator, and the store-to-load
//     round trip in its chain holds the kernel to 43 % of peak (measured). Folding the B loads
//     into the FMAs (each row reading B through its own alias of the array, so C2 emits
//     vfmadd231ps with a memory operand) keeps 12 accumulators without a spill, but loads 12
//     vectors per 12 FMAs: 3×32 and 4×24 ran at 0.56–0.80 of the 4×16 (measured).
//   512-bit (32 zmm): 6 × 4 vectors = 6×64 floats, 24 accumulators; the prototype of this kernel
//     ran at 100 % of peak in L1 on Zen 4 (shared/notes), but by the count above it needs 34
//     registers, so re-check it with the kernel bench on the first AVX-512 machine (a 6×3 or
//     4×4 block fits in 31 or 24).
// Cache blocking (MC rows × NC columns of C per task, KC of the reduction per pass), for Zen 3's
// 32 KiB L1d / 512 KiB L2 per core:
//   an A micro-panel MR×KC (16 KiB for 4×1024) is read once per column panel of the tile, from
//     L1 or L2 (see KC below);
//   the tile's B block KC×NC (256 KiB for 1024×64) stays in L2 across its MC/MR = 64 row panels,
//     which amortises loading it from L3;
//   KC = 1024: every reduction of GPT-2 small but the 3072-deep one is a single pass over C
//     (a pass that overwrites stores only, with no reload), and the per-micro-tile epilogue (C
//     load, add, store) stays under 1 % of the FMAs. Each further pass reads and writes all of C
//     again. Against KC = 768 (two passes for K = 1024, four for 3072) it measured level to 3.5 %
//     faster at 1 thread and within ±2 % at 2 threads (paired, order rotated, workers awake). The
//     A micro-panel does not stay in L1 across the tile's column panels at this depth (64 KiB of
//     B streams through between its uses); it is re-read from L2, 16 bytes per 64 of B.
// KC from 256 to 1536 and tiles from 64 to 512 rows or 16 to 256 columns measured within a few
// percent of each other on this shared machine; this one was best or close on all three forms.
package dev.sinter.tensor;

/**
 * Blocking parameters of the packed GEMM driver.
 *
 * @param lanes floats per vector
 * @param mr rows of the register block (4 or 6)
 * @param nv vectors per row of the register block (2 or 4)
 * @param kc reduction chunk: one packed pass over K covers at most kc values
 * @param mc target rows of an output tile (one task); rounded to a multiple of MR
 * @param nc target columns of an output tile; rounded to a multiple of NR
 * @param packBudget floats of one packed K chunk of A, and separately of B; larger operands are
 *     processed in super-blocks of whole tiles. 4 Mi floats holds a 1024-deep chunk of a 4096-wide
 *     operand, so no training shape here needs a second super-block of B (which would re-pack A).
 *     The driver double-buffers both, so a calling thread holds up to 4 budgets (64 MiB).
 */
record GemmBlocking(int lanes, int mr, int nv, int kc, int mc, int nc, int packBudget) {
  GemmBlocking {
    boolean kernel = (mr == 4 && nv == 2) || (mr == 6 && nv == 4);
    if (lanes < 1 || !kernel || kc < 1 || mc < mr || nc < 1 || packBudget < 1) {
      throw new IllegalArgumentException("bad GEMM blocking: lanes=" + lanes + " mr=" + mr
          + " nv=" + nv + " kc=" + kc + " mc=" + mc + " nc=" + nc + " packBudget=" + packBudget);
    }
  }

  /** Columns of the register block. */
  int nr() {
    return nv * lanes;
  }

  /** The blocking for a vector of the given number of floats. */
  static GemmBlocking forLanes(int lanes) {
    if (lanes >= 16) {
      // 6×64 block: its B micro-panel (KC×64) lives in L2 and feeds 4 loads per 24 FMAs; the tile's
      // B block (256×256, 256 KiB) leaves room in a 1–2 MiB L2.
      return new GemmBlocking(lanes, 6, 4, 256, 96, 256, 3 << 20);
    }
    return new GemmBlocking(lanes, 4, 2, 1024, 256, 64, 4 << 20);
  }
}
