// Tolerant readers for Linux's /proc text files, shared by the machine and memory probes.
package dev.sinter.telemetry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reads /proc-style files; a missing or unreadable file reads as empty, never as an exception. */
final class ProcFiles {
  private ProcFiles() {}

  /** The file's lines, or none if it cannot be read. */
  static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }

  /** The file's first line, stripped, or empty if the file is missing, unreadable or blank. */
  static Optional<String> firstLine(Path file) {
    List<String> lines = lines(file);
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      return Optional.empty();
    }
    return Optional.of(lines.get(0).strip());
  }

  /**
   * A {@code "Key:   1234 kB"} field in bytes (meminfo, status); the kernel's "kB" means KiB.
   * Empty if the key is absent or its value does not parse.
   */
  static Optional<Long> kibibytesField(List<String> lines, String key) {
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon <= 0 || !line.substring(0, colon).strip().equals(key)) {
        continue;
      }
      String[] parts = line.substring(colon + 1).strip().split("\\s+");
      try {
        long value = Long.parseLong(parts[0]);
        boolean kib = parts.length > 1 && parts[1].equalsIgnoreCase("kB");
        return Optional.of(kib ? value * 1024 : value);
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
