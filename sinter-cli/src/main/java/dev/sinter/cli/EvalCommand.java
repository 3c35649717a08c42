// `sinter eval`: the loss and perplexity of a trained model on a shard set (the validation split by
// default), over every window in order or the first N batches.
package dev.sinter.cli;

import dev.sinter.data.shard.Split;
import dev.sinter.model.Transformer;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.train.ShardTokens;
import dev.sinter.train.checkpoint.ModelDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Evaluates a model directory on shards. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Loss and perplexity of a trained model on a shard set from `sinter data prepare`.")
public final class EvalCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "A checkpoint, a run directory (its newest good checkpoint) or a Hugging Face model directory.")
  Path model;

  @Option(names = "--data", required = true, paramLabel = "DIR", description = "Shard directory.")
  Path data;

  @Option(names = "--split", defaultValue = "val", description = "train or val (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--seq", defaultValue = "0", description = "Tokens per window; 0 = the model's context.")
  int seq;

  @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--batches", defaultValue = "0", description = "Evaluate only the first N batches; 0 = all windows.")
  long batches;

  @Option(names = "--threads", defaultValue = "0", description = "Kernel threads, 0 = all cores.")
  int threads;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Split which = switch (split) {
      case "val" -> Split.VAL;
      case "train" -> Split.TRAIN;
      default -> throw new IllegalArgumentException("--split must be train or val, got " + split);
    };
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
    }
    try (ThreadPool pool = new ThreadPool(ThreadPool.resolveThreads(threads))) {
      ModelDirectory md = ModelDirectory.load(model, Kernels.create("auto", pool), w -> err.println("warning: " + w));
      Transformer m = md.model();
      int t = seq > 0 ? seq : m.config().maxSeqLen();
      if (t > m.config().maxSeqLen()) {
        throw new IllegalArgumentException("--seq " + t + " exceeds the model's context of " + m.config().maxSeqLen());
      }
      var tok = md.tokenizer() != null ? md.tokenizer() : ShardTokens.tokenizerFor(data, "");
      try (ShardTokens src = new ShardTokens(data, which, tok, t, 0, false)) {
        long windows = src.windowsPerEpoch();
        long n = batches > 0 ? Math.min(batches, windows / batch) : windows / batch;
        if (n == 0) {
          throw new IllegalArgumentException(data + " has " + windows + " windows of " + t + " tokens in its " + split
              + " split, fewer than one batch of " + batch + "; lower --batch or --seq");
        }
        int[] tokens = new int[batch * t];
        int[] targets = new int[batch * t];
        double sum = 0;
        long t0 = System.nanoTime();
        for (long i = 0; i < n; i++) {
          src.next(tokens, targets, batch, t);
          sum += m.forward(tokens, targets, batch, t, 0f);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        double loss = sum / n;
        long evaluated = n * batch * t;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", md.dir().toString());
        r.put("data", data.toString());
        r.put("split", split);
        r.put("tokens", evaluated);
        r.put("loss", loss);
        r.put("perplexity", Math.exp(loss));
        r.put("tokens_per_s", evaluated / s);
        if (json) {
          o.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(r));
        } else {
          o.printf("%s on %s (%s): loss %.4f, perplexity %.2f over %,d tokens (%.0f tokens/s)%n", md.dir(), data,
              split, loss, Math.exp(loss), evaluated, evaluated / s);
        }
        o.flush();
      }
    }
    return Main.OK;
  }
}
