// `sinter data prepare`: reads a corpus, tokenizes it on a pool of threads and writes train and
// validation shards plus shards.json.
//
// Determinism: documents are read by one thread in corpus order and numbered; encoding runs on
// the pool, but results are written strictly in that order (a bounded queue of futures, drained
// from the head), so the bytes on disk are the same for 1 thread or 64. The split uses each
// document's content hash, so a document's side does not depend on what else is in the corpus.
// Memory is bounded by the in-flight window (a few MB of documents), not by the corpus.
package dev.sinter.data.shard;

import dev.sinter.data.Tokenizer;
import dev.sinter.data.corpus.Corpus;
import dev.sinter.data.corpus.CorpusFilter;
import dev.sinter.data.corpus.CorpusReader;
import dev.sinter.data.corpus.CorpusStats;
import dev.sinter.data.corpus.Document;
import dev.sinter.data.corpus.Skip;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

/** Turns a corpus into token shards. */
public final class ShardPrepare {
  private static final int IN_FLIGHT_DOCS_PER_THREAD = 64;
  private static final long IN_FLIGHT_BYTES = 64L << 20;
  // Shard files, and the temp files a crashed run may have left behind.
  private static final Pattern OUR_FILES = Pattern.compile(
      "(train|val)-\\d{5,}\\.bin|\\.((train|val)-\\d{5,}\\.bin|shards\\.json)\\.[0-9a-f]+\\.tmp");

  private ShardPrepare() {}

  /** Hears about a prepare run as it goes; every method is called on the calling thread. */
  public interface Listener {
    /** An input was left out (to log a warning with its file and line). */
    default void skipped(Skip skip) {}

    /** A shard file was completed and renamed into place. */
    default void shardWritten(Split split, ShardManifest.ShardFile file) {}
  }

  /**
   * {@link #prepare(Corpus, CorpusFilter, Tokenizer, Path, PrepareOptions, Listener)} without a
   * listener: skips are only counted in the returned manifest's corpus stats.
   */
  public static ShardManifest prepare(Corpus corpus, CorpusFilter filter, Tokenizer tokenizer,
      Path outDir, PrepareOptions options) throws IOException {
    return prepare(corpus, filter, tokenizer, outDir, options, new Listener() { });
  }

