// Streams the documents of a corpus one at a time, applying content checks and deduplication and
// counting everything it leaves out.
//
// Checks run in a fixed order (filters, binary, UTF-8, duplicate), so each input is counted under
// exactly one reason and the counts do not depend on anything but the inputs. Only the current
// document and the dedup set (32 bytes per distinct document) are held in memory.
package dev.sinter.data.corpus;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A single pass over a corpus. Not thread-safe: one thread iterates. I/O errors (an unreadable
 * file, a corrupt archive) surface as {@link UncheckedIOException} naming the input; bad content
 * never does.
 */
public final class CorpusReader implements Iterator<Document>, Closeable {
  private final List<Source> sources;
  private final CorpusFilter filter;
  private final Consumer<Skip> onSkip;
  private final MessageDigest sha256 = ContentHash.newDigest();
  private final HashSet128 seen = new HashSet128();
  private final List<Skip> firstSkips = new ArrayList<>();

  private int nextSource;
  private Source current;
  private Source.Cursor cursor;
  private Document pending;
  private boolean closed;

  private long documents;
  private long bytes;
  private long invalidUtf8;
  private long binary;
  private long duplicate;
  private long filtered;
  private long malformed;

  CorpusReader(List<Source> sources, CorpusFilter filter, Consumer<Skip> onSkip) {
    this.sources = sources;
    this.filter = filter;
    this.onSkip = onSkip;
  }

  /** Whether another document follows; reads ahead up to the next accepted document. */
  @Override
  public boolean hasNext() {
    if (pending != null) {
      return true;
    }
    if (closed) {
      return false;
    }
    try {
      pending = advance();
    } catch (IOException e) {
      String where = current == null ? "corpus" : current.describe();
      throw new UncheckedIOException("reading " + where + ": " + e.getMessage(), e);
    }
    return pending != null;
  }

  /** The next document. */
  @Override
  public Document next() {
    if (!hasNext()) {
      throw new NoSuchElementException("corpus exhausted");
    }
    Document d = pending;
    pending = null;
    return d;
  }

  /** The remaining documents as a sequential stream; closing the stream closes this reader. */
  public Stream<Document> stream() {
    Spliterator<Document> s = Spliterators.spliteratorUnknownSize(this,
        Spliterator.ORDERED | Spliterator.NONNULL);
    return StreamSupport.stream(s, false).onClose(this::close);
  }

  /** A snapshot of the counts so far; complete once {@link #hasNext()} has returned false. */
  public CorpusStats stats() {
    return new CorpusStats(documents, bytes, invalidUtf8, binary, duplicate, filtered, malformed,
        firstSkips);
  }

  /** Closes the input being read; further calls to {@link #hasNext()} return false. */
  @Override
  public void close() {
    closed = true;
    pending = null;
    if (cursor != null) {
      try {
        cursor.close();
      } catch (IOException e) {
        throw new UncheckedIOException("closing " + current.describe() + ": " + e.getMessage(), e);
      } finally {
        cursor = null;
      }
    }
  }

  private Document advance() throws IOException {
    while (true) {
      if (cursor == null) {
        if (nextSource == sources.size()) {
          return null;
        }
        current = sources.get(nextSource++);
        cursor = current.open(filter, this::skip);
      }
      Source.Raw raw = cursor.next();
      if (raw == null) {
        Source.Cursor done = cursor;
        cursor = null;
        done.close();
        continue;
      }
      Document d = check(raw);
      if (d != null) {
        documents++;
        bytes += d.bytes().length;
        return d;
      }
    }
  }

  private Document check(Source.Raw raw) {
    byte[] b = raw.bytes();
    if (!filter.acceptsSize(b.length)) {
      skip(DirectorySource.sizeSkip(raw.source(), raw.line(), b.length, filter));
      return null;
    }
    switch (ContentCheck.classify(b)) {
      case BINARY -> {
        skip(new Skip(raw.source(), raw.line(), Skip.Reason.BINARY,
            "NUL bytes or more than " + (int) (100 * ContentCheck.MAX_CONTROL_SHARE)
                + "% control bytes"));
        return null;
      }
      case INVALID_UTF8 -> {
        skip(new Skip(raw.source(), raw.line(), Skip.Reason.INVALID_UTF8, "not valid UTF-8"));
        return null;
      }
      case TEXT -> { }
    }
    if (filter.comments().appliesTo(raw.name())) {
      b = filter.comments().strip(b);
      if (b.length == 0) {
        skip(new Skip(raw.source(), raw.line(), Skip.Reason.FILTERED_SIZE, "nothing left after removing comments"));
        return null;
      }
    }
    ContentHash h = ContentHash.of(sha256, b);
    if (filter.dedupe() && !seen.add(h.hi(), h.lo())) {
      skip(new Skip(raw.source(), raw.line(), Skip.Reason.DUPLICATE,
          "same content as an earlier document"));
      return null;
    }
    return new Document(raw.name(), b, h);
  }

  private void skip(Skip s) {
    switch (s.reason()) {
      case INVALID_UTF8 -> invalidUtf8++;
      case BINARY -> binary++;
      case DUPLICATE -> duplicate++;
      case FILTERED_EXTENSION, FILTERED_SIZE -> filtered++;
      case MALFORMED_JSON, MISSING_FIELD -> malformed++;
    }
    if (firstSkips.size() < CorpusStats.MAX_EXAMPLES) {
      firstSkips.add(s);
    }
    onSkip.accept(s);
  }
}
