// Which inputs a corpus pass keeps: extensions, a size window, whether to drop exact duplicates,
// and which comments to remove from source files.
package dev.sinter.data.corpus;

import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Filters applied to every candidate before its content is checked.
 *
 * <p>The extension filter applies to file and archive-entry names (case-insensitive suffix match,
 * so {@code .jsonl.gz} works); JSONL records have no name of their own and are never filtered by
 * extension. The size window applies to the document's bytes: for files and archive entries it is
 * checked before they are read, so a huge file is never loaded only to be dropped.
 *
 * @param extensions suffixes to keep, each starting with a dot; empty keeps every name
 * @param minBytes smallest size kept, at least 0
 * @param maxBytes largest size kept, at most {@link #MAX_DOCUMENT_BYTES}
 * @param dedupe whether exact duplicates (by content hash) after the first are dropped
 * @param comments comments removed from Java and C-family files before hashing (so files that
 *     differ only in a licence header are duplicates); a file left empty is skipped as filtered
 */
public record CorpusFilter(Set<String> extensions, long minBytes, long maxBytes, boolean dedupe,
    CommentStripper comments) {

  /**
   * Java arrays cannot hold much more; a larger document would have to be split before
   * tokenizing. One byte of headroom below the VM's array limit lets a reader tell "exactly at the
   * limit" from "over it".
   */
  public static final long MAX_DOCUMENT_BYTES = Integer.MAX_VALUE - 16;

  /** Keeps every non-empty document and drops duplicates. */
  public static final CorpusFilter DEFAULT =
      new CorpusFilter(Set.of(), 1, MAX_DOCUMENT_BYTES, true, CommentStripper.NONE);

  /** Normalises the extensions ({@code "java"} becomes {@code ".java"}) and checks the window. */
  public CorpusFilter {
    if (minBytes < 0 || maxBytes < minBytes || maxBytes > MAX_DOCUMENT_BYTES) {
      throw new IllegalArgumentException("document size window [" + minBytes + ", " + maxBytes
          + "] is invalid: need 0 <= minBytes <= maxBytes <= " + MAX_DOCUMENT_BYTES);
    }
    if (comments == null) {
      throw new IllegalArgumentException("comment mode is null: use CommentStripper.NONE");
    }
    TreeSet<String> norm = new TreeSet<>();
    for (String e : extensions) {
      String s = e.strip().toLowerCase(Locale.ROOT);
      if (s.isEmpty() || s.equals(".")) {
        throw new IllegalArgumentException("empty extension in " + extensions);
      }
      norm.add(s.startsWith(".") ? s : "." + s);
    }
    // Sorted and unmodifiable, so messages and manifests list the extensions in a stable order.
    extensions = Collections.unmodifiableSortedSet(norm);
  }

  /** A copy that keeps only names ending in one of {@code exts} (with or without the dot). */
  public CorpusFilter withExtensions(String... exts) {
    return new CorpusFilter(Set.of(exts), minBytes, maxBytes, dedupe, comments);
  }

  /** A copy with the size window [{@code min}, {@code max}] bytes. */
  public CorpusFilter withSize(long min, long max) {
    return new CorpusFilter(extensions, min, max, dedupe, comments);
  }

  /** A copy with deduplication on or off. */
  public CorpusFilter withDedupe(boolean on) {
    return new CorpusFilter(extensions, minBytes, maxBytes, on, comments);
  }

  /** A copy that removes the given comments from source files. */
  public CorpusFilter withComments(CommentStripper mode) {
    return new CorpusFilter(extensions, minBytes, maxBytes, dedupe, mode);
  }

  boolean acceptsName(String name) {
    if (extensions.isEmpty()) {
      return true;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (String e : extensions) {
      if (lower.endsWith(e)) {
        return true;
      }
    }
    return false;
  }

  boolean acceptsSize(long size) {
    return size >= minBytes && size <= maxBytes;
  }

  String sizeWindow() {
    return "[" + minBytes + ", " + maxBytes + "] bytes";
  }
}
