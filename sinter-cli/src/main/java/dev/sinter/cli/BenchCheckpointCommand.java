// `sinter bench checkpoint`: how fast checkpoints save and load next to what the disk can do,
// measured in the same run on the same directory, and how long an asynchronous save blocks training
// compared with a training step.
package dev.sinter.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.model.Transformer;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import dev.sinter.train.checkpoint.CheckpointLoader;
import dev.sinter.train.checkpoint.CheckpointManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Checkpoint save/load throughput against the disk's sequential speed. */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
    description = "Checkpoint save and load GB/s vs the disk's sequential write/read, and async-save blocking time.")
public final class BenchCheckpointCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", defaultValue = "llama-60m", description = "Model to checkpoint (default ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--dir", paramLabel = "DIR", description = "Where to write (default: a temporary directory).")
  Path dir;

  @Option(names = "--repeats", defaultValue = "3", description = "Measurements of each figure; the best is kept.")
  int repeats;

  @Option(names = "--threads", defaultValue = "0", description = "Kernel threads for the training steps.")
  int threads;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (repeats < 1) {
      throw new IllegalArgumentException("--repeats must be at least 1");
    }
    Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("sinter-ckpt-bench");
    TrainConfig cfg = ConfigLoader.load(preset, null, List.of("train.threads=" + threads, "train.steps=1000"));
    Map<String, Object> r = new LinkedHashMap<>();
    try (Trainer trainer = new Trainer(cfg, 1e9)) {
      Transformer model = trainer.model();
      float[] m = trainer.optimizer().firstMoment();
      float[] v = trainer.optimizer().secondMoment();
      Map<String, Object> state = Map.of("step", 0, "data_position", 0L, "config", Map.of());
      double saveS = Double.MAX_VALUE;
      double loadS = Double.MAX_VALUE;
      double verifyS = Double.MAX_VALUE;
      long bytes = 0;
      boolean cold = false;
      for (int i = 0; i < repeats; i++) {
        Path ck = root.resolve("sync-" + i);
        try (CheckpointManager sync = new CheckpointManager(ck, 2, false, cfg.model(), model.layout(), null, -1, -1, s -> {})) {
          long t0 = System.nanoTime();
          sync.save(1, model.params, m, v, new LinkedHashMap<>(state));
          saveS = Math.min(saveS, (System.nanoTime() - t0) / 1e9);
          bytes = sync.saved().get(0).bytes();
        }
        Path one = ck.resolve(CheckpointManager.dirName(1));
        cold = dropCaches();
        long t1 = System.nanoTime();
        CheckpointLoader.verify(one);
        long t2 = System.nanoTime();
        CheckpointLoader.loadWeights(one, cfg.model(), model.layout(), model.params);
        CheckpointLoader.loadMoments(one, model.layout(), m, v);
        long t3 = System.nanoTime();
        verifyS = Math.min(verifyS, (t2 - t1) / 1e9);
        loadS = Math.min(loadS, (t3 - t1) / 1e9);
        CheckpointManager.deleteTree(ck);
      }
      double[] disk = diskSpeed(root.resolve("disk-probe.bin"), bytes);
      // Async: blocking time against the median step.
      double[] steps = new double[5];
      trainer.trainStep();
      for (int i = 0; i < steps.length; i++) {
        steps[i] = trainer.trainStep().stepMs();
      }
      Arrays.sort(steps);
      double blocking;
      try (CheckpointManager async = new CheckpointManager(root.resolve("async"), 2, true, cfg.model(), model.layout(),
          null, -1, -1, s -> {})) {
        async.save(1, model.params, m, v, new LinkedHashMap<>(state)); // first save allocates the snapshot
        async.await();
        blocking = async.save(2, model.params, m, v, new LinkedHashMap<>(state));
      }
      CheckpointManager.deleteTree(root.resolve("async"));
      r.put("op", "checkpoint");
      r.put("preset", preset);
      r.put("params", model.layout().size());
      r.put("bytes", bytes);
      r.put("save_gbps", bytes / saveS / 1e9);
      r.put("load_gbps", bytes / loadS / 1e9);
      r.put("verify_gbps", bytes / verifyS / 1e9);
      r.put("disk_write_gbps", disk[0]);
      r.put("disk_read_gbps", disk[1]);
      r.put("save_vs_disk", bytes / saveS / 1e9 / disk[0]);
      r.put("load_vs_disk", bytes / loadS / 1e9 / disk[1]);
      r.put("cold_reads", cold);
      r.put("step_ms", steps[steps.length / 2]);
      r.put("async_blocking_ms", blocking);
      r.put("async_blocking_fraction", blocking / steps[steps.length / 2]);
    } finally {
      if (dir == null) {
        CheckpointManager.deleteTree(root);
      }
    }
    if (json) {
      out.println(new ObjectMapper().writeValueAsString(r));
    } else {
      out.printf("checkpoint of %s: %,d params, %.1f MB (weights + 2 moments + JSON)%n", preset, r.get("params"),
          ((Long) r.get("bytes")) / 1e6);
      out.printf("save  %.2f GB/s  vs disk sequential write %.2f GB/s (%.0f%%; write + fsync, SHA-256 while writing)%n",
          r.get("save_gbps"), r.get("disk_write_gbps"), 100 * (double) r.get("save_vs_disk"));
      out.printf("load  %.2f GB/s  vs disk sequential read  %.2f GB/s (%.0f%%; verify every SHA-256, then read; %s)%n",
          r.get("load_gbps"), r.get("disk_read_gbps"), 100 * (double) r.get("load_vs_disk"),
          (boolean) r.get("cold_reads") ? "page cache dropped before each read" : "page cache warm: run as root to drop it");
      out.printf("async save blocks training %.1f ms = %.1f%% of a %.0f ms step%n", r.get("async_blocking_ms"),
          100 * (double) r.get("async_blocking_fraction"), r.get("step_ms"));
    }
    out.flush();
    return Main.OK;
  }

  /** Sequential write (with fsync) and read of {@code bytes} through 8 MiB buffers, in GB/s, best of the repeats. */
  private double[] diskSpeed(Path file, long bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
    double write = 0;
    double read = 0;
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        for (long left = bytes; left > 0; ) {
          buf.clear().limit((int) Math.min(buf.capacity(), left));
          left -= buf.remaining();
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
        }
        ch.force(true);
      }
      dropCaches();
      long t1 = System.nanoTime();
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        buf.clear();
        while (ch.read(buf) >= 0) {
          buf.clear();
        }
      }
      long t2 = System.nanoTime();
      write = Math.max(write, bytes / ((t1 - t0) / 1e9) / 1e9);
      read = Math.max(read, bytes / ((t2 - t1) / 1e9) / 1e9);
    }
    Files.deleteIfExists(file);
    return new double[] {write, read};
  }

  /**
   * Empties the page cache (files were already forced to disk) so reads come from the device;
   * needs root. Returns whether it worked.
   */
  private static boolean dropCaches() {
    try {
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1\n");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }
}
