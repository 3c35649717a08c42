// Finds, verifies and loads checkpoints. Nothing is trusted before it is checked: the manifest
// lists every file with its size and SHA-256, and a checkpoint whose files do not match is refused
// with the file named. Asked for "the latest", it falls back to the newest good checkpoint with a
// warning. Weights load through the Hugging Face mapping, so the same code imports a transformers
// Llama or GPT-2 directory (single file or sharded with model.safetensors.index.json).
package dev.sinter.train.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.model.HuggingFace;
import dev.sinter.model.ModelConfig;
import dev.sinter.model.ParameterLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Reading side of {@link CheckpointManager}. */
public final class CheckpointLoader {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The index transformers writes beside sharded weights. */
  public static final String SHARD_INDEX = "model.safetensors.index.json";
  /** Manifests and state files are small; anything larger is not ours. */
  private static final long MAX_JSON_BYTES = 64L << 20;
  private static final List<String> REQUIRED = List.of(CheckpointManager.MODEL, CheckpointManager.OPTIMIZER,
      CheckpointManager.CONFIG, CheckpointManager.STATE);

  private CheckpointLoader() {}

  /** A checkpoint whose every file matched its manifest, with its parsed state.json. */
  public record Verified(Path dir, JsonNode state) {
    /** Optimizer steps completed when it was saved. */
    public int step() {
      return state.path("step").asInt();
    }

    /** The loader position (training windows consumed). */
    public long dataPosition() {
      return state.path("data_position").asLong();
    }

    /** The run configuration tree it was trained with. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> config() {
      return JSON.convertValue(state.get("config"), Map.class);
    }
  }

  /**
   * Resolves what a user named: a checkpoint directory (verified, refused if bad), or a checkpoint
   * root or run directory, whose {@code latest} checkpoint is used — or, if that one is bad, the
   * newest good one, with a warning.
   */
  public static Verified resolve(Path path, Consumer<String> warn) {
    if (Files.exists(path.resolve(CheckpointManager.MANIFEST)) || Files.exists(path.resolve(CheckpointManager.STATE))) {
      return verify(path);
    }
    Path root = path;
    if (!Files.exists(root.resolve(CheckpointManager.LATEST)) && Files.isDirectory(path.resolve("checkpoints"))) {
      root = path.resolve("checkpoints");
    }
    if (!Files.isDirectory(root)) {
      throw new CheckpointException(path, "no such checkpoint or run directory");
    }
    return newestGood(root, warn);
  }

  /** The latest checkpoint under {@code root}, else the newest one that verifies. */
  public static Verified newestGood(Path root, Consumer<String> warn) {
    List<Path> candidates = new ArrayList<>();
    Path pointer = root.resolve(CheckpointManager.LATEST);
    if (Files.exists(pointer)) {
      try {
        String name = Files.readString(pointer, StandardCharsets.UTF_8).strip();
        if (name.matches("step-[0-9]+")) {
          candidates.add(root.resolve(name));
        } else {
          warn.accept(pointer + " does not name a checkpoint (\"" + name + "\"); looking for the newest good one");
        }
      } catch (IOException e) {
        warn.accept("cannot read " + pointer + " (" + e.getMessage() + "); looking for the newest good one");
      }
    }
    List<Path> steps = stepDirectories(root);
    for (int i = steps.size() - 1; i >= 0; i--) {
      if (!candidates.contains(steps.get(i))) {
        candidates.add(steps.get(i));
      }
    }
    if (candidates.isEmpty()) {
      throw new CheckpointException(root, "has no checkpoints (no step-* directories)");
    }
    for (Path c : candidates) {
      try {
        Verified v = verify(c);
        if (c != candidates.get(0)) {
          warn.accept("using the newest good checkpoint instead: " + c);
        }
        return v;
      } catch (CheckpointException e) {
        warn.accept("checkpoint " + c + " is unusable: " + e.getMessage());
      }
    }
    throw new CheckpointException(root, "none of its " + candidates.size() + " checkpoints verifies");
  }

