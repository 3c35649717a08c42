// The KV-cache decoder gives the same next-token logits as re-running the whole prefix, and the
// sampler is reproducible and respects its filters.
package dev.sinter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.tensor.Kernels;
import dev.sinter.tensor.Rng;
import dev.sinter.tensor.ThreadPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeneratorTest {

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2"})
  void cachedLogitsMatchFullRecomputation(String flavour) {
    long seed = 99;
    ModelConfig cfg = TransformerGradientTest.tiny(flavour);
    try (ThreadPool pool = new ThreadPool(2)) {
      Transformer model = new Transformer(cfg, Kernels.create("auto", pool), false);
      model.initialize(seed);
      Generator gen = new Generator(model, cfg.maxSeqLen());
      Rng rng = new Rng(seed);
      int[] seq = new int[cfg.maxSeqLen()];
      for (int t = 0; t < seq.length; t++) {
        seq[t] = rng.nextInt(cfg.vocabSize());
        float[] cached = gen.next(seq[t]).clone();
        float[] full = model.lastLogits(seq, t + 1);
        for (int i = 0; i < full.length; i++) {
          assertEquals(full[i], cached[i], 1e-4 * (1 + Math.abs(full[i])),
              "seed " + seed + ", " + flavour + ", position " + t + ", logit " + i);
        }
      }
      assertEquals(cfg.maxSeqLen(), gen.length());
    }
  }

  @Test
  void samplerIsSeededAndFiltered() {
    float[] logits = {0f, 5f, 4.9f, -3f, 1f};
    assertEquals(1, new Sampler(0, 0, 1, 1).sample(logits));
    Sampler a = new Sampler(1.0, 0, 1, 42);
    Sampler b = new Sampler(1.0, 0, 1, 42);
    for (int i = 0; i < 100; i++) {
      assertEquals(a.sample(logits), b.sample(logits));
    }
    Sampler top2 = new Sampler(5.0, 2, 1, 7);
    for (int i = 0; i < 200; i++) {
      int s = top2.sample(logits);
      assertTrue(s == 1 || s == 2, "top-k 2 sampled " + s);
    }
    Sampler nucleus = new Sampler(1.0, 0, 0.3, 7);
    for (int i = 0; i < 200; i++) {
      assertEquals(1, nucleus.sample(logits), "top-p 0.3 keeps only the most likely token");
    }
  }
}