  /**
   * Reads {@code corpus}, encodes every document with {@code tokenizer} (end-of-text appended),
   * and writes {@code train-NNNNN.bin}, {@code val-NNNNN.bin} and {@code shards.json} into
   * {@code outDir}. An empty corpus (or split) yields a manifest with no files for it; the caller
   * decides whether that is an error, with the corpus stats to explain it.
   *
   * @param corpus the inputs
   * @param filter which inputs to keep
   * @param tokenizer the model's tokenizer; its hash is recorded in every shard
   * @param outDir created if missing
   * @param options split, shard size, threads, overwrite
   * @param listener told about skips and finished shards
   * @return the manifest that was written, with the corpus stats
   * @throws IOException if the output exists and {@code overwrite} is off, or on an I/O error;
   *     the message names the file
   */
  public static ShardManifest prepare(Corpus corpus, CorpusFilter filter, Tokenizer tokenizer,
      Path outDir, PrepareOptions options, Listener listener) throws IOException {
    int vocab = tokenizer.vocabSize();
    int eot = tokenizer.endOfText();
    String hash = tokenizer.hash();
    ShardFormat.parseTokenizerHash(hash);
    if (vocab <= 0 || eot < 0 || eot >= vocab) {
      throw new IllegalArgumentException("tokenizer " + hash + " has vocabulary size " + vocab
          + " and end-of-text id " + eot + "; need 0 <= endOfText < vocabSize");
    }
    Files.createDirectories(outDir);
    Path manifestPath = outDir.resolve(ShardManifest.FILE_NAME);
    if (Files.exists(manifestPath)) {
      if (!options.overwrite()) {
        throw new IOException(manifestPath + " already exists; choose another output directory "
            + "or allow overwriting (--overwrite)");
      }
      // Gone first, so a crash half-way leaves a directory that plainly has no complete run.
      Files.delete(manifestPath);
    }
    SplitWriter train = new SplitWriter(outDir, Split.TRAIN, vocab, eot, hash, options, listener);
    SplitWriter val = new SplitWriter(outDir, Split.VAL, vocab, eot, hash, options, listener);
    CorpusStats stats;
    ShardManifest.SplitInfo trainInfo;
    ShardManifest.SplitInfo valInfo;
    ExecutorService pool = options.threads() > 1
        ? Executors.newFixedThreadPool(options.threads(), r -> {
          Thread t = new Thread(r, "sinter-prepare-encode");
          t.setDaemon(true);
          return t;
        })
        : null;
    try (CorpusReader reader = corpus.open(filter, listener::skipped)) {
      ArrayDeque<Pending> queue = new ArrayDeque<>();
      long inFlightBytes = 0;
      int maxDocs = options.threads() * IN_FLIGHT_DOCS_PER_THREAD;
      while (reader.hasNext()) {
        Document doc = reader.next();
        SplitWriter out = doc.hash().permille() < options.valPermille() ? val : train;
        if (pool == null) {
          out.add(doc, encode(tokenizer, doc));
          continue;
        }
        queue.add(new Pending(doc, out, pool.submit(() -> encode(tokenizer, doc))));
        inFlightBytes += doc.bytes().length;
        while (!queue.isEmpty() && (queue.size() >= maxDocs || inFlightBytes > IN_FLIGHT_BYTES)) {
          inFlightBytes -= drainHead(queue);
        }
      }
      while (!queue.isEmpty()) {
        drainHead(queue);
      }
      stats = reader.stats();
      trainInfo = train.finish();
      valInfo = val.finish();
    } catch (IOException | RuntimeException | Error e) {
      train.abort(e);
      val.abort(e);
      throw e;
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    ShardManifest manifest = new ShardManifest(ShardManifest.FORMAT, ShardFormat.VERSION, hash,
        vocab, eot, ShardFormat.tokenWidth(vocab), options.valPermille(), options.shardTokens(),
        trainInfo, valInfo, stats);
    removeStale(outDir, manifest);
    manifest.write(outDir);
    return manifest;
  }

  private record Pending(Document doc, SplitWriter out, Future<int[]> ids) {}

  private static int[] encode(Tokenizer tokenizer, Document doc) {
    try {
      return tokenizer.encode(doc.bytes());
    } catch (RuntimeException e) {
      throw new IllegalStateException("tokenizer failed on " + doc.name() + ": " + e, e);
    }
  }

  /** Writes the oldest pending document; returns its size in bytes. */
  private static long drainHead(ArrayDeque<Pending> queue) throws IOException {
    Pending p = queue.poll();
    int[] ids;
    try {
      ids = p.ids().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while encoding " + p.doc().name());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("tokenizer failed on " + p.doc().name(), e.getCause());
    }
    p.out().add(p.doc(), ids);
    return p.doc().bytes().length;
  }

  /** Deletes shard files and temp files of an earlier run that the new manifest does not list. */
  private static void removeStale(Path dir, ShardManifest m) throws IOException {
    Set<String> keep = new HashSet<>();
    for (Split s : Split.values()) {
      for (ShardManifest.ShardFile f : m.split(s).files()) {
        keep.add(f.file());
      }
    }
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (OUR_FILES.matcher(name).matches() && !keep.contains(name)) {
          stale.add(p);
        }
      }
    }
    for (Path p : stale) {
      Files.deleteIfExists(p);
    }
  }

  /** The shards of one split: rolls over to a new file once the target size is reached. */
  private static final class SplitWriter {
    private final Path dir;
    private final Split split;
    private final int vocab;
    private final int eot;
    private final String hash;
    private final long shardTokens;
    private final Listener listener;
    private final List<ShardManifest.ShardFile> files = new ArrayList<>();
    private ShardWriter current;
    private long tokens;
    private long documents;

    SplitWriter(Path dir, Split split, int vocab, int eot, String hash, PrepareOptions options,
        Listener listener) {
      this.dir = dir;
      this.split = split;
      this.vocab = vocab;
      this.eot = eot;
      this.hash = hash;
      this.shardTokens = options.shardTokens();
      this.listener = listener;
    }

    void add(Document doc, int[] ids) throws IOException {
      if (current == null) {
        current = ShardWriter.create(dir.resolve(split.fileName(files.size())), vocab, eot, hash);
      }
      try {
        current.addDocument(ids);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("tokenizer output for " + doc.name() + " is invalid: "
            + e.getMessage(), e);
      }
      tokens += ids.length + 1L;
      documents++;
      if (current.tokenCount() >= shardTokens) {
        closeCurrent();
      }
    }

    ShardManifest.SplitInfo finish() throws IOException {
      if (current != null) {
        closeCurrent();
      }
      return new ShardManifest.SplitInfo(tokens, documents, files);
    }

    /** Deletes the unfinished shard; a failure to do so is attached to {@code cause}. */
    void abort(Throwable cause) {
      if (current != null) {
        try {
          current.close();
        } catch (IOException e) {
          cause.addSuppressed(e);
        }
        current = null;
      }
    }

    private void closeCurrent() throws IOException {
      ShardManifest.ShardFile f = current.finish();
      current.close();
      current = null;
      files.add(f);
      listener.shardWritten(split, f);
    }
  }
}
