// The efficiency factors of the cost model, one profile per kind of chip (efficiency.toml). Every
// factor is documented in docs/planner.md with its origin: taken from a public model (Calculon,
// msmodeling), fitted to the validation set, or measured on the local machine by `plan calibrate`.
package dev.sinter.planner;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One efficiency profile.
 *
 * @param gemmMax         fraction of peak a large matmul reaches
 * @param gemmLaunchS     fixed cost per matmul call (launch, ramp-up, tail)
 * @param gemmTile        rows of a matmul tile: a call with m rows runs m/(tile·⌈m/tile⌉) as fast
 * @param attentionEff    fraction of peak of the unfused attention matmuls (Q·Kᵀ, P·V)
 * @param flashEff        fraction of peak of fused (flash) attention on the FLOPs it executes
 * @param memoryEff       fraction of memory bandwidth the elementwise kernels reach
 * @param vectorLaunchS   fixed cost per elementwise kernel
 * @param kernelsPerLayer elementwise kernels per layer per forward pass
 * @param hPasses         h-wide element passes per token per layer, forward (norms, residuals, biases)
 * @param hPassesDropout  extra h-wide passes when the model has dropout
 * @param fPassesGelu     F-wide passes of the GELU MLP activation (in, out)
 * @param fPassesSwiglu   F-wide passes of SwiGLU (gate, up in; out)
 * @param sPasses         passes over the s×s score matrix without flash (scale+mask+softmax)
 * @param sPassesDropout  extra passes over the scores when the model has dropout
 * @param lossBytes       bytes moved per logit by the loss (fp32 logits written, read, gradient)
 * @param optimizerBytes  bytes moved per parameter by the optimizer step
 * @param tpOverlap       fraction of tensor-parallel communication hidden behind compute
 * @param epOverlap       fraction of expert all-to-all hidden (1F1B / interleaved)
 * @param epOverlapDualpipe fraction of expert all-to-all hidden under DualPipe
 * @param cpOverlap       fraction of context-parallel KV exchange hidden behind attention
 * @param zero3CommEff    fraction of the ideal collective bandwidth ZeRO-3 parameter gathers and
 *                        gradient reductions reach (per-tensor gathers, copies, re-partitioning)
 * @param zero3Overlap    fraction of ZeRO-3 gathers and reductions hidden behind compute
 * @param memoryReserve   fraction of device memory not available to the model (runtime, fragmentation)
 * @param sources         origin of each factor, by key
 */
