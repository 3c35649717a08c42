// The packers against the layout they promise, element by element: GemmPack's fast paths (whole
// vectors that overwrite each other, blocks chosen by the row stride) must write exactly the panel
// layout, zero the padding, and touch nothing outside the packed range.
package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmPackTest {
  private static final float UNTOUCHED = -7.25f;

  /**
   * A transposed A (a(i, p) = a[aOff + p·lda + i]) packed from rows [i0, i0+rows), chunk
   * [p0, p0+kc): strides that are and are not multiples of 4 KiB, K chunks longer and shorter than
   * the p block, row counts off the register block, and sources that end exactly at the last
   * element read (so a wide read past it would fail).
   */
  @ParameterizedTest
  @CsvSource({
      // lda, total p, i0, rows, p0, kc
      "1024, 40, 0, 64, 0, 40",
      "1024, 40, 960, 64, 8, 32",
      "3072, 33, 3008, 64, 1, 32",
      "768, 70, 4, 60, 3, 67",
      "768, 70, 700, 68, 0, 70",
      "100, 17, 90, 10, 2, 15",
      "37, 9, 0, 37, 0, 9",
      "8, 5, 0, 8, 0, 5",
      "4, 3, 0, 4, 0, 1",
  })
  void transposedAMatchesItsLayout(int lda, int pTotal, int i0, int rows, int p0, int kc) {
    for (int mr : new int[] {4, 6}) {
      for (boolean sums : new boolean[] {false, true}) {
        int aOff = 3;
        // The source ends at the last element the packer may read: row p0+kc-1, column i0+rows-1.
        float[] a = random(aOff + (p0 + kc - 1) * lda + i0 + rows, lda + 31L * kc + mr);
        int panels = (rows + mr - 1) / mr;
        int d = 5;
        float[] dst = new float[d + panels * mr * kc + 9];
        java.util.Arrays.fill(dst, UNTOUCHED);
        float[] rowSums = sums ? random(rows + 2, 11) : null;
        float[] sumsRef = sums ? rowSums.clone() : null;
        GemmPack.packA(dst, d, a, aOff, lda, true, i0, rows, mr, p0, kc, rowSums, 1);
        String where = "lda=" + lda + " i0=" + i0 + " rows=" + rows + " p0=" + p0 + " kc=" + kc
            + " mr=" + mr;
        for (int x = 0; x < dst.length; x++) {
          float expected = UNTOUCHED;
          int rel = x - d;
          if (rel >= 0 && rel < panels * mr * kc) {
            int q = rel / (mr * kc);
            int p = rel % (mr * kc) / mr;
            int r = rel % mr;
            int i = q * mr + r;
            expected = i < rows ? a[aOff + (p0 + p) * lda + i0 + i] : 0f;
          }
          assertEquals(expected, dst[x], "dst[" + x + "], " + where);
        }
        if (sums) {
          for (int r = 0; r < rows; r++) {
            for (int p = 0; p < kc; p++) {
              sumsRef[1 + r] += a[aOff + (p0 + p) * lda + i0 + r];
            }
          }
          for (int x = 0; x < sumsRef.length; x++) {
            assertEquals(Float.floatToIntBits(sumsRef[x]), Float.floatToIntBits(rowSums[x]),
                "row sum " + x + ", " + where);
          }
        }
      }
    }
  }

  private static float[] random(int size, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[size];
    for (int i = 0; i < size; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return v;
  }
}
