// The memory probe takes the peak RSS from /proc/self/status in bytes and the heap peak from the JVM.
package dev.sinter.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryProbeTest {
  @Test
  void rssPeakIsVmHwmInBytes(@TempDir Path proc) throws IOException {
    Files.createDirectories(proc.resolve("self"));
    Files.writeString(proc.resolve("self/status"), "Name:\tjava\nVmPeak:\t 9999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1 kB\n");
    MemoryProbe m = MemoryProbe.read(proc);
    assertEquals(204800L * 1024, m.rssPeakBytes());
    assertTrue(m.heapPeakBytes() > 0, "a running JVM has used some heap");
  }

  @Test
  void rssPeakIsMinusOneWithoutProc(@TempDir Path empty) {
    assertEquals(-1, MemoryProbe.read(empty).rssPeakBytes());
  }

  @Test
  void heapPeakSeesAnAllocation() {
    MemoryProbe.resetHeapPeaks();
    long[] block = new long[4 << 20]; // 32 MiB, live while we read the peak
    block[block.length - 1] = 1;
    MemoryProbe m = MemoryProbe.read();
    assertTrue(m.heapPeakBytes() >= 32L << 20, "heap peak " + m.heapPeakBytes() + " block " + block[block.length - 1]);
  }

  @Test
  void mapUsesTheRunRecordKeys() {
    assertEquals(List.of("heap_peak_bytes", "rss_peak_bytes"), List.copyOf(new MemoryProbe(1, 2).toMap().keySet()));
  }
}
