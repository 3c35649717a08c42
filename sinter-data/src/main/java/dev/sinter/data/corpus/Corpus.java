// The entry point for reading training text: a list of inputs, opened as a stream of documents.
//
// A Corpus is only a description (which files, archives, JSONL files); nothing is read until
// open() returns a CorpusReader, which streams one document at a time. The order of documents is a
// pure function of the inputs, so shards prepared twice from the same inputs are identical.
package dev.sinter.data.corpus;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/** An ordered list of inputs that together form a corpus. Immutable; open it to read. */
public final class Corpus {
  private final List<Source> sources;

  private Corpus(List<Source> sources) {
    this.sources = List.copyOf(sources);
  }

  /**
   * Every regular file under {@code dir}, recursively, in order of relative path; or the file
   * itself if {@code dir} is a regular file. Hidden names (starting with a dot) and symbolic links
   * are skipped.
   *
   * @throws IllegalArgumentException if the path does not exist
   */
  public static Corpus directory(Path dir) {
    requireExists(dir);
    return new Corpus(List.of(new DirectorySource(dir, null)));
  }

  /**
   * The files matching a glob such as {@code data/**}{@code /*.txt}, in order of path. The part
   * before the first segment with a wildcard is the directory walked; the rest is matched with
   * {@link java.nio.file.FileSystem#getPathMatcher} glob syntax against the path relative to it,
   * except that a leading {@code **}{@code /} also matches files directly in that directory, as
   * in a shell with globstar. A pattern without wildcards names a file or directory.
   */
  public static Corpus glob(String pattern) {
    String norm = pattern.replace('\\', '/');
    String[] parts = norm.split("/", -1);
    int first = 0;
    while (first < parts.length && !hasWildcard(parts[first])) {
      first++;
    }
    if (first == parts.length) {
      return directory(Path.of(pattern));
    }
    String base = String.join("/", Arrays.copyOfRange(parts, 0, first));
    if (base.isEmpty()) {
      base = norm.startsWith("/") ? "/" : ".";
    }
    String rest = String.join("/", Arrays.copyOfRange(parts, first, parts.length));
    Path root = Path.of(base);
    requireExists(root);
    return new Corpus(List.of(new DirectorySource(root, rest)));
  }

  /** The file entries of a .zip or .jar archive, in order of entry name. */
  public static Corpus archive(Path zip) {
    requireExists(zip);
    return new Corpus(List.of(new ArchiveSource(zip)));
  }

  /**
   * One document per line of a JSONL file (gzip-compressed if its name ends in .gz), taken from
   * the string field {@code textField}, in line order.
   */
  public static Corpus jsonl(Path file, String textField) {
    requireExists(file);
    return new Corpus(List.of(new JsonlSource(file, textField)));
  }

  /** The inputs of {@code parts}, one after the other. */
  public static Corpus concat(List<Corpus> parts) {
    List<Source> all = new ArrayList<>();
    for (Corpus c : parts) {
      all.addAll(c.sources);
    }
    return new Corpus(all);
  }

  /**
   * Guesses the kind of input from a command-line argument: a glob if it has wildcards, a
   * directory, an archive ({@code .zip}, {@code .jar}), JSONL ({@code .jsonl}, {@code .ndjson},
   * either optionally {@code .gz}) or else a single text file.
   *
   * @param spec a path or glob
   * @param jsonlField the text field used if the input is JSONL
   */
  public static Corpus of(String spec, String jsonlField) {
    String norm = spec.replace('\\', '/');
    for (String part : norm.split("/")) {
      if (hasWildcard(part)) {
        return glob(spec);
      }
    }
    Path p;
    try {
      p = Path.of(spec);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("corpus path '" + spec + "' is not valid: "
          + e.getMessage(), e);
    }
    requireExists(p);
    if (Files.isDirectory(p)) {
      return directory(p);
    }
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".zip") || name.endsWith(".jar")) {
      return archive(p);
    }
    String plain = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    if (plain.endsWith(".jsonl") || plain.endsWith(".ndjson")) {
      return jsonl(p, jsonlField);
    }
    return directory(p);
  }

  /** Opens a streaming reader; inputs left out are only counted. */
  public CorpusReader open(CorpusFilter filter) {
    return open(filter, s -> { });
  }

  /**
   * Opens a streaming reader.
   *
   * @param filter which inputs to keep
   * @param onSkip told about every input left out, as it happens (e.g. to log a warning with the
   *     file and line); called on the reading thread
   */
  public CorpusReader open(CorpusFilter filter, Consumer<Skip> onSkip) {
    return new CorpusReader(sources, filter, onSkip);
  }

  /** The inputs, for messages. */
  @Override
  public String toString() {
    return sources.stream().map(Source::describe).toList().toString();
  }

  private static boolean hasWildcard(String s) {
    return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0
        || s.indexOf('{') >= 0;
  }

  private static void requireExists(Path p) {
    if (!Files.exists(p)) {
      throw new IllegalArgumentException("corpus input " + p.toAbsolutePath()
          + " does not exist");
    }
  }
}
