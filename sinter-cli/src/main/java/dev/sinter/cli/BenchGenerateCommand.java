// `sinter bench generate`: decoding speed with the KV cache against re-running the whole prefix for
// every token (the no-cache baseline), on a freshly initialised model of a preset (speed does not
// depend on the weights).
package dev.sinter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.model.Generator;
import dev.sinter.model.Transformer;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.Rng;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainConfig;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Measures tokens/s of generation with and without the KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Tokens/s of generation with the KV cache vs recomputing the prefix for every token.")
public final class BenchGenerateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", defaultValue = "llama-60m", description = "Model preset (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--tokens", defaultValue = "128", description = "Tokens to generate after a 1-token prompt.")
  int tokens;

  @Option(names = "--threads", defaultValue = "0", description = "Threads, 0 = all cores.")
  int threads;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    TrainConfig cfg = ConfigLoader.load(preset, null, List.of());
    if (tokens < 2 || tokens > cfg.model().maxSeqLen()) {
      throw new IllegalArgumentException("--tokens must be in [2, " + cfg.model().maxSeqLen() + "]");
    }
    int n = ThreadPool.resolveThreads(threads);
    double cached;
    double full;
    try (ThreadPool pool = new ThreadPool(n)) {
      Transformer model = new Transformer(cfg.model(), Kernels.create("auto", pool), false);
      model.initialize(1);
      Rng rng = new Rng(7);
      int[] seq = new int[tokens];
      for (int i = 0; i < tokens; i++) {
        seq[i] = rng.nextInt(cfg.model().vocabSize());
      }
      Generator gen = new Generator(model, tokens);
      for (int i = 0; i < tokens; i++) { // warm-up
        gen.next(seq[i]);
      }
      gen.reset();
      long t0 = System.nanoTime();
      for (int i = 0; i < tokens; i++) {
        gen.next(seq[i]);
      }
      cached = tokens / ((System.nanoTime() - t0) / 1e9);
      model.lastLogits(seq, Math.min(8, tokens)); // warm-up
      long t1 = System.nanoTime();
      for (int i = 1; i <= tokens; i++) {
        model.lastLogits(seq, i);
      }
      full = tokens / ((System.nanoTime() - t1) / 1e9);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("preset", preset);
    r.put("tokens", tokens);
    r.put("threads", n);
    r.put("kv_cache_tokens_per_s", cached);
    r.put("no_cache_tokens_per_s", full);
    r.put("speedup", cached / full);
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(r));
    } else {
      out.printf("%s, %d tokens, %d thread(s): KV cache %.1f tokens/s, no cache %.1f tokens/s (%.1fx)%n",
          preset, tokens, n, cached, full, cached / full);
    }
    out.flush();
    return Main.OK;
  }
}
