// High-water marks of the memory a run held: the JVM heap's peak and the process's peak RSS.
// The heap figure is what Java objects needed; RSS adds off-heap tensors, thread stacks, code and
// the JVM itself, so the two together say whether a model "fits" and where the bytes went.
package dev.sinter.telemetry;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Peak memory so far.
 *
 * @param heapPeakBytes sum of every heap pool's peak usage. The pools peak at different moments, so
 *                      this is an upper bound on the heap ever held at once, never an underestimate
 * @param rssPeakBytes  the process's peak resident set (VmHWM in {@code /proc/self/status}); -1 where
 *                      there is no such file
 */
public record MemoryProbe(long heapPeakBytes, long rssPeakBytes) {
  /** Reads the peaks now, from the JVM and {@code /proc}. */
  public static MemoryProbe read() {
    return read(Path.of("/proc"));
  }

  /**
   * Reads the peaks now, taking RSS from {@code procRoot/self/status} (tests pass a fake tree).
   *
   * @param procRoot the directory that stands for {@code /proc}
   */
  public static MemoryProbe read(Path procRoot) {
    return new MemoryProbe(heapPeak(), rssPeak(procRoot));
  }

  /**
   * Forgets the heap pools' peaks, so a later {@link #read()} measures from now (e.g. after warm-up).
   * The kernel's VmHWM cannot be reset from inside the process and is unaffected.
   */
  public static void resetHeapPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.isValid()) {
        pool.resetPeakUsage();
      }
    }
  }

  /** The fields under the run record's keys: heap_peak_bytes, rss_peak_bytes. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heap_peak_bytes", heapPeakBytes);
    m.put("rss_peak_bytes", rssPeakBytes);
    return m;
  }

  static long heapPeak() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.isValid() && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }

  static long rssPeak(Path procRoot) {
    return ProcFiles.kibibytesField(ProcFiles.lines(procRoot.resolve("self/status")), "VmHWM").orElse(-1L);
  }
}
