// A parallel layout: how one training step is split over the chips (TP, PP with virtual stages,
// DP, EP, CP), how memory is saved (ZeRO stage, recomputation, sequence parallelism, flash
// attention), and the batch (micro-batch, global batch) and precision. Written on the command line
// as "tp=8,pp=8,vpp=3,mbs=1,recompute=selective,...".
package dev.sinter.planner;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One layout, validated on construction (rules that need the model or cluster are checked by
 * {@link CostModel#check}).
 *
 * @param tp           tensor-parallel degree
 * @param pp           pipeline stages
 * @param vpp          model chunks per stage (virtual stages; > 1 = interleaved schedule)
 * @param dp           data-parallel degree
 * @param ep           expert-parallel degree (carved from tp·cp·dp; 1 for dense models)
 * @param cp           context-parallel degree (the sequence split over chips)
 * @param zero         ZeRO stage 0-3 over the data-parallel group
 * @param recompute    activation recomputation
 * @param microBatch   sequences per micro-batch
 * @param globalBatch  sequences per optimizer step
 * @param precision    training precision
 * @param schedule     pipeline schedule
 * @param seqParallel  sequence parallelism in the TP regions (Korthikanti 2022)
 * @param flash        fused (flash) attention: no s×s matrices in memory, causal half executed
 * @param overlapDp    overlap the data-parallel gradient reduction with the last backward
 * @param gradBytes    bytes per gradient element (0 = the precision's default)
 * @param hsdp         hybrid sharding: ZeRO shards only over the data-parallel ranks inside one
 *                     scale-up domain and replicates across domains (FSDP HYBRID_SHARD, PaLM's
 *                     per-pod sharding); gradients are then all-reduced across domains once a step
 */
public record Layout(int tp, int pp, int vpp, int dp, int ep, int cp, int zero, Recompute recompute,
    int microBatch, long globalBatch, Precision precision, Schedule schedule, boolean seqParallel,
    boolean flash, boolean overlapDp, int gradBytes, boolean hsdp) {

  /** Activation recomputation. */
  public enum Recompute {
    /** Keep every activation. */
    NONE,
    /** Recompute only the attention core (Korthikanti 2022 "selective"). */
    SELECTIVE,
    /** Keep each layer's input, re-run the layer's forward in backward. */
    FULL;

    static Recompute parse(String s) {
      return switch (s.strip().toLowerCase(Locale.ROOT)) {
        case "none", "false", "off" -> NONE;
        case "selective", "sel", "attention" -> SELECTIVE;
        case "full", "true", "on" -> FULL;
        default -> throw new PlanException("layout.recompute", "must be none, selective or full, got \"" + s + "\"");
      };
    }

    /** Lower-case name. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Pipeline schedule. */
  public enum Schedule {
    /** One-forward-one-backward (PipeDream-flush), bubble (p−1)/m. */
    ONE_F_ONE_B("1f1b"),
    /** Interleaved 1F1B with vpp chunks per stage, bubble (p−1)/(v·m). */
    INTERLEAVED("interleaved"),
    /** DeepSeek's bidirectional DualPipe: near-zero bubble, 2× parameters, overlapped all-to-all. */
    DUALPIPE("dualpipe");

    private final String label;

    Schedule(String label) {
      this.label = label;
    }

    /** Name as written on the command line. */
    public String label() {
      return label;
    }

    static Schedule parse(String s) {
      for (Schedule x : values()) {
        if (x.label.equalsIgnoreCase(s.strip())) {
          return x;
        }
      }
      throw new PlanException("layout.schedule", "must be 1f1b, interleaved or dualpipe, got \"" + s + "\"");
    }
  }

  /** Checks the degrees and their combinations. */
  public Layout {
    atLeast("layout.tp", tp, 1);
    atLeast("layout.pp", pp, 1);
    atLeast("layout.vpp", vpp, 1);
    atLeast("layout.dp", dp, 1);
    atLeast("layout.ep", ep, 1);
    atLeast("layout.cp", cp, 1);
    atLeast("layout.mbs", microBatch, 1);
    if (globalBatch < 1) {
      throw new PlanException("layout.gbs", "global batch must be >= 1 sequence, got " + globalBatch);
    }
    if (zero < 0 || zero > 3) {
      throw new PlanException("layout.zero", "ZeRO stage must be 0, 1, 2 or 3, got " + zero);
    }
    if (gradBytes != 0 && gradBytes != 2 && gradBytes != 4) {
      throw new PlanException("layout.grad_bytes", "must be 2 or 4 (0 = precision default), got " + gradBytes);
    }
    if (vpp > 1 && schedule != Schedule.INTERLEAVED) {
      throw new PlanException("layout.vpp", "vpp = " + vpp + " needs schedule = interleaved");
    }
    if (schedule == Schedule.INTERLEAVED && (vpp < 2 || pp < 2)) {
      throw new PlanException("layout.schedule", "interleaved needs pp >= 2 and vpp >= 2");
    }
    if (schedule == Schedule.DUALPIPE && (pp < 2 || pp % 2 != 0)) {
      throw new PlanException("layout.schedule", "dualpipe needs an even pp >= 2, got pp = " + pp);
    }
    if (globalBatch % ((long) dp * microBatch) != 0) {
      throw new PlanException("layout.gbs", "global batch " + globalBatch + " must be a multiple of dp x mbs = "
          + dp + " x " + microBatch);
    }
    if (hsdp && zero == 0) {
      throw new PlanException("layout.hsdp", "hybrid sharding needs a ZeRO stage >= 1");
    }
    if (zero >= 2 && pp > 1) {
      throw new PlanException("layout.zero", "ZeRO stage " + zero + " with pipeline parallelism (pp = " + pp
          + ") is not supported (gradients/weights would be re-sharded every micro-batch; DeepSpeed refuses it too)");
    }
  }

  private static void atLeast(String key, int v, int min) {
    if (v < min) {
      throw new PlanException(key, "must be >= " + min + ", got " + v);
    }
  }

  /** Micro-batches per step on each pipeline: m = gbs / (dp · mbs). */
  public long microBatches() {
    return globalBatch / ((long) dp * microBatch);
  }

  /** Chips the layout uses: tp · cp · pp · dp. */
  public long chips() {
    return (long) tp * cp * pp * dp;
  }

  /** Gradient bytes per element in effect. */
  public int effectiveGradBytes() {
    return gradBytes == 0 ? precision.defaultGradBytes() : gradBytes;
  }

  /** The layout as "tp=8,pp=8,..." (parseable back). */
  public String spec() {
    return "tp=" + tp + ",pp=" + pp + ",vpp=" + vpp + ",dp=" + dp + ",ep=" + ep + ",cp=" + cp + ",zero=" + zero
        + ",recompute=" + recompute.label() + ",mbs=" + microBatch + ",gbs=" + globalBatch + ",precision="
        + precision.label() + ",schedule=" + schedule.label() + ",sp=" + seqParallel + ",flash=" + flash
        + ",overlap_dp=" + overlapDp + (gradBytes != 0 ? ",grad_bytes=" + gradBytes : "") + (hsdp ? ",hsdp=true" : "");
  }

  /** A short form for tables: only what differs from 1/none/defaults. */
  public String shortSpec() {
    StringBuilder b = new StringBuilder("TP" + tp + " PP" + pp);
    if (vpp > 1) {
      b.append(" v").append(vpp);
    }
    if (schedule == Schedule.DUALPIPE) {
      b.append(" DualPipe");
    }
    if (cp > 1) {
      b.append(" CP").append(cp);
    }
    b.append(" DP").append(dp);
    if (ep > 1) {
      b.append(" EP").append(ep);
    }
    if (zero > 0) {
      b.append(" Z").append(zero).append(hsdp ? "h" : "");
    }
    b.append(" mbs").append(microBatch);
    if (recompute != Recompute.NONE) {
      b.append(recompute == Recompute.FULL ? " full-rc" : " sel-rc");
    }
    return b.toString();
  }

  /**
   * Defaults for keys a layout string leaves out.
   *
   * @param globalBatch sequences per step
   * @param microBatch  sequences per micro-batch
   * @param recompute   recomputation
   * @param precision   precision
   */
  public record Defaults(long globalBatch, int microBatch, Recompute recompute, Precision precision) {}

  /**
   * Parses "key=value,..." (keys: tp pp vpp dp ep cp zero recompute mbs gbs precision schedule sp
   * flash overlap_dp grad_bytes hsdp). Missing keys take defaults: degrees 1, dp = chips / (tp·cp·pp),
   * zero 0, recompute/mbs/gbs/precision from {@code d}, 1f1b (interleaved when vpp > 1),
   * sp = tp > 1, flash true, overlap_dp true, hsdp false.
   */
  public static Layout parse(String spec, long chips, Defaults d) {
    Map<String, String> kv = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq < 1) {
        throw new PlanException("--layout", "expected key=value, got \"" + part.strip() + "\"");
      }
      String k = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      if (!KEYS.contains(k)) {
        throw new PlanException("--layout", "unknown key \"" + k + "\" (known: " + String.join(" ", KEYS) + ")");
      }
      kv.put(k, part.substring(eq + 1).strip());
    }
    int tp = intOf(kv, "tp", 1);
    int pp = intOf(kv, "pp", 1);
    int cp = intOf(kv, "cp", 1);
    int vpp = intOf(kv, "vpp", 1);
    long denom = (long) tp * pp * cp;
    if (!kv.containsKey("dp") && (denom < 1 || chips % denom != 0)) {
      throw new PlanException("--layout", "tp x pp x cp = " + denom + " does not divide the cluster's " + chips
          + " chips");
    }
    int dp = intOf(kv, "dp", (int) (chips / Math.max(1, denom)));
    long gbs = kv.containsKey("gbs") ? longOf(kv, "gbs") : d.globalBatch();
    if (gbs < 1) {
      throw new PlanException("--layout", "no global batch: give gbs=N (the model has no default)");
    }
    Schedule sch = kv.containsKey("schedule") ? Schedule.parse(kv.get("schedule"))
        : vpp > 1 ? Schedule.INTERLEAVED : Schedule.ONE_F_ONE_B;
    return new Layout(tp, pp, vpp, dp, intOf(kv, "ep", 1), cp, intOf(kv, "zero", 0),
        kv.containsKey("recompute") ? Recompute.parse(kv.get("recompute")) : d.recompute(),
        intOf(kv, "mbs", Math.max(1, d.microBatch())), gbs,
        kv.containsKey("precision") ? Precision.parse(kv.get("precision"), "layout.precision") : d.precision(), sch,
        boolOf(kv, "sp", tp > 1), boolOf(kv, "flash", true), boolOf(kv, "overlap_dp", true),
        intOf(kv, "grad_bytes", 0), boolOf(kv, "hsdp", false));
  }

  static final java.util.List<String> KEYS = java.util.List.of("tp", "pp", "vpp", "dp", "ep", "cp", "zero",
      "recompute", "mbs", "gbs", "precision", "schedule", "sp", "flash", "overlap_dp", "grad_bytes", "hsdp");

  private static int intOf(Map<String, String> kv, String k, int dflt) {
    String v = kv.get(k);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new PlanException("layout." + k, "must be an integer, got \"" + v + "\"");
    }
  }

  private static long longOf(Map<String, String> kv, String k) {
    try {
      return Long.parseLong(kv.get(k));
    } catch (NumberFormatException e) {
      throw new PlanException("layout." + k, "must be an integer, got \"" + kv.get(k) + "\"");
    }
  }

  private static boolean boolOf(Map<String, String> kv, String k, boolean dflt) {
    String v = kv.get(k);
    if (v == null) {
      return dflt;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "on", "yes", "1" -> true;
      case "false", "off", "no", "0" -> false;
      default -> throw new PlanException("layout." + k, "must be true or false, got \"" + v + "\"");
    };
  }
}
