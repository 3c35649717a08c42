// Initialisation is filled block by block on the pool; every value must be the one a plain
// sequential walk of each tensor's stream gives, whatever the thread count.
package dev.sinter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.Rng;
import dev.sinter.tensor.ThreadPool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransformerInitTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void parallelInitialisationEqualsTheSequentialStreams(int threads) {
    // The embedding (2100 × 64) spans three blocks, the last one partial; the rest fit in one.
    ModelConfig cfg = new ModelConfig(2100, 64, 2, 4, 2, 96, 16, "layernorm", "gelu", "learned",
        true, false, 1e-5, 10000, 0.02);
    long seed = 42;
    try (ThreadPool pool = new ThreadPool(threads)) {
      Transformer model = new Transformer(cfg, Kernels.create("auto", pool), false);
      model.initialize(seed);
      ParameterLayout layout = model.layout();
      assertTrue(layout.tokEmbeddings().end() - layout.tokEmbeddings().offset()
          > 2 * Transformer.INIT_BLOCK, "the test needs a tensor of several blocks");
      double residualScale = 1.0 / Math.sqrt(2.0 * cfg.layers());
      for (ParameterLayout.Tensor t : layout.tensors()) {
        Rng rng = Rng.derive(seed, t.name());
        double std = cfg.initStd()
            * (t.kind() == ParameterLayout.Kind.RESIDUAL_MATRIX ? residualScale : 1.0);
        for (int i = t.offset(); i < t.end(); i++) {
          float want = switch (t.kind()) {
            case NORM -> 1f;
            case BIAS -> 0f;
            case EMBEDDING, MATRIX, RESIDUAL_MATRIX -> (float) (rng.nextGaussian() * std);
          };
          assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(model.params[i]),
              t.name() + " element " + (i - t.offset()) + " on " + threads + " thread(s)");
        }
      }
    }
  }
}