public record Efficiency(double gemmMax, double gemmLaunchS, double gemmTile, double attentionEff, double flashEff,
    double memoryEff, double vectorLaunchS, double kernelsPerLayer, double hPasses, double hPassesDropout,
    double fPassesGelu, double fPassesSwiglu, double sPasses, double sPassesDropout, double lossBytes,
    double optimizerBytes, double tpOverlap, double epOverlap, double epOverlapDualpipe, double cpOverlap,
    double zero3CommEff, double zero3Overlap, double memoryReserve, Map<String, String> sources) {

  /** The factors in constructor order (file keys). */
  public static final java.util.List<String> FACTORS = java.util.List.of("gemm_max", "gemm_launch_us", "gemm_tile",
      "attention_eff", "flash_eff", "memory_eff", "vector_launch_us", "kernels_per_layer", "h_passes",
      "h_passes_dropout", "f_passes_gelu", "f_passes_swiglu", "s_passes", "s_passes_dropout", "loss_bytes",
      "optimizer_bytes", "tp_overlap", "ep_overlap", "ep_overlap_dualpipe", "cp_overlap", "zero3_comm_eff",
      "zero3_overlap", "memory_reserve");

  /** Keys a profile table may hold: the factors and its [name.sources] table. */
  static final Set<String> KEYS = Stream.concat(FACTORS.stream(), Stream.of("sources"))
      .collect(Collectors.toUnmodifiableSet());

  /** Checks every fraction is a fraction and every cost non-negative. */
  public Efficiency {
    fraction("gemm_max", gemmMax, false);
    fraction("attention_eff", attentionEff, false);
    fraction("flash_eff", flashEff, false);
    fraction("memory_eff", memoryEff, false);
    fraction("tp_overlap", tpOverlap, true);
    fraction("ep_overlap", epOverlap, true);
    fraction("ep_overlap_dualpipe", epOverlapDualpipe, true);
    fraction("cp_overlap", cpOverlap, true);
    fraction("zero3_comm_eff", zero3CommEff, false);
    fraction("zero3_overlap", zero3Overlap, true);
    fraction("memory_reserve", memoryReserve, true);
    for (double d : new double[] {gemmLaunchS, vectorLaunchS, kernelsPerLayer, hPasses, hPassesDropout, fPassesGelu,
        fPassesSwiglu, sPasses, sPassesDropout, lossBytes, optimizerBytes}) {
      if (!(d >= 0)) {
        throw new PlanException("efficiency", "costs and pass counts must be >= 0, got " + d);
      }
    }
    if (!(gemmTile >= 1)) {
      throw new PlanException("efficiency.gemm_tile", "must be >= 1, got " + gemmTile);
    }
    // In the file's order (Map.copyOf would not keep it), so reports list them the same each run.
    sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
  }

  private static void fraction(String key, double v, boolean zeroOk) {
    if (!(v <= 1 && (zeroOk ? v >= 0 : v > 0))) {
      throw new PlanException("efficiency." + key, "must be in " + (zeroOk ? "[0, 1]" : "(0, 1]") + ", got " + v);
    }
  }

  private static final TomlMapper TOML = new TomlMapper();

  /** The profile a chip names; the error lists the profiles there are. */
  public static Efficiency forChip(Map<String, Efficiency> profiles, Chip chip) {
    Efficiency e = profiles.get(chip.profile());
    if (e == null) {
      throw new PlanException(chip.id() + ".profile", "no efficiency profile \"" + chip.profile() + "\" (have: "
          + String.join(", ", profiles.keySet()) + ")");
    }
    return e;
  }

  /** The shipped profiles (efficiency.toml), by name. */
  public static Map<String, Efficiency> builtIn() {
    return parse(ModelCatalog.resource("efficiency.toml"), "efficiency.toml");
  }

  /** Profiles from a file (e.g. the local profile `plan calibrate` writes). */
  public static Map<String, Efficiency> file(Path p) {
    try {
      return parse(Files.readString(p), p.toString());
    } catch (IOException e) {
      throw new PlanException("--efficiency-file", "cannot read " + p + ": " + e.getMessage());
    }
  }

  /** Parses profiles: one TOML table per profile, each key a factor, [name.sources] the origins. */
  @SuppressWarnings("unchecked")
  public static Map<String, Efficiency> parse(String text, String origin) {
    Map<String, Object> tree;
    try {
      tree = TOML.readValue(text, new TypeReference<Map<String, Object>>() {});
    } catch (JacksonException e) {
      throw new PlanException(origin, "not valid TOML: " + e.getOriginalMessage());
    }
    Map<String, Efficiency> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tree.entrySet()) {
      if (!(e.getValue() instanceof Map)) {
        throw new PlanException(origin + ": " + e.getKey(), "must be a table (one per profile)");
      }
      Map<String, Object> t = (Map<String, Object>) e.getValue();
      for (String k : t.keySet()) {
        if (!KEYS.contains(k)) {
          throw new PlanException(origin + ": " + e.getKey() + "." + k, "unknown key (known: "
              + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
        }
      }
      Map<String, String> src = new LinkedHashMap<>();
      if (t.get("sources") instanceof Map<?, ?> sm) {
        sm.forEach((k, v) -> src.put(String.valueOf(k), String.valueOf(v)));
      }
      String p = origin + ": " + e.getKey() + ".";
      out.put(e.getKey(), new Efficiency(num(t, "gemm_max", p), num(t, "gemm_launch_us", p) * 1e-6,
          num(t, "gemm_tile", p), num(t, "attention_eff", p), num(t, "flash_eff", p), num(t, "memory_eff", p),
          num(t, "vector_launch_us", p) * 1e-6, num(t, "kernels_per_layer", p), num(t, "h_passes", p),
          num(t, "h_passes_dropout", p), num(t, "f_passes_gelu", p), num(t, "f_passes_swiglu", p),
          num(t, "s_passes", p), num(t, "s_passes_dropout", p), num(t, "loss_bytes", p), num(t, "optimizer_bytes", p),
          num(t, "tp_overlap", p), num(t, "ep_overlap", p), num(t, "ep_overlap_dualpipe", p), num(t, "cp_overlap", p),
          num(t, "zero3_comm_eff", p), num(t, "zero3_overlap", p), num(t, "memory_reserve", p), src));
    }
    return out;
  }

  private static double num(Map<String, Object> t, String k, String prefix) {
    Object o = t.get(k);
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    throw new PlanException(prefix + k, o == null ? "missing" : "must be a number, got " + o);
  }

  /** The value of a factor by its file key (costs in the file's units: microseconds). */
  public double get(String key) {
    return switch (key) {
      case "gemm_max" -> gemmMax;
      case "gemm_launch_us" -> gemmLaunchS * 1e6;
      case "gemm_tile" -> gemmTile;
      case "attention_eff" -> attentionEff;
      case "flash_eff" -> flashEff;
      case "memory_eff" -> memoryEff;
      case "vector_launch_us" -> vectorLaunchS * 1e6;
      case "kernels_per_layer" -> kernelsPerLayer;
      case "h_passes" -> hPasses;
      case "h_passes_dropout" -> hPassesDropout;
      case "f_passes_gelu" -> fPassesGelu;
      case "f_passes_swiglu" -> fPassesSwiglu;
      case "s_passes" -> sPasses;
      case "s_passes_dropout" -> sPassesDropout;
      case "loss_bytes" -> lossBytes;
      case "optimizer_bytes" -> optimizerBytes;
      case "tp_overlap" -> tpOverlap;
      case "ep_overlap" -> epOverlap;
      case "ep_overlap_dualpipe" -> epOverlapDualpipe;
      case "cp_overlap" -> cpOverlap;
      case "zero3_comm_eff" -> zero3CommEff;
      case "zero3_overlap" -> zero3Overlap;
      case "memory_reserve" -> memoryReserve;
      default -> throw new PlanException("efficiency", "unknown factor \"" + key + "\"");
    };
  }

  /** A copy with one factor replaced, by file key (used by fitting and calibration). */
  public Efficiency with(String key, double v) {
    double[] x = new double[FACTORS.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = FACTORS.get(i).equals(key) ? v : get(FACTORS.get(i));
    }
    if (!FACTORS.contains(key)) {
      get(key);
    }
    return new Efficiency(x[0], x[1] * 1e-6, x[2], x[3], x[4], x[5], x[6] * 1e-6, x[7], x[8], x[9], x[10], x[11],
        x[12], x[13], x[14], x[15], x[16], x[17], x[18], x[19], x[20], x[21], x[22], sources);
  }
}
