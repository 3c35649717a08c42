// Shared test fixtures: the shipped catalogs, GPT shapes as Megatron trains them, and short-hands for
// jobs and layouts.
package dev.sinter.planner;

import java.util.Map;

final class Fixtures {
  private Fixtures() {}

  static final HardwareCatalog HW = HardwareCatalog.builtIn();
  static final Map<String, Efficiency> PROFILES = Efficiency.builtIn();
  static final Planner PLANNER = new Planner(HW, PROFILES);

  /** A Megatron GPT (4h GELU MLP, MHA, tied embeddings, learned positions, V = 51,200, s = 2048). */
  static ModelSpec gpt(String name, int layers, int hidden, int heads) {
    return new ModelSpec(name, layers, hidden, heads, heads, hidden / heads, hidden / heads, 4L * hidden, 51200,
        2048, false, true, true, true, true, false, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, Map.of());
  }

  static Job job(ModelSpec m, String chip, int count) {
    return PLANNER.job(m, new Cluster(HW.get(chip), count), 0, 0);
  }

  static Layout layout(String spec, long chips, long gbs) {
    return Layout.parse(spec, chips, new Layout.Defaults(gbs, 1, Layout.Recompute.NONE, Precision.BF16));
  }
}
