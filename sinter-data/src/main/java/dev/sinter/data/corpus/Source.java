// The internal contract between Corpus and the readers for each kind of input.
//
// A source applies the name and size filters itself, because only it can do so before reading a
// file (a 4 GB log should be skipped from its directory entry, not after loading it). The content
// checks, hashing and deduplication are the same for every source and live in CorpusReader.
package dev.sinter.data.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

interface Source {

  /** Opens a lazy cursor; inputs it leaves out are reported to {@code skips}. */
  Cursor open(CorpusFilter filter, Consumer<Skip> skips) throws IOException;

  /** A short description for messages, such as the path. */
  String describe();

  /**
   * A raw candidate: passed the name and size filters, not yet checked for content.
   *
   * @param source the file or archive entry
   * @param line the 1-based JSONL line, or 0
   * @param bytes the content
   */
  record Raw(String source, long line, byte[] bytes) {
    String name() {
      return line > 0 ? source + ":" + line : source;
    }
  }

  /** Yields candidates in a deterministic order. */
  interface Cursor extends Closeable {
    /** The next candidate, or null when the source is exhausted. */
    Raw next() throws IOException;
  }
}
