// Describes the machine a run executes on, for the run record: CPU, cores, memory, OS, JDK, host.
// Reads Linux's /proc where it can and falls back to what the JVM reports; never throws, so a
// missing or unreadable /proc (macOS, a locked-down container) gives "unknown" instead of a failure.
package dev.sinter.telemetry;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the run ran on.
 *
 * @param cpu         CPU model name ({@code /proc/cpuinfo} "model name"), else {@code os.arch}
 * @param cores       logical cores the JVM may use ({@link Runtime#availableProcessors()})
 * @param memoryBytes physical memory ({@code /proc/meminfo} MemTotal), else the JVM's view; -1 if unknown
 * @param os          OS name and version
 * @param jdk         JDK version and vendor, e.g. {@code "25.0.1+8 (Eclipse Adoptium)"}
 * @param hostname    the kernel's host name, else the resolver's; "unknown" if neither answers
 */
public record MachineProbe(String cpu, int cores, long memoryBytes, String os, String jdk, String hostname) {
  /** The value used for a text field nothing could tell. */
  public static final String UNKNOWN = "unknown";

  /** Probes this machine through {@code /proc}. */
  public static MachineProbe probe() {
    return probe(Path.of("/proc"));
  }

  /**
   * Probes this machine, reading Linux's files under {@code procRoot} (tests pass a fake tree).
   *
   * @param procRoot the directory that stands for {@code /proc}
   */
  public static MachineProbe probe(Path procRoot) {
    String cpu = cpuModel(procRoot).orElseGet(() -> System.getProperty("os.arch", UNKNOWN));
    long memory = memTotalBytes(procRoot).orElseGet(MachineProbe::jvmTotalMemory);
    String os = System.getProperty("os.name", UNKNOWN) + " " + System.getProperty("os.version", "");
    String jdk = Runtime.version() + " (" + System.getProperty("java.vendor", UNKNOWN) + ")";
    return new MachineProbe(cpu, Runtime.getRuntime().availableProcessors(), memory, os.strip(), jdk,
        hostname(procRoot));
  }

  /** The fields under the run record's snake_case keys: cpu, cores, memory_bytes, os, jdk, hostname. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu", cpu);
    m.put("cores", cores);
    m.put("memory_bytes", memoryBytes);
    m.put("os", os);
    m.put("jdk", jdk);
    m.put("hostname", hostname);
    return m;
  }

  static Optional<String> cpuModel(Path procRoot) {
    for (String line : ProcFiles.lines(procRoot.resolve("cpuinfo"))) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
        String name = line.substring(colon + 1).strip();
        if (!name.isEmpty()) {
          return Optional.of(name);
        }
      }
    }
    return Optional.empty();
  }

  static Optional<Long> memTotalBytes(Path procRoot) {
    return ProcFiles.kibibytesField(ProcFiles.lines(procRoot.resolve("meminfo")), "MemTotal");
  }

  private static long jvmTotalMemory() {
    // The com.sun.management extension is in every HotSpot build; other JVMs may lack it.
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      long total = os.getTotalMemorySize();
      return total > 0 ? total : -1;
    }
    return -1;
  }

  private static String hostname(Path procRoot) {
    // The kernel's name first: InetAddress.getLocalHost() can wait seconds on a misconfigured resolver.
    Optional<String> kernel = ProcFiles.firstLine(procRoot.resolve("sys/kernel/hostname"));
    if (kernel.isPresent()) {
      return kernel.get();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException | SecurityException e) {
      return UNKNOWN;
    }
  }
}
