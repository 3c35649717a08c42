// A cluster: a number of identical chips. The network is the chip's two tiers: chips inside one
// scale-up domain (node, rack, supernode) talk over the scale-up fabric, others over scale-out.
package dev.sinter.planner;

/**
 * @param chip  the chip
 * @param count number of chips
 */
public record Cluster(Chip chip, int count) {
  /** Refuses empty clusters. */
  public Cluster {
    if (count < 1) {
      throw new PlanException("--cluster", "chip count must be >= 1, got " + count);
    }
  }

  /** Parses "CHIP:COUNT", e.g. "h100:1024" or "ascend_910c:1024". */
  public static Cluster parse(String spec, HardwareCatalog catalog) {
    int colon = spec.lastIndexOf(':');
    if (colon < 1 || colon == spec.length() - 1) {
      throw new PlanException("--cluster", "expected CHIP:COUNT (e.g. h100:1024), got \"" + spec + "\"");
    }
    int n;
    try {
      n = Integer.parseInt(spec.substring(colon + 1).strip().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new PlanException("--cluster", "chip count must be an integer, got \"" + spec.substring(colon + 1) + "\"");
    }
    return new Cluster(catalog.get(spec.substring(0, colon)), n);
  }

  /** "CHIP:COUNT". */
  public String label() {
    return chip.id() + ":" + count;
  }
}
