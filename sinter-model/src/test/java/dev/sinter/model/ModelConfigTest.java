// Bad model shapes fail with the key and the rule in the message.
package dev.sinter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelConfigTest {
  private static ModelConfig make(int dim, int heads, int kv, String norm) {
    return new ModelConfig(100, dim, 2, heads, kv, 64, 32, norm, "swiglu", "rope", false, false, 1e-5, 1e4, 0.02);
  }

  @Test
  void headsMustDivideDim() {
    ConfigException e = assertThrows(ConfigException.class, () -> make(30, 4, 4, "rmsnorm"));
    assertEquals("model.heads", e.key());
    assertTrue(e.getMessage().contains("must divide dim"), e.getMessage());
  }

  @Test
  void kvHeadsMustDivideHeads() {
    ConfigException e = assertThrows(ConfigException.class, () -> make(32, 4, 3, "rmsnorm"));
    assertEquals("model.kv_heads", e.key());
  }

  @Test
  void unknownNormIsNamed() {
    ConfigException e = assertThrows(ConfigException.class, () -> make(32, 4, 2, "batchnorm"));
    assertEquals("model.norm", e.key());
    assertTrue(e.getMessage().contains("rmsnorm, layernorm"), e.getMessage());
  }

  @Test
  void layoutCountsGpt2SmallExactly() {
    // GPT-2 small has 124,439,808 parameters with tied embeddings (Hugging Face's count).
    ModelConfig gpt2 = new ModelConfig(50257, 768, 12, 12, 12, 3072, 1024, "layernorm", "gelu", "learned",
        true, true, 1e-5, 1e4, 0.02);
    assertEquals(124_439_808, new ParameterLayout(gpt2).size());
  }
}
