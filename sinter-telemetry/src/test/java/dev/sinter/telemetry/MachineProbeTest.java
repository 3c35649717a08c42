// The machine probe reads a /proc tree, falls back to the JVM's answers, and never throws.
package dev.sinter.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineProbeTest {
  @Test
  void readsCpuMemoryAndHostFromProc(@TempDir Path proc) throws IOException {
    Files.writeString(proc.resolve("cpuinfo"), """
        processor	: 0
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC 7763 64-Core Processor
        processor	: 1
        model name	: AMD EPYC 7763 64-Core Processor
        """);
    Files.writeString(proc.resolve("meminfo"), "MemTotal:       16318412 kB\nMemFree:         1234 kB\n");
    Files.createDirectories(proc.resolve("sys/kernel"));
    Files.writeString(proc.resolve("sys/kernel/hostname"), "trainer-7\n");

    MachineProbe m = MachineProbe.probe(proc);
    assertEquals("AMD EPYC 7763 64-Core Processor", m.cpu());
    assertEquals(16318412L * 1024, m.memoryBytes());
    assertEquals("trainer-7", m.hostname());
    assertEquals(Runtime.getRuntime().availableProcessors(), m.cores());
    assertTrue(m.jdk().startsWith(Runtime.version().toString()), m.jdk());
    assertTrue(m.jdk().contains(System.getProperty("java.vendor")), m.jdk());
  }

  @Test
  void missingProcFallsBackWithoutThrowing(@TempDir Path empty) {
    MachineProbe m = MachineProbe.probe(empty.resolve("no-such-proc"));
    assertEquals(System.getProperty("os.arch"), m.cpu());
    assertFalse(m.hostname().isBlank());
    assertTrue(m.memoryBytes() > 0 || m.memoryBytes() == -1, "memory " + m.memoryBytes());
    assertTrue(m.os().startsWith(System.getProperty("os.name")), m.os());
  }

  @Test
  void cpuinfoWithoutModelNameFallsBackToArch(@TempDir Path proc) throws IOException {
    // ARM kernels have no "model name" line.
    Files.writeString(proc.resolve("cpuinfo"), "processor : 0\nCPU implementer : 0x41\n");
    assertEquals(System.getProperty("os.arch"), MachineProbe.probe(proc).cpu());
  }

  @Test
  void mapUsesTheRunRecordKeys() {
    Map<String, Object> map = new MachineProbe("cpu x", 2, 1024, "Linux 6.1", "25 (v)", "h").toMap();
    assertEquals(List.of("cpu", "cores", "memory_bytes", "os", "jdk", "hostname"), List.copyOf(map.keySet()));
    assertEquals(2, map.get("cores"));
    assertEquals(1024L, map.get("memory_bytes"));
  }
}
