// Writes one JSON object per line (JSONL): the run's per-step metrics, readable by any tool.
package dev.sinter.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** An append-only JSONL sink; each record is flushed so a crash loses at most the current line. */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BufferedWriter out;
  private final Path path;

  /** Opens (truncating) {@code path}, creating parent directories. */
  public MetricsLog(Path path) {
    this(path, false);
  }

  /** Opens {@code path}, appending (a resumed run continues its file) or truncating. */
  public MetricsLog(Path path, boolean append) {
    this.path = path;
    try {
      Path parent = path.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      this.out = append
          ? Files.newBufferedWriter(path, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND)
          : Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open metrics file " + path + ": " + e.getMessage(), e);
    }
  }

  /** Writes one record; values are numbers, strings, booleans or null, in insertion order. */
  public void write(Map<String, ?> record) {
    ObjectNode node = JSON.valueToTree(record);
    try {
      out.write(JSON.writeValueAsString(node));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write metrics file " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
