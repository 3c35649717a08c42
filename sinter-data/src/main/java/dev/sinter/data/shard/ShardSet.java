// The shards of one split, opened and verified together, read as one stream of tokens.
//
// Opening goes through shards.json: the manifest's tokenizer is checked first (one clear message
// instead of one per shard), then every listed file is opened, verified and compared with its
// manifest entry, so files from two different prepare runs cannot be mixed unnoticed.
package dev.sinter.data.shard;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** An ordered list of verified shards with one tokenizer. Closing it closes the shards. */
public final class ShardSet implements Closeable {
  private final List<ShardReader> shards;
  private final long tokens;
  private final long documents;

  private ShardSet(List<ShardReader> shards) {
    this.shards = List.copyOf(shards);
    long t = 0;
    long d = 0;
    for (ShardReader r : shards) {
      t += r.tokenCount();
      d += r.documentCount();
    }
    this.tokens = t;
    this.documents = d;
  }

  /**
   * Wraps already-open shards, taking ownership of them.
   *
   * @throws IllegalArgumentException if the list is empty or the shards disagree on tokenizer,
   *     vocabulary or end-of-text id
   */
  public static ShardSet of(List<ShardReader> shards) {
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("a shard set needs at least one shard");
    }
    ShardReader first = shards.getFirst();
    for (ShardReader r : shards) {
      if (!r.tokenizerHash().equals(first.tokenizerHash()) || r.vocabSize() != first.vocabSize()
          || r.endOfText() != first.endOfText()) {
        throw new IllegalArgumentException(r.path() + " was written with tokenizer "
            + r.tokenizerHash() + " (vocabulary " + r.vocabSize() + "), but " + first.path()
            + " with " + first.tokenizerHash() + " (vocabulary " + first.vocabSize()
            + "); a shard set must come from one tokenizer");
      }
    }
    return new ShardSet(shards);
  }

  /**
   * Opens the {@code split} shards listed in {@code dir/shards.json}, verifying each one.
   *
   * @param dir a directory written by {@link ShardPrepare#prepare}
   * @param split which set
   * @param expectedTokenizerHash the model tokenizer's {@code hash()}
   * @param expectedVocab the model tokenizer's vocabulary size
   * @throws IOException naming the file at fault: a missing or foreign manifest, a tokenizer
   *     mismatch (both hashes), an empty split, or a shard that is corrupt or from another run
   */
  public static ShardSet open(Path dir, Split split, String expectedTokenizerHash,
      int expectedVocab) throws IOException {
    ShardManifest m = ShardManifest.read(dir);
    Path manifest = dir.resolve(ShardManifest.FILE_NAME);
    String want = expectedTokenizerHash.toLowerCase(Locale.ROOT);
    if (!m.tokenizerHash().toLowerCase(Locale.ROOT).equals(want)
        || m.vocabSize() != expectedVocab) {
      throw new IOException(manifest + ": shards were prepared with tokenizer "
          + m.tokenizerHash() + " (vocabulary " + m.vocabSize() + "), but the model's tokenizer "
          + "is " + want + " (vocabulary " + expectedVocab + "); re-run `sinter data prepare` "
          + "with the model's tokenizer");
    }
    List<ShardManifest.ShardFile> files = m.split(split).files();
    if (files.isEmpty()) {
      throw new IOException(manifest + " lists no " + split.prefix() + " shards (valPermille "
          + m.valPermille() + ", " + m.corpus().documents() + " documents read); prepare with "
          + "more data or a larger validation share");
    }
    List<ShardReader> opened = new ArrayList<>();
    try {
      for (ShardManifest.ShardFile f : files) {
        ShardReader r = ShardReader.open(dir.resolve(f.file()), want, expectedVocab);
        opened.add(r);
        String crc = HexFormat.of().toHexDigits(r.payloadCrc32c());
        if (r.tokenCount() != f.tokens() || r.documentCount() != f.documents()
            || !crc.equalsIgnoreCase(f.crc32c())) {
          throw new IOException(r.path() + " does not match " + manifest + " (manifest: "
              + f.tokens() + " tokens, " + f.documents() + " documents, crc32c " + f.crc32c()
              + "; file: " + r.tokenCount() + " tokens, " + r.documentCount()
              + " documents, crc32c " + crc + "): the directory mixes files of two prepare "
              + "runs; re-run `sinter data prepare`");
        }
      }
    } catch (IOException | RuntimeException e) {
      for (ShardReader r : opened) {
        r.close();
      }
      throw e;
    }
    return new ShardSet(opened);
  }

  /** The shards, in reading order. */
  public List<ShardReader> shards() {
    return shards;
  }

  /** Total tokens over all shards. */
  public long tokenCount() {
    return tokens;
  }

  /** Total documents over all shards. */
  public long documentCount() {
    return documents;
  }

  /** The vocabulary size shared by all shards. */
  public int vocabSize() {
    return shards.getFirst().vocabSize();
  }

  /** The end-of-text id shared by all shards. */
  public int endOfText() {
    return shards.getFirst().endOfText();
  }

  /** The tokenizer hash shared by all shards. */
  public String tokenizerHash() {
    return shards.getFirst().tokenizerHash();
  }

  /** Closes every shard. */
  @Override
  public void close() {
    for (ShardReader r : shards) {
      r.close();
    }
  }
}
