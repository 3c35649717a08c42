// `sinter demo`, the README's first command: train a small Llama-style model on the JDK's own Java
// sources (lib/src.zip, which every JDK carries), with no download and no configuration, then show
// a code completion from it. The tokenizer and shards are cached, so only the first run prepares
// data.
package dev.sinter.cli;

import dev.sinter.tensor.ThreadPool;

import dev.sinter.data.DataPrepare;
import dev.sinter.data.corpus.CommentStripper;
import dev.sinter.data.corpus.Corpus;
import dev.sinter.data.shard.PrepareOptions;
import dev.sinter.data.shard.ShardManifest;
import dev.sinter.data.shard.ShardPrepare;
import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.model.Sampler;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainingRun;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The out-of-the-box job: JDK sources in, a Java-writing model out. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Train a small Llama-style model on this JDK's own source code (lib/src.zip) for a bounded time,"
        + " then complete a Java prompt with it.")
public final class DemoCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--corpus", paramLabel = "PATH|GLOB",
      description = "Corpus to use instead of the JDK's lib/src.zip (directory, glob, archive or JSONL).")
  String corpus;

  @Option(names = "--minutes", defaultValue = "10", description = "Training time budget (default: ${DEFAULT-VALUE}).")
  double minutes;

  @Option(names = "--steps", description = "Train exactly this many steps instead of a time budget.")
  Integer steps;

  @Option(names = "--preset", defaultValue = "llama-tiny", description = "Model preset (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--set", paramLabel = "SECTION.KEY=VALUE", description = "Override one key (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--vocab", defaultValue = "4096", description = "Tokenizer vocabulary (default: ${DEFAULT-VALUE}).")
  int vocab;

  @Option(names = "--val-permille", defaultValue = "10", description = "Validation share of documents, in 1/1000.")
  int valPermille;

  @Option(names = "--threads", defaultValue = "0", description = "Threads, 0 = all cores.")
  int threads;

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: runs/demo-<time>).")
  Path out;

  @Option(names = "--cache", paramLabel = "DIR", description = "Data cache (default: $XDG_CACHE_HOME/sinter or ~/.cache/sinter).")
  Path cache;

  @Option(names = "--prompt", defaultValue = "public class MathUtils {\n\n    public static int gcd(int a, int b) {\n",
      description = "Java prompt to complete at the end.")
  String prompt;

  @Option(names = "--sample-tokens", defaultValue = "160", description = "Tokens to generate for the completion.")
  int sampleTokens;

  @Option(names = "--peak-gflops", description = "Peak GFLOP/s for MFU instead of measuring it.")
  Double peakGflops;

  @picocli.CommandLine.Mixin
  DataCommand.CorpusOptions corpusOptions = new DataCommand.CorpusOptions();

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String spec0 = corpus;
    if (spec0 == null) {
      Path srcZip = Path.of(System.getProperty("java.home"), "lib", "src.zip");
      if (!Files.isRegularFile(srcZip)) {
        err.println("error: this JDK has no " + srcZip + " (some packages ship without sources);"
            + " point --corpus at text to learn from, e.g. --corpus ~/src/myproject or --corpus 'docs/**/*.md'");
        return Main.USAGE;
      }
      spec0 = srcZip.toString();
      if (corpusOptions.extensions.isEmpty()) {
        corpusOptions.extensions = List.of("java");
      }
    }
    int n = ThreadPool.resolveThreads(threads);
    Path data = cacheDir().resolve(dataKey(spec0));
    BpeTokenizer tok = prepare(spec0, data, n, o, err);

    Path run = out != null ? out : TrainCommand.freshRunDirectory("demo");
    Files.createDirectories(run);
    double peak = Peak.resolve(peakGflops == null ? 0 : peakGflops, n, o);
    List<String> all = new ArrayList<>(List.of(
        "model.vocab_size=" + tok.vocabSize(), "data.source=" + TrainCommand.toml(data.toString()),
        "data.val_every=50", "train.threads=" + n));
    all.addAll(sets);
    int total = steps != null ? steps : calibrate(all, peak, o);
    all.add("train.steps=" + total);
    if (System.console() == null || !System.console().isTerminal()) {
      all.add(0, "log.every=" + Math.max(1, total / 50)); // a log file gets ~50 lines, not one per step
    }
    if (steps == null) {
      all.add("optim.warmup_steps=" + Math.max(1, Math.min(100, total / 20)));
    }
    all.add("log.out=" + TrainCommand.toml(run.toString()));
    Map<String, Object> tree = ConfigLoader.resolve(preset, null, all);
    TrainConfig cfg = ConfigLoader.fromTree(tree, List.of());
    TrainCommand.ConsoleListener console = new TrainCommand.ConsoleListener(o, err, peak, cfg);
    TrainingRun.Result r = TrainingRun.run(cfg, tree, new TrainingRun.Options(run, null, null,
        "sinter " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), peak,
        peakGflops == null ? "measured" : "configured"), console);
    console.finish();
    try (Trainer trainer = r.trainer()) {
      if (r.last() == null || !Double.isFinite(r.last().loss())) {
        err.println("error: the loss is not finite; lower optim.lr (--set optim.lr=...)");
        return Main.FAILED;
      }
      if (!r.status().equals("completed")) {
        return Main.FAILED;
      }
      o.println("--- sample (temperature 0.8, top-k 40, top-p 0.95) ---");
      Completion.Result c = Completion.run(trainer.model(), tok, prompt, sampleTokens,
          new Sampler(0.8, 40, 0.95, cfg.train().seed()), true, o);
      o.printf("--- %d tokens in %.2f s (%.0f tokens/s, KV cache) ---%n", c.tokens(), c.seconds(), c.tokensPerSecond());
      Files.writeString(run.resolve("sample.txt"), c.text(), StandardCharsets.UTF_8);
    }
    ReportCommand.render(run.resolve("run.json"), o);
    o.println("outputs: " + run.toAbsolutePath() + " (checkpoints/, run.json, metrics.jsonl, report.html, sample.txt)");
    o.flush();
    return Main.OK;
  }

  /** Trains the tokenizer and writes shards into {@code dir} unless a complete preparation is there. */
  private BpeTokenizer prepare(String corpusSpec, Path dir, int n, PrintWriter o, PrintWriter err) throws IOException {
    if (Files.exists(dir.resolve(ShardManifest.FILE_NAME)) && Files.exists(dir.resolve(DataPrepare.TOKENIZER_FILE))) {
      o.println("data: using the cached tokenizer and shards in " + dir);
      return dev.sinter.train.ShardTokens.tokenizerFor(dir, "");
    }
    o.println("data: training a " + vocab + "-token BPE tokenizer on " + corpusSpec + " and writing shards to " + dir
        + " (first run only)");
    o.flush();
    DataPrepare.Result r = DataPrepare.run(Corpus.of(corpusSpec, corpusOptions.field), corpusOptions.filter(CommentStripper.ALL), null, vocab,
        dir, PrepareOptions.DEFAULT.withThreads(n).withValPermille(valPermille).withOverwrite(true), new ShardPrepare.Listener() {});
    DataCommand.report(o, r, dir);
    if (r.manifest().train().tokens() == 0 || r.manifest().val().tokens() == 0) {
      throw new IllegalArgumentException(corpusSpec + " gave " + r.manifest().train().tokens() + " training and "
          + r.manifest().val().tokens() + " validation tokens; the demo needs both (a larger corpus, or check --ext)");
    }
    return r.tokenizer();
  }

  /** Steps that fit the time budget, from the median of a few measured steps of the same model. */
  private int calibrate(List<String> sets, double peak, PrintWriter o) {
    List<String> probe = new ArrayList<>(sets);
    probe.add("train.steps=4");
    probe.add("data.val_every=0");
    probe.add("log.metrics_out=\"\"");
    TrainConfig cfg = ConfigLoader.load(preset, null, probe);
    double[] ms = new double[3];
    try (Trainer t = new Trainer(cfg, peak * 1e9)) {
      t.trainStep();
      for (int i = 0; i < ms.length; i++) {
        ms[i] = t.trainStep().stepMs();
      }
    }
    double stepMs = BenchTrainCommand.median(ms) * 1.04; // validation every 50 steps costs about 4 %
    int n = (int) Math.max(10, minutes * 60_000 / stepMs);
    o.printf("budget: %.1f min at %.0f ms/step -> %d steps%n", minutes, stepMs, n);
    return n;
  }

  private Path cacheDir() {
    if (cache != null) {
      return cache;
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("sinter").resolve("demo");
  }

  /** Identifies a preparation: the corpus file (path, size, time), the vocabulary and the filter. */
  private String dataKey(String corpusSpec) throws IOException {
    StringBuilder id = new StringBuilder("v1|").append(corpusSpec).append('|').append(vocab).append('|')
        .append(corpusOptions.extensions).append('|').append(corpusOptions.minBytes).append('|').append(corpusOptions.maxBytes)
        .append('|').append(valPermille).append('|').append(corpusOptions.comments(CommentStripper.ALL));
    Path p = Path.of(corpusSpec);
    if (Files.exists(p)) {
      id.append('|').append(Files.size(p)).append('|').append(Files.getLastModifiedTime(p).toMillis());
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(id.toString().getBytes(StandardCharsets.UTF_8));
      return "data-" + HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }


}
