// The micro-kernel's throughput against where its packed B panel starts within a cache line.
//
// One tile (mc rows of packed A, nc columns of packed B, depth kc, the driver's blocking) is run
// with B placed 0, 2, 4, ..., 14 floats into its array, the eight placements alternating round by
// round so that a shared machine's drifting load hits them alike. Two of the eight put B on a
// 32-byte boundary (which two depends on where the JVM put the array; under the launcher's
// -XX:ObjectAlignmentInBytes=64 they are shifts 4 and 12); the other six make one of the kernel's
// two loads per step cross a 64-byte line. Printed: median and best GFLOP/s of each placement and
// the geometric mean of its per-round ratio to shift 0. In this package (not .bench) because the
// micro-kernel is package-private.
//
//   java -XX:ObjectAlignmentInBytes=64 --add-modules jdk.incubator.vector \
//     -cp sinter-tensor/target/classes dev.sinter.tensor.GemmAlignBench [rounds]
package dev.sinter.tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/** Micro-kernel GFLOP/s by the offset of packed B in its array; see the file comment. */
public final class GemmAlignBench {
  private static final int PLACEMENTS = 8;

  private GemmAlignBench() {}

  /** {@code GemmAlignBench [rounds]}. */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    GemmBlocking bl = GemmBlocking.forLanes(GemmMicroKernel.L);
    int kc = bl.kc();
    int mc = bl.mc();
    int nc = bl.nc();
    int mr = bl.mr();
    int nr = bl.nr();
    SplittableRandom rnd = new SplittableRandom(1);
    float[] a = new float[mc * kc];
    float[] b = new float[nc * kc + 2 * PLACEMENTS];
    float[] c = new float[mc * nc];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextDouble() - 0.5);
    }
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) (rnd.nextDouble() - 0.5);
    }
    double[][] g = new double[PLACEMENTS][rounds];
    for (int r = -10; r < rounds; r++) {
      for (int q = 0; q < PLACEMENTS; q++) {
        long t0 = System.nanoTime();
        for (int rep = 0; rep < 3; rep++) {
          for (int row = 0; row < mc; row += mr) {
            for (int col = 0; col < nc; col += nr) {
              if (mr == 4) {
                GemmMicroKernel.kernel4x2(kc, a, row * kc, b, 2 * q + col * kc, c, row * nc + col,
                    nc, mr, nr, true, null, 0);
              } else {
                GemmMicroKernel.kernel6x4(kc, a, row * kc, b, 2 * q + col * kc, c, row * nc + col,
                    nc, mr, nr, true, null, 0);
              }
            }
          }
        }
        double gflops = 3.0 * 2 * mc * nc * kc / (System.nanoTime() - t0);
        if (r >= 0) {
          g[q][r] = gflops;
        }
      }
    }
    System.out.printf(Locale.ROOT, "tile %d x %d x %d, %d x %d kernel; this JVM's shift to a "
        + "vector boundary: %d floats%n", mc, nc, kc, mr, nr,
        ArrayAlignment.floatShiftTo(GemmMicroKernel.S.vectorByteSize()));
    for (int q = 0; q < PLACEMENTS; q++) {
      double logRatio = 0;
      for (int r = 0; r < rounds; r++) {
        logRatio += Math.log(g[q][r] / g[0][r]);
      }
      double[] s = g[q].clone();
      Arrays.sort(s);
      System.out.printf(Locale.ROOT, "B at +%2d floats: median %6.1f  best %6.1f GFLOP/s  "
          + "(x%.3f of +0, geometric mean of per-round ratios)%n", 2 * q, s[rounds / 2],
          s[rounds - 1], Math.exp(logRatio / rounds));
    }
  }
}
