// A trained model on disk, ready to use: `sinter eval` and `sinter generate` point at a checkpoint
// directory, a run directory (its newest good checkpoint), or a Hugging Face model directory, and
// get back the model with its weights and, when the directory has one, its tokenizer.
package dev.sinter.train.checkpoint;

import dev.sinter.data.tokenizer.BpeTokenizer;
import dev.sinter.data.tokenizer.TokenizerJson;
import dev.sinter.model.ModelConfig;
import dev.sinter.model.Transformer;
import dev.sinter.tensor.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * A model loaded from a directory.
 *
 * @param dir       the directory the weights came from
 * @param model     the model, weights loaded
 * @param tokenizer the directory's tokenizer.json, or null when it has none
 */
public record ModelDirectory(Path dir, Transformer model, BpeTokenizer tokenizer) {

  /**
   * Loads {@code path}: a directory with model.safetensors (or a shard index) is read as it is (a
   * Sinter checkpoint is verified against its manifest first); otherwise it is a run or
   * checkpoint root and its newest good checkpoint is used.
   */
  public static ModelDirectory load(Path path, Kernels kernels, Consumer<String> warn) {
    Path dir = path;
    boolean weightsHere = Files.exists(path.resolve(CheckpointManager.MODEL))
        || Files.exists(path.resolve(CheckpointLoader.SHARD_INDEX));
    if (!weightsHere) {
      dir = CheckpointLoader.resolve(path, warn).dir();
    } else if (Files.exists(path.resolve(CheckpointManager.MANIFEST))) {
      CheckpointLoader.verify(path);
    }
    ModelConfig cfg = CheckpointLoader.modelConfig(dir);
    Transformer model = new Transformer(cfg, kernels, false);
    CheckpointLoader.loadWeights(dir, cfg, model.layout(), model.params);
    BpeTokenizer tok = null;
    Path tj = dir.resolve(CheckpointManager.TOKENIZER);
    if (Files.exists(tj)) {
      try {
        tok = TokenizerJson.load(tj);
      } catch (IOException e) {
        throw new UncheckedIOException(tj + ": cannot read the tokenizer: " + e.getMessage(), e);
      }
    }
    return new ModelDirectory(dir, model, tok);
  }
}
