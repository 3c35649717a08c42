// `sinter data prepare`: corpus → byte-level BPE tokenizer → memory-mapped token shards.
package dev.sinter.cli;

import dev.sinter.tensor.ThreadPool;

import dev.sinter.data.DataPrepare;
import dev.sinter.data.corpus.Corpus;
import dev.sinter.data.corpus.CommentStripper;
import dev.sinter.data.corpus.CorpusFilter;
import dev.sinter.data.corpus.CorpusStats;
import dev.sinter.data.shard.PrepareOptions;
import dev.sinter.data.shard.ShardManifest;
import dev.sinter.data.shard.ShardPrepare;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Data preparation commands. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Prepare training data.",
    subcommands = {DataCommand.PrepareCommand.class})
public final class DataCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Corpus options shared by `data prepare` and `demo`. */
  static final class CorpusOptions {
    @Option(names = "--ext", split = ",", paramLabel = "EXT",
        description = "Keep only files with these extensions (e.g. java,md); default: all.")
    List<String> extensions = List.of();

    @Option(names = "--field", defaultValue = "text", description = "Text field of JSONL records.")
    String field;

    @Option(names = "--min-bytes", defaultValue = "1", description = "Skip smaller documents.")
    long minBytes;

    @Option(names = "--max-bytes", defaultValue = "1000000", description = "Skip larger documents.")
    long maxBytes;

    @Option(names = "--comments", paramLabel = "MODE",
        description = "Comments to remove from Java and C-family files before tokenizing: none, header (a leading"
            + " licence comment) or all (default: none; the demo: all).")
    String comments;

    CorpusFilter filter() {
      return filter(CommentStripper.NONE);
    }

    /** The filter, with {@code fallback} when no --comments was given. */
    CorpusFilter filter(CommentStripper fallback) {
      return CorpusFilter.DEFAULT.withExtensions(extensions.toArray(String[]::new)).withSize(minBytes, maxBytes)
          .withDedupe(true).withComments(comments(fallback));
    }

    /** The --comments mode, or {@code fallback} when none was given. */
    CommentStripper comments(CommentStripper fallback) {
      return comments == null ? fallback : CommentStripper.parse(comments);
    }
  }

  /** Prints what a preparation did. */
  static void report(PrintWriter out, DataPrepare.Result r, Path dir) {
    CorpusStats s = r.manifest().corpus();
    out.printf("corpus: %d documents, %.1f MB read; skipped %d (invalid UTF-8 %d, binary %d, duplicate %d,"
        + " filtered %d, malformed %d)%n", s.documents(), s.bytes() / 1e6, s.skipped(), s.skippedInvalidUtf8(),
        s.skippedBinary(), s.skippedDuplicate(), s.skippedByFilter(), s.skippedMalformed());
    out.printf("tokenizer: %s %d ids in %.1f s (%s)%n", r.trainedTokenizer() ? "trained" : "loaded",
        r.tokenizer().vocabSize(), r.tokenizerSeconds(), r.tokenizer().hash().substring(0, 16));
    ShardManifest m = r.manifest();
    out.printf("shards: train %d tokens in %d file(s), validation %d tokens in %d file(s), %.1f s -> %s%n",
        m.train().tokens(), m.train().files().size(), m.val().tokens(), m.val().files().size(), r.shardSeconds(), dir);
    out.flush();
  }

  /** Turns a corpus into shards. */
  @Command(name = "prepare", mixinStandardHelpOptions = true,
      description = "Read a corpus (directory, glob, .zip/.jar, or .jsonl), train or load a byte-level BPE tokenizer,"
          + " and write memory-mapped token shards with a train/validation split.")
  static final class PrepareCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--corpus", required = true, paramLabel = "PATH|GLOB", description = "The corpus.")
    String corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path outDir;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Use this tokenizer.json instead of training one.")
    Path tokenizer;

    @Option(names = "--vocab", defaultValue = "8192", description = "Vocabulary size to train (incl. bytes and specials).")
    int vocab;

    @Option(names = "--val-permille", defaultValue = "10", description = "Validation share in 1/1000 of documents.")
    int valPermille;

    @Option(names = "--shard-tokens", defaultValue = "100000000", description = "Tokens per shard file.")
    long shardTokens;

    @Option(names = "--threads", defaultValue = "0", description = "Encoding threads, 0 = all cores.")
    int threads;

    @Option(names = "--overwrite", description = "Replace an existing preparation in --out.")
    boolean overwrite;

    @picocli.CommandLine.Mixin
    CorpusOptions corpusOptions = new CorpusOptions();

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int n = ThreadPool.resolveThreads(threads);
      PrepareOptions opts = PrepareOptions.DEFAULT.withValPermille(valPermille).withShardTokens(shardTokens)
          .withThreads(n).withOverwrite(overwrite);
      DataPrepare.Result r;
      try {
        r = DataPrepare.run(Corpus.of(corpus, corpusOptions.field), corpusOptions.filter(), tokenizer, vocab, outDir, opts,
            new ShardPrepare.Listener() {
              @Override
              public void skipped(dev.sinter.data.corpus.Skip s) {
                err.println("warning: " + s);
              }
            });
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      report(out, r, outDir);
      if (r.manifest().train().tokens() == 0) {
        err.println("error: no training tokens were produced from " + corpus + "; check --ext and the size limits");
        return Main.USAGE;
      }
      return Main.OK;
    }
  }
}
