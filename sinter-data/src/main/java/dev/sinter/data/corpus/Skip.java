// A record of one input the corpus reader left out, and why, for warnings and the manifest.
package dev.sinter.data.corpus;

import java.util.Locale;

/**
 * One input that was not turned into a document.
 *
 * @param source the file, archive entry or JSONL file it came from
 * @param line the 1-based line in a JSONL file, or 0 where lines do not apply
 * @param reason why it was skipped
 * @param detail a human-readable explanation (the parser's message, the offending size, ...)
 */
public record Skip(String source, long line, Reason reason, String detail) {

  /** Why an input was skipped; each maps onto one counter of {@link CorpusStats}. */
  public enum Reason {
    /** The bytes are not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF). */
    INVALID_UTF8,
    /** A NUL byte, or more than a tenth of the bytes are control characters. */
    BINARY,
    /** The same content (by 128-bit SHA-256 prefix) was already read. */
    DUPLICATE,
    /** The extension is not one of those asked for. */
    FILTERED_EXTENSION,
    /** Smaller than the minimum or larger than the maximum size. */
    FILTERED_SIZE,
    /** A JSONL line that is not a JSON object. */
    MALFORMED_JSON,
    /** A JSONL object without the text field, or whose text field is not a string. */
    MISSING_FIELD
  }

  /** A one-line description suitable for a warning. */
  @Override
  public String toString() {
    String where = line > 0 ? source + ":" + line : source;
    return where + ": skipped (" + reason.name().toLowerCase(Locale.ROOT) + ") " + detail;
  }
}
