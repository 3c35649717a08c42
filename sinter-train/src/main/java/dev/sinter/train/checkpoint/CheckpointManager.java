// Saves checkpoints so that work is never lost: each one is written into a hidden temporary
// directory, every file forced to disk, the directory renamed into place, and only then the
// `latest` pointer replaced (itself by an atomic rename). The newest `keep` checkpoints stay.
//
// A checkpoint directory (step-000100/) holds:
//   model.safetensors      weights under Hugging Face names (LlamaForCausalLM / GPT2LMHeadModel)
//   config.json            the transformers config, plus our own model block
//   tokenizer.json         the run's tokenizer, when it has one
//   optimizer.safetensors  AdamW moments under our own tensor names (exp_avg.*, exp_avg_sq.*)
//   state.json             step, loader position, seed, the whole run config
//   manifest.json          size and SHA-256 of every file above; written last
//
// Asynchronous saving copies the three flat buffers (weights, two moments) into snapshot buffers
// at the step boundary — the only time training waits — and a background thread writes them.
package dev.sinter.train.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sinter.data.AtomicFiles;
import dev.sinter.model.HuggingFace;
import dev.sinter.model.ModelConfig;
import dev.sinter.model.ParameterLayout;
import dev.sinter.train.RunRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Writes, rotates and points at the checkpoints of one run. Call from one thread. */
public final class CheckpointManager implements AutoCloseable {
  /** Format tag of state.json and manifest.json. */
  public static final String FORMAT = "sinter-checkpoint/1";
  public static final String MODEL = "model.safetensors";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String CONFIG = "config.json";
  public static final String TOKENIZER = "tokenizer.json";
  public static final String STATE = "state.json";
  public static final String MANIFEST = "manifest.json";
  /** The pointer file naming the newest complete checkpoint directory. */
  public static final String LATEST = "latest";
  /**
   * Test hook: a JVM started with {@code -Dsinter.test.haltDuringSave=N} halts (as if killed) in
   * the middle of writing the checkpoint of step N, after the weights file and before the rest.
   */
  public static final String HALT_PROPERTY = "sinter.test.haltDuringSave";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One completed save: where, how big, how long training waited and how long writing took. */
  public record Saved(int step, Path path, long bytes, double blockingMs, double writeMs) {
    /** The run record's row. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", step);
      m.put("path", path.toString());
      m.put("bytes", bytes);
      m.put("blocking_ms", blockingMs);
      m.put("write_ms", writeMs);
      return m;
    }
  }

  private final Path root;
  private final int keep;
  private final boolean async;
  private final ModelConfig model;
  private final ParameterLayout layout;
  private final List<HuggingFace.Mapping> mappings;
  private final byte[] tokenizerJson;
  private final int bos;
  private final int eos;
  private final ExecutorService writer;
  private final List<Saved> saved = new ArrayList<>();
  private final Integer haltAtStep = Integer.getInteger(HALT_PROPERTY);
  private Future<Saved> pending;
  private float[] snapParams;
  private float[] snapM;
  private float[] snapV;

  /**
   * @param root          the directory that holds step-* directories and the latest pointer
   * @param keep          newest checkpoints to keep (at least 2)
   * @param async         snapshot and write in the background
   * @param tokenizerJson the tokenizer file's bytes, or null when the run has none
   * @param bos           begin-of-text id for config.json, or -1
   * @param eos           end-of-text id for config.json, or -1
   * @param log           receives one line per notable event (stale temporaries removed)
   */
  public CheckpointManager(Path root, int keep, boolean async, ModelConfig model, ParameterLayout layout,
      byte[] tokenizerJson, int bos, int eos, Consumer<String> log) {
    if (keep < 2) {
      throw new IllegalArgumentException("keep must be at least 2 so a good checkpoint always remains, got " + keep);
    }
    this.root = root;
    this.keep = keep;
    this.async = async;
    this.model = model;
    this.layout = layout;
    this.mappings = HuggingFace.mappings(model, layout);
    this.tokenizerJson = tokenizerJson;
    this.bos = bos;
    this.eos = eos;
    try {
      Files.createDirectories(root);
      removeStaleTemporaries(log);
    } catch (IOException e) {
      throw new CheckpointException(root, "cannot create the checkpoint directory (" + e.getMessage() + ")", e);
    }
    this.writer = async ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "checkpoint-writer");
      t.setDaemon(false);
      return t;
    }) : null;
  }

  /** The directory name of step {@code step}'s checkpoint. */
  public static String dirName(int step) {
    return String.format("step-%08d", step);
  }

  /**
   * Saves the state after {@code step}. With async saving this copies the buffers and returns; a
   * failure of the background write surfaces at the next save, {@link #await} or {@link #close}.
   *
   * @param state the JSON-ready training state (step, loader position, config, ...)
   * @return milliseconds the caller was blocked
   */
  public double save(int step, float[] params, float[] m, float[] v, Map<String, Object> state) {
    long t0 = System.nanoTime();
    await();
    if (!async) {
      Saved s = write(step, params, m, v, state, 0);
      double blocking = (System.nanoTime() - t0) / 1e6;
      saved.add(new Saved(s.step(), s.path(), s.bytes(), blocking, s.writeMs()));
      return blocking;
    }
    if (snapParams == null) {
      snapParams = new float[params.length];
      snapM = new float[m.length];
      snapV = new float[v.length];
    }
    System.arraycopy(params, 0, snapParams, 0, params.length);
    System.arraycopy(m, 0, snapM, 0, m.length);
    System.arraycopy(v, 0, snapV, 0, v.length);
    double blocking = (System.nanoTime() - t0) / 1e6;
    pending = writer.submit(() -> write(step, snapParams, snapM, snapV, state, blocking));
    return blocking;
  }

  /** Waits for an in-flight save; rethrows its failure. */
  public void await() {
    if (pending == null) {
      return;
    }
    Future<Saved> p = pending;
    pending = null;
    try {
      saved.add(p.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CheckpointException(root, "interrupted while waiting for a checkpoint save", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CheckpointException(root, "checkpoint save failed: " + e.getCause(), e.getCause());
    }
  }

  /** Every save completed so far, oldest first. */
  public List<Saved> saved() {
    return List.copyOf(saved);
  }

  /** The checkpoint root. */
  public Path root() {
    return root;
  }

  private Saved write(int step, float[] params, float[] m, float[] v, Map<String, Object> state, double blockingMs) {
    long t0 = System.nanoTime();
    String name = dirName(step);
    Path tmp = root.resolve("." + name + ".tmp");
    try {
      deleteTree(tmp);
      Files.createDirectories(tmp);
      Map<String, Map<String, Object>> files = new LinkedHashMap<>();
      // The two large files are written concurrently: each write hashes as it goes, and SHA-256
      // (~1.4 GB/s per core with SHA-NI) would otherwise cap the save below the disk's speed.
      CompletableFuture<SafeTensorsWriter.Written> moments = CompletableFuture.supplyAsync(
          () -> SafeTensorsWriter.write(tmp.resolve(OPTIMIZER), momentEntries(m, v), Map.of("format", "sinter-adamw")),
          r -> Thread.ofPlatform().name("checkpoint-moments").start(r));
      record(files, MODEL, SafeTensorsWriter.write(tmp.resolve(MODEL), modelEntries(params), Map.of("format", "pt")));
      if (haltAtStep != null && haltAtStep == step) {
        Runtime.getRuntime().halt(99);
      }
      record(files, OPTIMIZER, join(moments));
      record(files, CONFIG, writeBytes(tmp.resolve(CONFIG), JSON.writeValueAsBytes(HuggingFace.configJson(model, bos, eos))));
      if (tokenizerJson != null) {
        record(files, TOKENIZER, writeBytes(tmp.resolve(TOKENIZER), tokenizerJson));
      }
      Map<String, Object> st = new LinkedHashMap<>();
      st.put("format", FORMAT);
      st.putAll(state);
      record(files, STATE, writeBytes(tmp.resolve(STATE), JSON.writeValueAsBytes(st)));
      Map<String, Object> manifest = new LinkedHashMap<>();
      manifest.put("format", FORMAT);
      manifest.put("step", step);
      manifest.put("files", files);
      writeBytes(tmp.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
      AtomicFiles.forceDirectory(tmp);
      Path target = root.resolve(name);
      Path old = root.resolve("." + name + ".old");
      if (Files.exists(target)) {
        // Re-saving a step (a resumed run that ends where it began): the complete new copy
        // replaces the old one, which goes only after latest no longer needs it.
        deleteTree(old);
        AtomicFiles.moveAtomically(target, old);
      }
      AtomicFiles.moveAtomically(tmp, target);
      AtomicFiles.write(root.resolve(LATEST), (name + "\n").getBytes(StandardCharsets.UTF_8));
      deleteTree(old);
      prune(name);
      long bytes = 0;
      for (Map<String, Object> f : files.values()) {
        bytes += (Long) f.get("bytes");
      }
      return new Saved(step, target, bytes, blockingMs, (System.nanoTime() - t0) / 1e6);
    } catch (IOException e) {
      throw new CheckpointException(tmp, "cannot write checkpoint of step " + step + " (" + e.getMessage()
          + "); the previous checkpoint and the latest pointer are unchanged", e);
    }
  }

  private static SafeTensorsWriter.Written join(CompletableFuture<SafeTensorsWriter.Written> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(e.getCause());
    }
  }

  private List<SafeTensorsWriter.Entry> modelEntries(float[] params) {
    List<SafeTensorsWriter.Entry> out = new ArrayList<>();
    for (HuggingFace.Mapping mp : mappings) {
      if (mp.transposed()) {
        float[] t = new float[mp.size()];
        mp.export(params, t, 0);
        out.add(new SafeTensorsWriter.Entry(mp.name(), Dtype.F32, mp.shape(), t, 0, t.length));
      } else {
        out.add(new SafeTensorsWriter.Entry(mp.name(), Dtype.F32, mp.shape(), params, mp.offset(), mp.size()));
      }
    }
    return out;
  }

  /** The optimizer file's tensor names: our layout names, so any parallel layout can re-slice them. */
  static String momentName(int which, String tensor) {
    return (which == 1 ? "exp_avg." : "exp_avg_sq.") + tensor;
  }

  private List<SafeTensorsWriter.Entry> momentEntries(float[] m, float[] v) {
    List<SafeTensorsWriter.Entry> out = new ArrayList<>();
    for (int which = 1; which <= 2; which++) {
      float[] a = which == 1 ? m : v;
      for (ParameterLayout.Tensor t : layout.tensors()) {
        out.add(new SafeTensorsWriter.Entry(momentName(which, t.name()), Dtype.F32, t.shape(), a, t.offset(), t.size()));
      }
    }
    return out;
  }

  private static void record(Map<String, Map<String, Object>> files, String name, SafeTensorsWriter.Written w) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("bytes", w.bytes());
    f.put("sha256", w.sha256Hex());
    files.put(name, f);
  }

  /** Writes and forces a small file inside the (not yet visible) temporary directory. */
  private static SafeTensorsWriter.Written writeBytes(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    return new SafeTensorsWriter.Written(bytes.length, RunRecord.sha256(bytes));
  }

  /**
   * Deletes all but the newest {@code keep} step directories up to and including {@code latest}.
   * Directories of later steps (left by a run that was resumed from an earlier checkpoint) are
   * neither counted nor deleted: they are someone's work, and not ours to judge.
   */
  private void prune(String latest) throws IOException {
    List<Path> steps = new ArrayList<>();
    for (Path p : CheckpointLoader.stepDirectories(root)) {
      if (p.getFileName().toString().compareTo(latest) <= 0) {
        steps.add(p);
      }
    }
    for (int i = 0; i < steps.size() - keep; i++) {
      deleteTree(steps.get(i));
    }
  }

  private void removeStaleTemporaries(Consumer<String> log) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.startsWith(".step-") && (n.endsWith(".tmp") || n.endsWith(".old"))) {
          log.accept("removing " + p + ", left by a save that did not finish");
          deleteTree(p);
        }
      }
    }
  }

  /** Deletes {@code dir} and everything under it; nothing if it does not exist. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Waits for the last save and stops the writer thread. */
  @Override
  public void close() {
    try {
      await();
    } finally {
      if (writer != null) {
        writer.shutdown();
      }
    }
  }
}
