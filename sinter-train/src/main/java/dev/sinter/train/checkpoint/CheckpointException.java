// The error for a checkpoint file that cannot be read or written: truncated, hostile, of the wrong
// shape, or on a full disk. It names the file and the fault so the CLI can print one clear line.
package dev.sinter.train.checkpoint;

import java.nio.file.Path;

/** A checkpoint file is unusable; the message starts with the file's path. */
public final class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Path file;

  /** A fault in {@code file}, described by {@code problem} (what is wrong and what to do). */
  public CheckpointException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** As {@link #CheckpointException(Path, String)}, caused by an I/O or parse error. */
  public CheckpointException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The checkpoint file at fault. */
  public Path file() {
    return file;
  }
}
