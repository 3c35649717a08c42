// shards.json: the list of shard files a prepare run wrote, with the tokenizer and corpus stats.
//
// The manifest is written last and atomically, so its presence means the run completed; readers
// go by it, never by listing the directory, and check each shard's counts and CRC against it so a
// directory that mixes files from two runs is caught. Field order is fixed by the records, so the
// same run always writes the same bytes.
package dev.sinter.data.shard;

import dev.sinter.data.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sinter.data.corpus.CorpusStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The contents of {@code shards.json}.
 *
 * @param format always {@value #FORMAT}
 * @param version the shard format version, {@value ShardFormat#VERSION}
 * @param tokenizerHash the tokenizer's hash (64 hex digits)
 * @param vocabSize the tokenizer's vocabulary size
 * @param endOfText the id that ends every document
 * @param tokenWidth bytes per token on disk
 * @param valPermille documents whose content hash mod 1000 is below this went to validation
 * @param shardTokens the target tokens per shard
 * @param train the training shards
 * @param val the validation shards (possibly none)
 * @param corpus what reading the corpus read and skipped
 */
public record ShardManifest(
    String format,
    int version,
    String tokenizerHash,
    int vocabSize,
    int endOfText,
    int tokenWidth,
    int valPermille,
    long shardTokens,
    SplitInfo train,
    SplitInfo val,
    CorpusStats corpus) {

  /** The manifest's file name inside a shard directory. */
  public static final String FILE_NAME = "shards.json";

  /** The value of {@link #format()}. */
  public static final String FORMAT = "sinter-token-shards";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One shard set.
   *
   * @param tokens total tokens over its files
   * @param documents total documents over its files
   * @param files the files, in reading order
   */
  public record SplitInfo(long tokens, long documents, List<ShardFile> files) {
    /** Copies the list. */
    public SplitInfo {
      files = List.copyOf(files);
    }
  }

  /**
   * One shard file.
   *
   * @param file the name inside the shard directory
   * @param tokens tokens in it
   * @param documents documents in it
   * @param bytes its size
   * @param crc32c its payload CRC-32C, 8 hex digits
   */
  public record ShardFile(String file, long tokens, long documents, long bytes, String crc32c) {}

  /** The shard set for {@code split}. */
  public SplitInfo split(Split split) {
    return split == Split.TRAIN ? train : val;
  }

  /**
   * Reads {@code dir/shards.json}.
   *
   * @throws IOException naming the file if it is missing or not a valid manifest
   */
  public static ShardManifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    ShardManifest m;
    try {
      m = JSON.readValue(Files.readAllBytes(file), ShardManifest.class);
    } catch (NoSuchFileException e) {
      throw new IOException(file + " does not exist: " + dir + " is not a prepared shard "
          + "directory (or its prepare run did not finish); run `sinter data prepare`", e);
    } catch (IOException e) {
      throw new IOException(file + " is not a valid shard manifest: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(m.format()) || m.version() != ShardFormat.VERSION) {
      throw new IOException(file + ": format " + m.format() + " version " + m.version()
          + ", this build reads " + FORMAT + " version " + ShardFormat.VERSION
          + "; re-run `sinter data prepare`");
    }
    return m;
  }

  /** Writes {@code dir/shards.json} atomically. */
  void write(Path dir) throws IOException {
    AtomicFiles.write(dir.resolve(FILE_NAME), (JSON.writeValueAsString(this) + "\n").getBytes(StandardCharsets.UTF_8));
  }

}
