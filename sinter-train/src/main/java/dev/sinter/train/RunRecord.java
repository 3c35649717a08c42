// The run record (run.json): what ran, on what, how fast, at what cost. It is rewritten atomically
// at every checkpoint and at the end, so a crashed run still leaves a record of what it did. The
// schema ("sinter-run/1") is documented in docs/architecture.md and read by `sinter report` and
// `sinter verify`; losses are stored as exact doubles so a re-run can be compared bit for bit.
package dev.sinter.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sinter.data.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Accumulates a run's figures and writes run.json. */
public final class RunRecord {
  /** Format tag of run.json. */
  public static final String FORMAT = "sinter-run/1";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Phases of the time split, in report order. */
  public static final List<String> PHASES =
      List.of("forward", "backward", "optimizer", "data", "validation", "checkpoint", "communication");

  private final Map<String, Object> head = new LinkedHashMap<>();
  private final List<Map<String, Object>> steps = new ArrayList<>();
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final List<Map<String, Object>> checkpoints = new ArrayList<>();
  private final Map<String, Object> tail = new LinkedHashMap<>();
  private final Instant started = Instant.now();
  private final long startNanos = System.nanoTime();

  /**
   * @param runId   a name for the run, e.g. its directory's
   * @param command the command line that started it
   * @param config  the resolved configuration tree
   */
  public RunRecord(String runId, String command, Map<String, Object> config) {
    head.put("format", FORMAT);
    head.put("run_id", runId);
    head.put("status", "running");
    head.put("started", started.toString());
    head.put("command", command);
    head.put("config", config);
    head.put("config_sha256", sha256(canonical(config)));
    for (String p : PHASES) {
      seconds.put(p, 0.0);
    }
  }

  /** Sets a top-level section (code, data, machine, model, resumed_from, ...). */
  public void put(String key, Object value) {
    head.put(key, value);
  }

  /** Adds one step's row (loss, lr, grad norm, tokens/s, MFU, ...). */
  public void step(Map<String, Object> row) {
    steps.add(row);
  }

  /** Adds {@code s} seconds to a phase of the time split. */
  public void time(String phase, double s) {
    if (!seconds.containsKey(phase)) {
      throw new IllegalArgumentException("unknown phase " + phase);
    }
    seconds.merge(phase, s, Double::sum);
  }

  /** Records a completed checkpoint save. */
  public void checkpoint(Map<String, Object> saved) {
    checkpoints.add(saved);
  }

  /** Sets a closing section (totals, memory, energy, weights_sha256, ...). */
  public void finish(String key, Object value) {
    tail.put(key, value);
  }

  /** Seconds since the record was created. */
  public double wallSeconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** The steps recorded so far. */
  public List<Map<String, Object>> steps() {
    return steps;
  }

  /** The record as a JSON-ready map, with {@code status}. */
  public Map<String, Object> toMap(String status) {
    Map<String, Object> m = new LinkedHashMap<>(head);
    m.put("status", status);
    if (!status.equals("running")) {
      m.put("finished", Instant.now().toString());
    }
    m.put("steps", steps);
    double wall = wallSeconds();
    Map<String, Object> split = new LinkedHashMap<>();
    double busy = 0;
    for (Map.Entry<String, Double> e : seconds.entrySet()) {
      split.put(e.getKey(), e.getValue());
      busy += e.getValue();
    }
    split.put("idle", Math.max(0, wall - busy));
    m.put("time_split_s", split);
    m.put("checkpoints", checkpoints);
    m.putAll(tail);
    return m;
  }

  /** Writes the record atomically. */
  public void write(Path file, String status) {
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(toMap(status)));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the run record " + file + ": " + e.getMessage(), e);
    }
  }

  /** The config with sorted keys, so its hash does not depend on the order of layers. */
  static byte[] canonical(Map<String, Object> config) {
    try {
      return JSON.copy().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
          .disable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SHA-256, lower-case hex. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  /** SHA-256 of the whole float array's little-endian bytes: an identity for final weights. */
  public static String sha256(float[] a) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < a.length; ) {
        buf.clear();
        int n = Math.min(a.length - i, buf.capacity() / 4);
        buf.asFloatBuffer().put(a, i, n);
        md.update(buf.array(), 0, n * 4);
        i += n;
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides SHA-256", e);
    }
  }

  /**
   * The code that ran: the project version and, when it runs from a git checkout, the commit and
   * whether the tree had local changes.
   */
  public static Map<String, Object> codeVersion() {
    Map<String, Object> m = new LinkedHashMap<>();
    String v = RunRecord.class.getPackage().getImplementationVersion();
    m.put("version", v == null ? "0.1.0-SNAPSHOT" : v);
    Path dir = gitRoot();
    String commit = "unknown";
    Object dirty = null;
    if (dir != null) {
      commit = git(dir, "rev-parse", "HEAD");
      String status = git(dir, "status", "--porcelain", "--untracked-files=no");
      dirty = status.equals("unknown") ? null : !status.isEmpty();
    }
    m.put("git_commit", commit);
    m.put("git_dirty", dirty);
    return m;
  }

  private static Path gitRoot() {
    try {
      Path p = Path.of(RunRecord.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
      for (; p != null; p = p.getParent()) {
        if (Files.exists(p.resolve(".git"))) {
          return p;
        }
      }
    } catch (Exception e) {
      // No code source (a custom class loader): the commit stays unknown.
    }
    return null;
  }

  private static String git(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor() == 0 ? out : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
