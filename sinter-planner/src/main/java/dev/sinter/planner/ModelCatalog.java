// Model presets (TOML data files under models/) and model files a user names. One format serves
// both: the engine's training config ([model] with dim, layers, heads, kv_heads, ffn_dim,
// vocab_size, ...), extended with planner-only keys (head_dim, attention = "mla", a [moe] table,
// mtp_depth, [plan] defaults, [sources]). So any engine config file is a planner model file.
// Unknown keys are errors naming the key, as in the engine.
package dev.sinter.planner;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Loads model presets and model files. */
public final class ModelCatalog {
  private static final TomlMapper TOML = new TomlMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** The engine's [model] keys (sinter-train defaults.toml) and the planner's additions. */
  static final Set<String> MODEL_KEYS = Set.of("vocab_size", "dim", "layers", "heads", "kv_heads", "ffn_dim",
      "max_seq_len", "norm", "mlp", "position", "bias", "tie_embeddings", "norm_eps", "rope_theta", "init_std",
      "name", "head_dim", "v_head_dim", "dropout", "parallel_block", "attention", "q_lora_rank", "kv_lora_rank",
      "qk_rope_dim", "attention_params", "mtp_depth");
  static final Set<String> MOE_KEYS = Set.of("dense_layers", "routed_experts", "active_experts", "shared_experts",
      "expert_ffn_dim");
  static final Set<String> PLAN_KEYS = Set.of("seq_len", "global_batch", "micro_batch", "tokens", "description");
  /** Engine sections the planner reads ([train]) or tolerates (the rest do not describe the model). */
  static final Set<String> SECTIONS = Set.of("model", "moe", "plan", "sources", "train", "optim", "data", "log",
      "checkpoint", "parallel");

  /** The shipped presets (models/index.txt), read once: every load() and --model lookup consults them. */
  private static final List<String> PRESETS = readPresets();

  private ModelCatalog() {}

  /** Names of the shipped presets, in index order. */
  public static List<String> presets() {
    return PRESETS;
  }

