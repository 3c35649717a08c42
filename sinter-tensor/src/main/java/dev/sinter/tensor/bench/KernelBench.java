// Times VectorGemm on the matmul shapes of transformer training, beside the FMA peak and OpenBLAS.
//
// For each shape and thread count: warm-up (the Vector API needs 1–2 s of JIT), then timed rounds;
// best and median GFLOP/s (2·M·N·K FLOP per call). OpenBLAS, when installed, runs the identical
// problem (same form mapped to cblas_sgemm transpose flags, same arrays) in alternation with ours,
// so both see the same background load. Multi-threaded, each timed call of either side follows a
// pause (OpenBLAS's workers spin on after a call and would steal a core) and an untimed call that
// wakes its own side's workers, so both start awake, as between the matmuls of a training step.
package dev.sinter.tensor.bench;

import dev.sinter.tensor.ThreadPool;
import dev.sinter.tensor.VectorGemm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/** Matmul throughput of the three training forms; see {@link #main} for a command line. */
public final class KernelBench {
  /** Size of the wake-up sgemm: OpenBLAS splits WAKE³ over its threads, which spin after it. */
  private static final int WAKE = 256;

  /** The three forms of {@code VectorGemm}. */
  public enum Form {
    FORWARD("forward"), BACKWARD_INPUT("backward_input"), BACKWARD_WEIGHT("backward_weight");

    private final String label;

    Form(String label) {
      this.label = label;
    }

    /** The name used in tables and JSON. */
    public String label() {
      return label;
    }
  }

  /** One problem: {@code m, n, k} are the arguments of the VectorGemm call of that form. */
  public record Shape(String name, Form form, int m, int n, int k) {
    /** Floating-point operations of one call. */
    public double flops() {
      return 2.0 * m * n * k;
    }
  }

  /**
   * One measurement.
   *
   * @param op always "matmul"
   * @param form "forward", "backward_input" or "backward_weight"
   * @param gflops best GFLOP/s over the timed rounds
   * @param gflopsMedian median GFLOP/s
   * @param peakGflops measured per-core FMA peak × threads
   * @param openblasGflops best GFLOP/s of OpenBLAS on the same problem, null when not installed
   * @param openblasGflopsMedian median of OpenBLAS, null when not installed
   * @param pairedRatioMedian median over the rounds of ours ÷ OpenBLAS in the same round (the two
   *     calls run back to back, so they share the machine's state of the moment; on a machine
   *     whose load drifts this is the steadiest comparison), null when not installed
   */
  public record Row(String op, String form, String shape, int m, int n, int k, int threads,
      double gflops, double gflopsMedian, double peakGflops, Double openblasGflops,
      Double openblasGflopsMedian, Double pairedRatioMedian) {
    /** Best GFLOP/s as a fraction of the measured FMA peak. */
    public double fractionOfPeak() {
      return gflops / peakGflops;
    }

    /** Best GFLOP/s as a fraction of OpenBLAS's best, or null without OpenBLAS. */
    public Double fractionOfOpenBlas() {
      return openblasGflops == null ? null : gflops / openblasGflops;
    }
  }

  private KernelBench() {}

  /** GPT-2-small MLP layers (C=768, 4C=3072) at 1024 and 4096 tokens; square 1024 and 2048. */
  public static List<Shape> trainingShapes() {
    return List.of(
        new Shape("sq1024", Form.FORWARD, 1024, 1024, 1024),
        new Shape("sq2048", Form.FORWARD, 2048, 2048, 2048),
        new Shape("fc1024", Form.FORWARD, 1024, 3072, 768),
        new Shape("fc1024", Form.BACKWARD_INPUT, 1024, 3072, 768),
        new Shape("fc1024", Form.BACKWARD_WEIGHT, 1024, 3072, 768),
        new Shape("fc4096", Form.FORWARD, 4096, 3072, 768),
        new Shape("fc4096", Form.BACKWARD_INPUT, 4096, 3072, 768),
        new Shape("fc4096", Form.BACKWARD_WEIGHT, 4096, 3072, 768));
  }

