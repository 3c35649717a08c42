// Collective times over the two-tier network (NCCL-tests bus-bandwidth model, ref README §5.6).
// A group of g chips laid out with a stride over the rank order (TP innermost, then CP, DP, PP)
// has m members inside each scale-up domain and spans k domains. Collectives run hierarchically:
// the intra-domain part over the scale-up fabric, the inter-domain part over each chip's own
// scale-out link, each with a bandwidth term and a latency term:
//   all-reduce      2·S·(m−1)/m / B_up + 2·(S/m)·(k−1)/k / B_out + 2·(⌈log2 m⌉·α_up + ⌈log2 k⌉·α_out)
//   all-gather / reduce-scatter (S = the full gathered size): half the bandwidth terms
//   all-to-all      max(S·(m−1)/g / B_up, S·(g−m)/g / B_out) + α_up + α_out      (S = bytes a chip holds)
//   point-to-point  S / B + α, over the tier that separates the two chips
// B = link bandwidth × efficiency (both from the chip's catalog entry).
package dev.sinter.planner;

/** Communication time model. */
final class Net {
  private Net() {}

  /** Members of a (size g, stride) group inside one domain of D chips. */
  static int membersPerDomain(int g, long stride, int domain) {
    if (g <= 1) {
      return 1;
    }
    if (stride >= domain) {
      return 1;
    }
    long m = domain / stride;
    return (int) Math.min(g, Math.max(1, m));
  }

  /** Achieved scale-up bandwidth per chip: link bandwidth × efficiency. */
  private static double up(Chip c) {
    return c.upBytesPerS() * c.upEfficiency();
  }

  /** Achieved scale-out bandwidth per chip. */
  private static double out(Chip c) {
    return c.outBytesPerS() * c.outEfficiency();
  }

  private static int log2ceil(int x) {
    return x <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(x - 1);
  }

  /** All-reduce of S bytes per chip over a group. */
  static double allReduce(Chip c, double bytes, int g, long stride) {
    // A reduce-scatter then an all-gather: twice the traffic and the latency of one of them.
    return 2 * gather(c, bytes, g, stride);
  }

  /** All-gather or reduce-scatter; {@code bytes} is the full (gathered) size. */
  static double gather(Chip c, double bytes, int g, long stride) {
    if (g <= 1 || bytes <= 0) {
      return 0;
    }
    int m = membersPerDomain(g, stride, c.upDomain());
    int k = (g + m - 1) / m;
    double t = bytes * (m - 1) / m / up(c) + (bytes / m) * (k - 1) / k / out(c);
    return t + log2ceil(m) * c.upLatencyS() + log2ceil(k) * c.outLatencyS();
  }

  /**
   * All-gather or reduce-scatter issued flat over the whole group, as ZeRO-3 / FSDP parameter
   * gathers are: no aggregation inside a domain, so each chip's share from other domains crosses
   * its own scale-out link: S·(m−1)/g / B_up + S·(g−m)/g / B_out, latency ⌈log2 g⌉·α.
   */
  static double gatherFlat(Chip c, double bytes, int g, long stride) {
    if (g <= 1 || bytes <= 0) {
      return 0;
    }
    int m = membersPerDomain(g, stride, c.upDomain());
    return bytes * (m - 1) / g / up(c) + bytes * (g - m) / g / out(c)
        + log2ceil(g) * (g > m ? c.outLatencyS() : c.upLatencyS());
  }

  /** All-to-all where each chip holds {@code bytes} to redistribute evenly over the group. */
  static double allToAll(Chip c, double bytes, int g, long stride) {
    if (g <= 1 || bytes <= 0) {
      return 0;
    }
    int m = membersPerDomain(g, stride, c.upDomain());
    double intra = bytes * (m - 1) / g / up(c);
    double inter = bytes * (g - m) / g / out(c);
    return Math.max(intra, inter) + c.upLatencyS() + (g > m ? c.outLatencyS() : 0);
  }

  /** Point-to-point transfer between chips {@code stride} ranks apart. */
  static double p2p(Chip c, double bytes, long stride) {
    if (bytes <= 0) {
      return 0;
    }
    boolean inside = stride < c.upDomain();
    return inside ? bytes / up(c) + c.upLatencyS() : bytes / out(c) + c.outLatencyS();
  }
}
