// `sinter generate`: continue a prompt with a trained model — KV-cache decoding with temperature,
// top-k and top-p sampling, a seed, tokens streamed to the terminal and the speed reported.
package dev.sinter.cli;

import dev.sinter.model.Sampler;
import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.ThreadPool;
import dev.sinter.train.checkpoint.ModelDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Samples a completion from a model directory. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Continue a prompt with a trained model (checkpoint, run directory or Hugging Face directory).")
public final class GenerateCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "A checkpoint, a run directory (its newest good checkpoint) or a Hugging Face model directory.")
  Path model;

  @Option(names = "--prompt", required = true, description = "Text to continue.")
  String prompt;

  @Option(names = "--max-tokens", defaultValue = "200", description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "40", description = "Keep the k most likely tokens; 0 = all (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus: keep the smallest set with this mass (default ${DEFAULT-VALUE}).")
  double topP;

  @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", defaultValue = "0", description = "Kernel threads, 0 = all cores.")
  int threads;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (maxTokens < 1) {
      throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
    }
    try (ThreadPool pool = new ThreadPool(ThreadPool.resolveThreads(threads))) {
      ModelDirectory md = ModelDirectory.load(model, Kernels.create("auto", pool), w -> err.println("warning: " + w));
      if (md.tokenizer() == null) {
        throw new IllegalArgumentException(md.dir() + " has no tokenizer.json to turn the prompt into ids");
      }
      Completion.Result r = Completion.run(md.model(), md.tokenizer(), prompt, maxTokens,
          new Sampler(temperature, topK, topP, seed), false, o);
      err.printf("%d tokens in %.2f s: %.1f tokens/s (KV cache, %d thread(s))%n", r.tokens(), r.seconds(),
          r.tokensPerSecond(), pool.threads());
      err.flush();
    }
    return Main.OK;
  }
}