  /**
   * Measures every shape at every thread count.
   *
   * @param peak FMA peak; each row is judged against its per-core figure × the row's threads
   * @param onRow called as each row is ready (for live output); may be null
   */
  public static List<Row> run(List<Shape> shapes, int[] threadCounts, FmaPeak.Result peak,
      Optional<OpenBlas> blas, int rounds, double warmupSeconds, Consumer<Row> onRow) {
    List<Row> rows = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(42);
    // Operand and output of the small sgemm that wakes OpenBLAS's workers before its timed calls.
    float[] wakeArrays = blas.isPresent() ? new float[2 * WAKE * WAKE] : null;
    warmUpAllForms(threadCounts, warmupSeconds, rnd);
    for (Shape s : shapes) {
      // The previous shape's arrays (up to ~60 MB) are garbage now; collect them outside the timed
      // region rather than letting a collection land in the middle of this shape.
      System.gc();
      Operands o = new Operands(s, rnd);
      for (int threads : threadCounts) {
        try (ThreadPool pool = new ThreadPool(threads)) {
          OpenBlas lib = blas.orElse(null);
          if (lib != null) {
            lib.setThreads(threads);
          }
          Runnable wakeBlas = lib == null || threads == 1 ? null : () -> wakeUp(lib, wakeArrays);
          double[][] g = time(() -> o.vector(pool), threads == 1 ? null : () -> wakeUp(pool),
              lib == null ? null : () -> o.openBlas(lib), wakeBlas, s.flops(), rounds,
              warmupSeconds);
          // Per-core peak × threads, as MFU is measured (see docs/benchmarks.md): the all-core
          // probe has read 102-176 GFLOP/s on this 2-vCPU machine when a co-tenant or a JIT
          // thread held the second core, against 2 × 100 when quiet.
          double peakGflops = peak.perCoreGflops() * threads;
          Row row = new Row("matmul", s.form().label(), s.name(), s.m(), s.n(), s.k(), threads,
              g[0][0], g[0][1], peakGflops, lib == null ? null : g[1][0],
              lib == null ? null : g[1][1], lib == null ? null : g[2][0]);
          rows.add(row);
          if (onRow != null) {
            onRow.accept(row);
          }
        }
      }
    }
    return rows;
  }

  /**
   * Runs every form on a mid-sized problem at every thread count before anything is timed, so the
   * first shape measured does not share the cores with the JIT compiling the driver's other paths
   * (the first shape read 7-11 points lower against OpenBLAS than when measured later).
   */
  private static void warmUpAllForms(int[] threadCounts, double seconds, SplittableRandom rnd) {
    for (Form f : Form.values()) {
      Operands o = new Operands(new Shape("warm-up", f, 512, 768, 512), rnd);
      for (int threads : threadCounts) {
        try (ThreadPool pool = new ThreadPool(threads)) {
          long deadline = System.nanoTime() + (long) (seconds / 2 * 1e9);
          do {
            o.vector(pool);
          } while (System.nanoTime() < deadline);
        }
      }
    }
  }

