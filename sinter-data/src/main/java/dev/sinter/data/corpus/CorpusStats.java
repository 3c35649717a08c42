// What a pass over a corpus read and what it skipped; always reported, also when nothing was read.
package dev.sinter.data.corpus;

import java.util.List;

/**
 * Counts from one pass over a corpus. Every candidate input lands in exactly one counter.
 *
 * @param documents documents handed on
 * @param bytes total UTF-8 bytes of those documents
 * @param skippedInvalidUtf8 inputs that were not valid UTF-8
 * @param skippedBinary inputs that looked binary (NUL bytes, many control bytes)
 * @param skippedDuplicate inputs whose content had already been read
 * @param skippedByFilter inputs left out by the extension or size filter
 * @param skippedMalformed JSONL lines that were not JSON objects or lacked the text field
 * @param firstSkips the first {@link #MAX_EXAMPLES} skips, in order, for warnings
 */
public record CorpusStats(
    long documents,
    long bytes,
    long skippedInvalidUtf8,
    long skippedBinary,
    long skippedDuplicate,
    long skippedByFilter,
    long skippedMalformed,
    List<Skip> firstSkips) {

  /** How many skips are kept verbatim; the counters are always complete. */
  public static final int MAX_EXAMPLES = 100;

  /** Copies the list so the record stays immutable. */
  public CorpusStats {
    firstSkips = List.copyOf(firstSkips);
  }

  /** Sum of all skip counters. */
  public long skipped() {
    return skippedInvalidUtf8 + skippedBinary + skippedDuplicate + skippedByFilter
        + skippedMalformed;
  }
}
