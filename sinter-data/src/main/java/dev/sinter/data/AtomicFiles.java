// Writing files so that a crash never leaves a torn one: write a temporary file beside the target,
// force it to disk, rename it over the target, then force the directory. Readers see the old file
// or the complete new one. Shards, manifests, tokenizers, checkpoints and run records all use it.
package dev.sinter.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Temp-file, fsync, rename. */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Replaces {@code target} with {@code bytes} atomically and durably, creating parent directories. */
  public static void write(Path target, byte[] bytes) throws IOException {
    Path parent = target.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path temp = createTemp(target);
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      moveAtomically(temp, target);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Creates an empty, uniquely named hidden file next to {@code target}. Unlike
   * Files.createTempFile it gets the permissions of an ordinary new file (the umask decides), so
   * outputs on a shared file system stay readable by the group that uses them.
   */
  public static Path createTemp(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
      Path p = dir.resolve("." + target.getFileName() + "." + suffix + ".tmp");
      try {
        return Files.createFile(p);
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
  }

  /**
   * Renames {@code from} over {@code to} atomically and syncs the directory, so that after a crash
   * either the old file or the complete new one is there. Works for directories too (then
   * {@code to} must not exist).
   */
  public static void moveAtomically(Path from, Path to) throws IOException {
    try {
      if (Files.isDirectory(from)) {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " to " + to + " atomically ("
          + e.getMessage() + "); the output directory must be on one file system", e);
    }
    forceDirectory(to.toAbsolutePath().getParent());
  }

  /** Makes renames and creations in {@code dir} durable. */
  public static void forceDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some platforms (Windows) cannot open or sync a directory; the rename itself is still
      // atomic there, it is only its durability across power loss that the OS decides.
    }
  }
}