  private static List<String> readPresets() {
    List<String> names = new ArrayList<>();
    for (String line : resource("models/index.txt").split("\n")) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        names.add(s);
      }
    }
    return List.copyOf(names);
  }

  /** A preset by name, or a model file when the argument is a path to an existing .toml file. */
  public static ModelSpec load(String presetOrPath) {
    if (presets().contains(presetOrPath)) {
      return parse(resource("models/" + presetOrPath + ".toml"), presetOrPath, presetOrPath);
    }
    Path p = Path.of(presetOrPath);
    if (presetOrPath.endsWith(".toml") || Files.exists(p)) {
      if (!Files.isRegularFile(p)) {
        throw new PlanException("--model", "no such model file " + p);
      }
      try {
        String name = p.getFileName().toString().replaceFirst("\\.toml$", "");
        return parse(Files.readString(p), p.toString(), name);
      } catch (IOException e) {
        throw new PlanException("--model", "cannot read " + p + ": " + e.getMessage());
      }
    }
    throw new PlanException("--model", "unknown model \"" + presetOrPath + "\" (presets: "
        + String.join(", ", presets()) + "; or give a path to a TOML file with a [model] table)");
  }

  /**
   * Parses a model file.
   *
   * @param text   TOML text
   * @param origin file name for messages
   * @param name   name used when the file has no model.name
   */
  public static ModelSpec parse(String text, String origin, String name) {
    Map<String, Object> tree;
    try {
      tree = TOML.readValue(text, MAP);
    } catch (JacksonException e) {
      throw new PlanException(origin, "not valid TOML: " + e.getOriginalMessage());
    }
    return fromTree(tree, origin, name);
  }

  /**
   * Reads a model from a parsed configuration tree (section → key → value), such as the engine's
   * merged defaults + preset.
   */
  public static ModelSpec fromTree(Map<String, Object> tree, String origin, String name) {
    for (String section : tree.keySet()) {
      if (!SECTIONS.contains(section)) {
        throw new PlanException(origin + ": " + section, "unknown section (allowed: model, moe, plan, sources,"
            + " and the engine's train, optim, data, log, parallel, checkpoint)");
      }
    }
    Map<String, Object> m = section(tree, "model", origin);
    if (m.isEmpty()) {
      throw new PlanException(origin, "has no [model] table");
    }
    Map<String, Object> moe = section(tree, "moe", origin);
    Map<String, Object> plan = section(tree, "plan", origin);
    Map<String, Object> train = section(tree, "train", origin);
    check(m, MODEL_KEYS, "model", origin);
    check(moe, MOE_KEYS, "moe", origin);
    check(plan, PLAN_KEYS, "plan", origin);
    Map<String, String> sources = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : section(tree, "sources", origin).entrySet()) {
      sources.put(e.getKey(), String.valueOf(e.getValue()));
    }
    int dim = intKey(m, "dim", origin, null);
    int heads = intKey(m, "heads", origin, null);
    String attention = str(m, "attention", "mha");
    if (!Set.of("mha", "gqa", "mla").contains(attention)) {
      throw new PlanException(origin + ": model.attention", "must be mha, gqa or mla, got \"" + attention + "\"");
    }
    boolean mla = attention.equals("mla");
    if (!m.containsKey("head_dim") && dim % heads != 0) {
      throw new PlanException(origin + ": model.heads", "heads (" + heads + ") must divide dim (" + dim
          + ") unless head_dim is given");
    }
    int headDim = intKey(m, "head_dim", origin, dim / heads);
    String mlp = str(m, "mlp", "swiglu");
    if (!Set.of("swiglu", "gelu").contains(mlp)) {
      throw new PlanException(origin + ": model.mlp", "must be swiglu or gelu, got \"" + mlp + "\"");
    }
    String position = str(m, "position", "rope");
    int maxSeq = intKey(m, "max_seq_len", origin, 2048);
    int seq = plan.containsKey("seq_len") ? intKey(plan, "seq_len", origin, null)
        : train.containsKey("seq_len") ? intKey(train, "seq_len", origin, null) : maxSeq;
    long batch = plan.containsKey("global_batch") ? longKey(plan, "global_batch", origin, 0L)
        : train.containsKey("batch_size") ? longKey(train, "batch_size", origin, 0L)
            * longKey(train, "grad_accum", origin, 1L) : 0;
    int micro = plan.containsKey("micro_batch") ? intKey(plan, "micro_batch", origin, null)
        : train.containsKey("batch_size") ? intKey(train, "batch_size", origin, null) : 0;
    boolean recompute = bool(train, "recompute", false, origin);
    try {
      return new ModelSpec(str(m, "name", name), intKey(m, "layers", origin, null), dim, heads,
          intKey(m, "kv_heads", origin, heads), headDim, intKey(m, "v_head_dim", origin, headDim),
          longKey(m, "ffn_dim", origin, null), intKey(m, "vocab_size", origin, null), seq, mlp.equals("swiglu"),
          bool(m, "tie_embeddings", false, origin), position.equals("learned"), bool(m, "dropout", false, origin),
          bool(m, "bias", false, origin), bool(m, "parallel_block", false, origin), mla,
          intKey(m, "q_lora_rank", origin, 0), intKey(m, "kv_lora_rank", origin, 0), intKey(m, "qk_rope_dim", origin, 0),
          longKey(m, "attention_params", origin, 0L), intKey(moe, "dense_layers", origin, 0),
          intKey(moe, "routed_experts", origin, 0), intKey(moe, "active_experts", origin, 0),
          intKey(moe, "shared_experts", origin, 0), longKey(moe, "expert_ffn_dim", origin, 0L),
          intKey(m, "mtp_depth", origin, 0), batch, dbl(plan, "tokens", 0, origin), micro, recompute, sources);
    } catch (PlanException e) {
      throw new PlanException(origin + ": " + e.key(), e.getMessage().substring(e.key().length() + 2));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> tree, String name, String origin) {
    Object o = tree.get(name);
    if (o == null) {
      return Map.of();
    }
    if (!(o instanceof Map)) {
      throw new PlanException(origin + ": " + name, "must be a table");
    }
    return (Map<String, Object>) o;
  }

  private static void check(Map<String, Object> t, Set<String> allowed, String section, String origin) {
    for (String k : t.keySet()) {
      if (!allowed.contains(k)) {
        throw new PlanException(origin + ": " + section + "." + k, "unknown key (allowed: "
            + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
      }
    }
  }

  private static String str(Map<String, Object> t, String k, String dflt) {
    Object o = t.get(k);
    return o == null ? dflt : String.valueOf(o);
  }

  private static boolean bool(Map<String, Object> t, String k, boolean dflt, String origin) {
    Object o = t.get(k);
    if (o == null) {
      return dflt;
    }
    if (o instanceof Boolean b) {
      return b;
    }
    throw new PlanException(origin + ": " + k, "must be true or false, got " + o);
  }

  private static long longKey(Map<String, Object> t, String k, String origin, Long dflt) {
    Object o = t.get(k);
    if (o == null) {
      if (dflt == null) {
        throw new PlanException(origin + ": model." + k, "missing (every model file needs dim, layers, heads,"
            + " ffn_dim and vocab_size)");
      }
      return dflt;
    }
    if (o instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.longValue();
    }
    throw new PlanException(origin + ": " + k, "must be an integer, got " + o);
  }

  private static int intKey(Map<String, Object> t, String k, String origin, Integer dflt) {
    long v = longKey(t, k, origin, dflt == null ? null : (long) dflt);
    if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
      throw new PlanException(origin + ": " + k, "out of range: " + v);
    }
    return (int) v;
  }

  private static double dbl(Map<String, Object> t, String k, double dflt, String origin) {
    Object o = t.get(k);
    if (o == null) {
      return dflt;
    }
    if (o instanceof Number n) {
      return n.doubleValue();
    }
    throw new PlanException(origin + ": " + k, "must be a number, got " + o);
  }

  static String resource(String name) {
    try (InputStream in = ModelCatalog.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing planner resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