  /**
   * Warms both up, then alternates timed calls of ours and of the baseline (null: none), so that
   * drifting load on a shared machine hits both alike. Returns {best, median} GFLOP/s of each,
   * then {median of the per-round ratio ours ÷ baseline} (0 without a baseline).
   *
   * <p>Multi-threaded, both sides' timed calls start from the same state. First a pause, so that
   * the other side's workers have stopped spinning (OpenBLAS's keep spinning for a while after a
   * call and would steal a core). Then an untimed {@code wake} call of its own side, so that its
   * workers are awake, as between the back-to-back matmuls of a training step; without it each
   * call would also time waking workers that parked during the pause (a thread ran no task for
   * 0.8-3 ms of a 30 ms call on this machine's vCPUs, 0.4 ms with the pool woken first).
   *
   * @param oursWake wakes our pool's workers (null: single-threaded, nothing to wake)
   * @param baselineWake wakes the baseline's workers (null: single-threaded)
   */
  static double[][] time(Runnable ours, Runnable oursWake, Runnable baseline,
      Runnable baselineWake, double flops, int rounds, double warmupSeconds) {
    boolean pauses = baselineWake != null;
    long deadline = System.nanoTime() + (long) (warmupSeconds * 1e9);
    int warm = 0;
    while (warm < 2 || System.nanoTime() < deadline) {
      ours.run();
      warm++;
    }
    if (baseline != null) {
      baseline.run();
      baseline.run();
    }
    double[] g = new double[rounds];
    double[] h = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      g[r] = timed(ours, oursWake, pauses, flops);
      if (baseline != null) {
        h[r] = timed(baseline, baselineWake, pauses, flops);
      }
    }
    double[] ratio = new double[baseline == null ? 1 : rounds];
    for (int r = 0; baseline != null && r < rounds; r++) {
      ratio[r] = g[r] / h[r];
    }
    Arrays.sort(g);
    Arrays.sort(h);
    Arrays.sort(ratio);
    return new double[][] {{g[rounds - 1], g[rounds / 2]}, {h[rounds - 1], h[rounds / 2]},
        {ratio[ratio.length / 2]}};
  }

  /** GFLOP/s of one call, after the pause (if {@code pause}) and the wake-up (if any). */
  private static double timed(Runnable call, Runnable wake, boolean pause, double flops) {
    if (pause) {
      pause();
    }
    if (wake != null) {
      wake.run();
    }
    long t0 = System.nanoTime();
    call.run();
    return flops / (System.nanoTime() - t0);
  }

  /** Returns once every thread of the pool has run a task, so none of them is parked. */
  static void wakeUp(ThreadPool pool) {
    pool.onEveryThread(t -> { });
  }

  /** A small multi-threaded sgemm on {@code arrays} (operand, then output, WAKE² floats each). */
  private static void wakeUp(OpenBlas lib, float[] arrays) {
    lib.sgemm(false, false, WAKE, WAKE, WAKE, 1f, arrays, 0, WAKE, arrays, 0, WAKE, 0f, arrays,
        WAKE * WAKE, WAKE);
  }

  private static void pause() {
    try {
      Thread.sleep(150);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The arrays of one shape, filled once; backward outputs keep accumulating across calls. */
  private static final class Operands {
    final Shape s;
    final float[] out;
    final float[] in;
    final float[] w;

    Operands(Shape s, SplittableRandom rnd) {
      this.s = s;
      int m = s.m(), n = s.n(), k = s.k();
      switch (s.form()) {
        case FORWARD -> {
          out = new float[m * n];
          in = random(m * k, rnd);
          w = random(n * k, rnd);
        }
        case BACKWARD_INPUT -> {
          out = new float[m * k];
          in = random(m * n, rnd);
          w = random(n * k, rnd);
        }
        default -> {
          out = new float[n * k];
          in = random(m * n, rnd);
          w = random(m * k, rnd);
        }
      }
    }

    void vector(ThreadPool pool) {
      int m = s.m(), n = s.n(), k = s.k();
      switch (s.form()) {
        case FORWARD -> VectorGemm.matmul(pool, out, 0, in, 0, w, 0, null, 0, m, n, k);
        case BACKWARD_INPUT -> VectorGemm.matmulBackwardInput(pool, out, 0, in, 0, w, 0, m, n, k);
        case BACKWARD_WEIGHT ->
            VectorGemm.matmulBackwardWeight(pool, out, 0, null, 0, in, 0, w, 0, m, n, k);
      }
    }

    void openBlas(OpenBlas lib) {
      int m = s.m(), n = s.n(), k = s.k();
      switch (s.form()) {
        case FORWARD -> lib.matmul(out, 0, in, 0, w, 0, m, n, k);
        case BACKWARD_INPUT -> lib.matmulBackwardInput(out, 0, in, 0, w, 0, m, n, k);
        case BACKWARD_WEIGHT -> lib.matmulBackwardWeight(out, 0, in, 0, w, 0, m, n, k);
      }
    }

    private static float[] random(int size, SplittableRandom rnd) {
      float[] a = new float[size];
      for (int i = 0; i < size; i++) {
        a[i] = (float) (rnd.nextDouble() * 2 - 1);
      }
      return a;
    }
  }

  /** Formats rows as a fixed-width table. */
  public static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
        "%-7s %-15s %5s %5s %5s %3s %15s %7s %15s %9s %7s%n", "shape", "form", "m", "n", "k",
        "thr", "GFLOP/s best/med", "%peak", "OpenBLAS b/med", "%OB best", "%paired"));
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT,
          "%-7s %-15s %5d %5d %5d %3d %7.1f/%-7.1f %6.1f%% %15s %9s %7s%n", r.shape(), r.form(),
          r.m(), r.n(), r.k(), r.threads(), r.gflops(), r.gflopsMedian(),
          100 * r.fractionOfPeak(),
          r.openblasGflops() == null ? "-" : String.format(Locale.ROOT, "%7.1f/%-7.1f",
              r.openblasGflops(), r.openblasGflopsMedian()),
          r.openblasGflops() == null ? "-"
              : String.format(Locale.ROOT, "%7.1f%%", 100 * r.fractionOfOpenBlas()),
          r.pairedRatioMedian() == null ? "-"
              : String.format(Locale.ROOT, "%5.1f%%", 100 * r.pairedRatioMedian())));
    }
    return sb.toString();
  }

  /**
   * {@code KernelBench [rounds] [shape-name ...]}: measures the FMA peak, then the training shapes
   * (or those named) on 1 thread and on all processors, and prints a table.
   */
  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    List<String> names = args.length > 1 ? List.of(args).subList(1, args.length) : List.of();
    int all = Runtime.getRuntime().availableProcessors();
    int[] threadCounts = all > 1 ? new int[] {1, all} : new int[] {1};
    FmaPeak.Result peak;
    try (ThreadPool pool = new ThreadPool(all)) {
      peak = FmaPeak.measure(pool, 1.5, 5);
    }
    Optional<OpenBlas> blas = OpenBlas.load();
    System.out.printf(Locale.ROOT, "FMA peak (%d-bit): %.1f GFLOP/s per core, %.1f on %d threads; "
        + "OpenBLAS: %s%n", peak.speciesBits(), peak.perCoreGflops(), peak.allCoreGflops(),
        peak.threads(), blas.map(OpenBlas::path).orElse("not found"));
    peak.noteContention(System.out::println);
    List<Shape> shapes = trainingShapes().stream()
        .filter(s -> names.isEmpty() || names.contains(s.name())
            || names.contains(s.name() + ":" + s.form().label()))
        .toList();
    List<Row> rows = run(shapes, threadCounts, peak, blas, rounds, 1.5,
        r -> System.out.print(table(List.of(r)).lines().skip(1).findFirst().orElse("") + "\n"));
    System.out.print(table(rows));
  }
}