  /** The step-* directories under {@code root}, oldest first. */
  static List<Path> stepDirectories(Path root) {
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().matches("step-[0-9]+") && Files.isDirectory(p)).sorted().toList();
    } catch (IOException e) {
      throw new CheckpointException(root, "cannot list checkpoints (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Checks that the manifest exists and that every file it lists has its recorded size and
   * SHA-256, and that the files a checkpoint needs are listed.
   *
   * @throws CheckpointException naming the first file that is missing, truncated or corrupt
   */
  public static Verified verify(Path dir) {
    Path manifestFile = dir.resolve(CheckpointManager.MANIFEST);
    JsonNode manifest = readJson(manifestFile, "the save did not finish; use an older checkpoint");
    if (!CheckpointManager.FORMAT.equals(manifest.path("format").asText())) {
      throw new CheckpointException(manifestFile, "is not a " + CheckpointManager.FORMAT + " manifest");
    }
    JsonNode files = manifest.path("files");
    for (String r : REQUIRED) {
      if (!files.has(r)) {
        throw new CheckpointException(manifestFile, "does not list " + r);
      }
    }
    // Files are hashed in parallel: SHA-256 runs at ~1.4 GB/s per core, slower than a disk reads.
    List<Map.Entry<String, JsonNode>> listed = new ArrayList<>(files.properties());
    listed.parallelStream().forEach(f -> verifyFile(dir, manifestFile, f.getKey(), f.getValue()));
    JsonNode state = readJson(dir.resolve(CheckpointManager.STATE), "the checkpoint is incomplete");
    if (!state.path("config").isObject() || !state.path("step").canConvertToInt()) {
      throw new CheckpointException(dir.resolve(CheckpointManager.STATE), "has no step or config");
    }
    return new Verified(dir, state);
  }

  private static void verifyFile(Path dir, Path manifestFile, String name, JsonNode entry) {
    if (!name.matches("[A-Za-z0-9_.-]+") || name.startsWith(".")) {
      throw new CheckpointException(manifestFile, "lists a file outside the checkpoint: " + name);
    }
    Path file = dir.resolve(name);
    long expected = entry.path("bytes").asLong(-1);
    long actual;
    try {
      actual = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(file, "is missing; the checkpoint is incomplete");
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot be read (" + e.getMessage() + ")", e);
    }
    if (actual != expected) {
      throw new CheckpointException(file, "has " + actual + " bytes but the manifest says " + expected
          + " (truncated or replaced)");
    }
    String sha = sha256(file);
    if (!sha.equals(entry.path("sha256").asText())) {
      throw new CheckpointException(file, "is corrupt: its SHA-256 is " + sha + " but the manifest says "
          + entry.path("sha256").asText());
    }
  }

  /**
   * Loads weights into {@code params} from {@code dir}'s model.safetensors (or the shards named by
   * model.safetensors.index.json), by the Hugging Face names of {@code cfg}, checking every shape.
   *
   * @throws CheckpointException naming the file and tensor that is missing or has the wrong shape
   */
  public static void loadWeights(Path dir, ModelConfig cfg, ParameterLayout layout, float[] params) {
    Map<String, Path> where = weightFiles(dir);
    Map<Path, SafeTensorsReader> open = new LinkedHashMap<>();
    try {
      for (HuggingFace.Mapping mp : HuggingFace.mappings(cfg, layout)) {
        String name = mp.name();
        // transformers drops GPT-2's "transformer." prefix in the files it publishes.
        if (!where.containsKey(name) && name.startsWith("transformer.") && where.containsKey(name.substring(12))) {
          name = name.substring(12);
        }
        Path file = where.get(name);
        if (file == null) {
          throw new CheckpointException(dir, "has no tensor " + mp.name() + "; it was saved for a different model");
        }
        SafeTensorsReader r = open.computeIfAbsent(file, SafeTensorsReader::open);
        r.require(name, longs(mp.shape()));
        if (mp.transposed()) {
          float[] t = new float[mp.size()];
          r.readFloats(name, t, 0);
          mp.load(t, 0, params);
        } else {
          r.readFloats(name, params, mp.offset());
        }
      }
    } finally {
      for (SafeTensorsReader r : open.values()) {
        r.close();
      }
    }
  }

  /** Loads the AdamW moments of {@code dir}'s optimizer.safetensors, checking every shape. */
  public static void loadMoments(Path dir, ParameterLayout layout, float[] m, float[] v) {
    try (SafeTensorsReader r = SafeTensorsReader.open(dir.resolve(CheckpointManager.OPTIMIZER))) {
      for (int which = 1; which <= 2; which++) {
        float[] a = which == 1 ? m : v;
        for (ParameterLayout.Tensor t : layout.tensors()) {
          String name = CheckpointManager.momentName(which, t.name());
          r.require(name, longs(t.shape()));
          r.readFloats(name, a, t.offset());
        }
      }
    }
  }

  private static long[] longs(int[] shape) {
    return java.util.Arrays.stream(shape).asLongStream().toArray();
  }

  /** The model config of a checkpoint or Hugging Face directory, from its config.json. */
  public static ModelConfig modelConfig(Path dir) {
    Path file = dir.resolve(CheckpointManager.CONFIG);
    return HuggingFace.fromConfigJson(readJson(file, "a model directory needs its config.json"), file.toString());
  }

  /** Tensor name → file, for a single model.safetensors or a sharded index. */
  private static Map<String, Path> weightFiles(Path dir) {
    Map<String, Path> where = new LinkedHashMap<>();
    Path single = dir.resolve(CheckpointManager.MODEL);
    Path index = dir.resolve(SHARD_INDEX);
    if (Files.exists(single)) {
      try (SafeTensorsReader r = SafeTensorsReader.open(single)) {
        for (String n : r.tensors().keySet()) {
          where.put(n, single);
        }
      }
    } else if (Files.exists(index)) {
      JsonNode map = readJson(index, "").path("weight_map");
      for (Map.Entry<String, JsonNode> e : map.properties()) {
        String shard = e.getValue().asText();
        if (!shard.matches("[A-Za-z0-9_.-]+") || shard.startsWith(".")) {
          throw new CheckpointException(index, "names a shard outside the directory: " + shard);
        }
        where.put(e.getKey(), dir.resolve(shard));
      }
    } else {
      throw new CheckpointException(dir, "has neither model.safetensors nor model.safetensors.index.json");
    }
    return where;
  }

  private static JsonNode readJson(Path file, String hintWhenMissing) {
    try {
      long size = Files.size(file);
      if (size > MAX_JSON_BYTES) {
        throw new CheckpointException(file, "is " + size + " bytes, too large for a checkpoint's JSON file");
      }
      JsonNode n = JSON.readTree(Files.readAllBytes(file));
      if (n == null || !n.isObject()) {
        throw new CheckpointException(file, "is not a JSON object");
      }
      return n;
    } catch (NoSuchFileException e) {
      throw new CheckpointException(file, "is missing" + (hintWhenMissing.isEmpty() ? "" : "; " + hintWhenMissing));
    } catch (IOException e) {
      throw new CheckpointException(file, "is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")", e);
    }
  }

  /** SHA-256 of a file, lower-case hex, streamed. */
  public static String sha256(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new CheckpointException(file, "cannot be read (" + e.getMessage() + ")", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }
}
