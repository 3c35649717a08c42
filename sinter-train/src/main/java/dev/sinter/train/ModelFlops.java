// Bridges a model's parameter layout to the shared FLOPs formula (dev.sinter.telemetry.Flops).
package dev.sinter.train;

import dev.sinter.model.ModelConfig;
import dev.sinter.model.ParameterLayout;
import dev.sinter.telemetry.Flops;

/** The {@link Flops.Shape} of a model trained at a given sequence length. */
public final class ModelFlops {
  private ModelFlops() {}

  /** N leaves out an untied token embedding and a learned position table: both are only looked up. */
  public static Flops.Shape shape(ModelConfig cfg, ParameterLayout layout, int seqLen) {
    long n = layout.size();
    if (!cfg.tieEmbeddings()) {
      n -= layout.tokEmbeddings().size();
    }
    if (layout.posEmbeddings() != null) {
      n -= layout.posEmbeddings().size();
    }
    long blocks = 0;
    for (ParameterLayout.Block b : layout.blocks()) {
      blocks += b.end() - b.start();
    }
    return new Flops.Shape(n, blocks, cfg.layers(), cfg.heads(), cfg.headSize(), seqLen);
  }
}
