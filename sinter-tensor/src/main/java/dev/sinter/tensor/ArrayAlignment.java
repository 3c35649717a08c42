// Where the elements of a float[] start relative to a cache line, so that packed GEMM panels can be
// placed on whole vectors.
//
// The micro-kernel loads whole vectors of packed B, one after another. Unless the panel starts on
// a vector boundary, with 32-byte vectors one load of the two per step crosses a 64-byte line,
// which costs 2-5 % of the kernel's throughput (measured: GemmAlignBench). A Java array starts at
// its object's address plus the array header, and objects are only ObjectAlignmentInBytes-aligned
// (8 by default), so the start is unknown in general. The sinter launcher runs the JVM with
// -XX:ObjectAlignmentInBytes=64; then every array's elements start at the header size modulo 64,
// and a fixed shift of a few floats puts the packed panels on vector boundaries. Under any other
// alignment the shift is 0 and placement is left to chance, as before; results never depend on it.
package dev.sinter.tensor;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

final class ArrayAlignment {
  /** ObjectAlignmentInBytes and the float[] header size of this JVM; {0, 0} if unknown. */
  private static final int[] LAYOUT = layout();

  private ArrayAlignment() {}

  /**
   * Floats to skip at the start of a float[] so that what follows starts on a multiple of
   * {@code target} bytes (a power of two), or 0 when this JVM's object alignment cannot tell.
   */
  static int floatShiftTo(int target) {
    return floatShift(LAYOUT[0], LAYOUT[1], target);
  }

  private static int[] layout() {
    try {
      HotSpotDiagnosticMXBean vm =
          ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      int objectAlignment = Integer.parseInt(vm.getVMOption("ObjectAlignmentInBytes").getValue());
      boolean compactHeaders =
          Boolean.parseBoolean(vm.getVMOption("UseCompactObjectHeaders").getValue());
      return new int[] {objectAlignment, compactHeaders ? 12 : 16};
    } catch (RuntimeException | LinkageError e) {
      // Not HotSpot, or an option it does not have: leave placement to chance.
      return new int[] {0, 0};
    }
  }

  /**
   * The number of floats s for which baseOffset + 4·s is a multiple of {@code target}, given that
   * objects are {@code objectAlignment}-aligned; 0 if the alignment is too coarse to tell.
   */
  static int floatShift(int objectAlignment, int baseOffset, int target) {
    if (target <= 0 || objectAlignment < target || objectAlignment % target != 0) {
      return 0;
    }
    int bytes = Math.floorMod(-baseOffset, target);
    return bytes % Float.BYTES == 0 ? bytes / Float.BYTES : 0;
  }
}
