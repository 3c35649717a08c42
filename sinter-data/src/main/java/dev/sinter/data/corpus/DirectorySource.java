// Reads the regular files under a directory (optionally those matching a glob), or a single file.
//
// Files are listed first and read in the order of their '/'-separated path relative to the root,
// compared as strings, so the document order is the same on every machine and file system whatever
// order the OS lists directories in. Symbolic links are not followed (a link cycle or a link out
// of the tree would make the corpus depend on more than the tree), and names starting with a dot
// are not entered: .git and editor state are never training data.
package dev.sinter.data.corpus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;

final class DirectorySource implements Source {
  private final Path root;
  private final String glob; // null: every file
  private final List<PathMatcher> matchers;

  DirectorySource(Path root, String glob) {
    this.root = root;
    this.glob = glob;
    this.matchers = new ArrayList<>();
    if (glob != null) {
      var fs = root.getFileSystem();
      matchers.add(fs.getPathMatcher("glob:" + glob));
      // Java's "**/" needs at least one directory; shells (globstar) let it match none.
      if (glob.startsWith("**/")) {
        matchers.add(fs.getPathMatcher("glob:" + glob.substring(3)));
      }
    }
  }

  @Override
  public String describe() {
    return glob == null ? root.toString() : root + "/" + glob;
  }

  /** A listed file; 100-200 bytes each, so even millions of files list in bounded memory. */
  private record Entry(String relative, long size) {}

  @Override
  public Cursor open(CorpusFilter filter, Consumer<Skip> skips) throws IOException {
    Iterator<Entry> it = list().iterator();
    return new Cursor() {
      @Override
      public Raw next() throws IOException {
        while (it.hasNext()) {
          Entry e = it.next();
          Path path = e.relative.isEmpty() ? root : root.resolve(e.relative);
          String name = path.toString();
          if (!filter.acceptsName(name)) {
            skips.accept(new Skip(name, 0, Skip.Reason.FILTERED_EXTENSION,
                "extension not in " + filter.extensions()));
            continue;
          }
          if (!filter.acceptsSize(e.size)) {
            skips.accept(sizeSkip(name, e.size, filter));
            continue;
          }
          return new Raw(name, 0, readAtMost(path, filter.maxBytes()));
        }
        return null;
      }

      @Override
      public void close() {}
    };
  }

  static Skip sizeSkip(String name, long size, CorpusFilter filter) {
    return sizeSkip(name, 0, size, filter);
  }

  static Skip sizeSkip(String source, long line, long size, CorpusFilter filter) {
    String s = size > filter.maxBytes() ? "more than " + filter.maxBytes() : String.valueOf(size);
    return new Skip(source, line, Skip.Reason.FILTERED_SIZE,
        s + " bytes is outside " + filter.sizeWindow());
  }

  /**
   * Reads at most {@code max + 1} bytes: a file that grew past the limit since it was listed then
   * fails CorpusReader's size check instead of being loaded whole.
   */
  static byte[] readAtMost(InputStream in, long max) throws IOException {
    return in.readNBytes((int) (max + 1));
  }

  private static byte[] readAtMost(Path p, long max) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      return readAtMost(in, max);
    }
  }

  private List<Entry> list() throws IOException {
    List<Entry> out = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE
            : FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (!attrs.isRegularFile() || (!file.equals(root) && hidden(file))) {
          return FileVisitResult.CONTINUE;
        }
        Path rel = root.relativize(file);
        if (!matchers.isEmpty() && matchers.stream().noneMatch(m -> m.matches(rel))) {
          return FileVisitResult.CONTINUE;
        }
        out.add(new Entry(slashed(rel), attrs.size()));
        return FileVisitResult.CONTINUE;
      }
    });
    out.sort(Comparator.comparing(Entry::relative));
    return out;
  }

  private static boolean hidden(Path p) {
    Path name = p.getFileName();
    return name != null && name.toString().startsWith(".");
  }

  private static String slashed(Path rel) {
    StringBuilder sb = new StringBuilder();
    for (Path part : rel) {
      if (!sb.isEmpty()) {
        sb.append('/');
      }
      sb.append(part);
    }
    return sb.toString();
  }
}
