// Energy a run used. Measured from the CPU packages' RAPL counters where Linux exposes them and this
// user may read them; otherwise an estimate from an assumed power per busy core, labelled as such,
// with a basis string that states every assumption so nobody mistakes it for a measurement.
//
// RAPL (Running Average Power Limit) counters live under /sys/class/powercap/intel-rapl:N/ (AMD's
// driver uses the same names). energy_uj counts microjoules and wraps to 0 after
// max_energy_range_uj, typically after tens of minutes at full load, so the meter adds the
// difference at every sample() and treats a smaller reading as one wrap. Sample more often than a
// wrap takes; two wraps between samples cannot be told from one.
package dev.sinter.telemetry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures (RAPL) or estimates the joules between {@link #start} and {@link #stop}. Use from one
 * thread; results are maps with the run record's keys: joules, source ("rapl" or "estimate"),
 * basis, watts_avg.
 */
public final class EnergyMeter {
  /** Where Linux puts the power-capping (RAPL) counters. */
  public static final Path POWERCAP = Path.of("/sys/class/powercap");

  // Top-level domains only: the intel-rapl:N:M sub-domains (core, uncore, dram) are parts of
  // package N or outside the CPU, so adding them would count energy twice or mix in DRAM.
  private static final Pattern PACKAGE_DIR = Pattern.compile("intel-rapl:\\d+");

  /**
   * What to assume when no counter can be read: joules = wattsPerCore × busyCores × seconds.
   *
   * @param wattsPerCore power drawn by one busy core, in watts, e.g. TDP / cores
   * @param busyCores    cores kept busy by the run (its compute threads), may be fractional
   * @param wattsSource  where wattsPerCore comes from, e.g. "AMD EPYC 7763: 280 W TDP / 64 cores"
   */
  public record Estimate(double wattsPerCore, double busyCores, String wattsSource) {
    /** A generic watts per core for when the CPU's TDP is not known; about a 2020s server core. */
    public static final double GENERIC_WATTS_PER_CORE = 5.0;

    /** Validates that both figures are positive and finite. */
    public Estimate {
      if (!(wattsPerCore > 0) || Double.isInfinite(wattsPerCore)) {
        throw new IllegalArgumentException("energy estimate: watts per core must be > 0, got " + wattsPerCore);
      }
      if (!(busyCores > 0) || Double.isInfinite(busyCores)) {
        throw new IllegalArgumentException("energy estimate: busy cores must be > 0, got " + busyCores);
      }
      wattsSource = wattsSource == null || wattsSource.isBlank() ? "assumed" : wattsSource;
    }

    /**
     * Watts per core from the CPU's thermal design power, spread evenly over its cores.
     *
     * @param cpu        the CPU's name, quoted in the basis
     * @param tdpWatts   the package's TDP in watts
     * @param coresPerPackage physical cores that share that TDP
     * @param busyCores  cores the run keeps busy
     */
    public static Estimate fromTdp(String cpu, double tdpWatts, int coresPerPackage, double busyCores) {
      if (coresPerPackage <= 0) {
        throw new IllegalArgumentException("energy estimate: cores per package must be > 0, got " + coresPerPackage);
      }
      return new Estimate(tdpWatts / coresPerPackage, busyCores,
          cpu + ": " + number(tdpWatts) + " W TDP / " + coresPerPackage + " cores");
    }

    /** The generic {@value #GENERIC_WATTS_PER_CORE} W per core, for a CPU whose TDP is unknown. */
    public static Estimate generic(String cpu, double busyCores) {
      return new Estimate(GENERIC_WATTS_PER_CORE, busyCores,
          "generic server core; TDP of " + cpu + " not known");
    }
  }

  private record Domain(String name, Path energyFile, long maxRange) {}

  private final Path root;
  private final Estimate estimate;
  private final LongSupplier nanoClock;
  private final List<Domain> domains;
  private final long[] last;
  private final String noRaplReason;
  private final long startNanos;
  private long microjoules;
  private int wraps;
  private Map<String, Object> stopped;

  private EnergyMeter(Path root, Estimate estimate, LongSupplier nanoClock) {
    this.root = root;
    this.estimate = estimate;
    this.nanoClock = nanoClock;
    List<Domain> found = new ArrayList<>();
    this.noRaplReason = discover(root, found);
    this.domains = List.copyOf(found);
    this.last = new long[domains.size()];
    for (int i = 0; i < last.length; i++) {
      last[i] = readCounter(domains.get(i)).orElse(0L);
    }
    this.startNanos = nanoClock.getAsLong();
  }

  /**
   * Starts measuring now, from {@link #POWERCAP} if readable, else by {@code fallback}.
   *
   * @param fallback what to assume if there are no readable RAPL counters
   */
  public static EnergyMeter start(Estimate fallback) {
    return start(POWERCAP, fallback, System::nanoTime);
  }

  /**
   * Starts measuring now; tests pass a fake counter tree and clock.
   *
   * @param powercapRoot the directory that stands for {@code /sys/class/powercap}
   * @param fallback     what to assume if there are no readable RAPL counters there
   * @param nanoClock    a monotonic clock in nanoseconds, such as {@code System::nanoTime}
   */
  public static EnergyMeter start(Path powercapRoot, Estimate fallback, LongSupplier nanoClock) {
    if (fallback == null) {
      throw new IllegalArgumentException("energy meter: a fallback estimate is required");
    }
    return new EnergyMeter(powercapRoot, fallback, nanoClock);
  }

  /** "rapl" if the counters are being read, else "estimate". */
  public String source() {
    return domains.isEmpty() ? "estimate" : "rapl";
  }

  /**
   * The energy from start to now, reading the counters (and so catching a wrap); the meter runs on.
   * After {@link #stop()}, returns the stopped result.
   */
  public Map<String, Object> sample() {
    if (stopped != null) {
      return stopped;
    }
    double seconds = Math.max(0, nanoClock.getAsLong() - startNanos) / 1e9;
    if (domains.isEmpty()) {
      double watts = estimate.wattsPerCore() * estimate.busyCores();
      String basis = "estimate: " + number(estimate.busyCores()) + " busy cores x "
          + number(estimate.wattsPerCore()) + " W/core (" + estimate.wattsSource() + ") x "
          + String.format(Locale.ROOT, "%.1f", seconds) + " s; " + noRaplReason;
      return result(watts * seconds, "estimate", basis, watts);
    }
    accumulate();
    double joules = microjoules / 1e6;
    List<String> names = domains.stream().map(Domain::name).toList();
    String basis = "rapl: " + String.join(" + ", names) + " energy counters under " + root + " over "
        + String.format(Locale.ROOT, "%.1f", seconds) + " s (CPU packages only; DRAM and devices not counted)"
        + (wraps == 0 ? "" : "; " + wraps + (wraps == 1 ? " counter wrap" : " counter wraps") + " handled");
    return result(joules, "rapl", basis, seconds > 0 ? joules / seconds : 0.0);
  }

  /** Takes a last sample and freezes it; later calls to either method return the same result. */
  public Map<String, Object> stop() {
    if (stopped == null) {
      stopped = sample();
    }
    return stopped;
  }

  private void accumulate() {
    for (int i = 0; i < domains.size(); i++) {
      Domain d = domains.get(i);
      Optional<Long> now = readCounter(d);
      if (now.isEmpty()) {
        continue; // a failed read keeps the old reading, so the next good one counts the whole gap
      }
      long v = now.get();
      if (v >= last[i]) {
        microjoules += v - last[i];
      } else {
        microjoules += (d.maxRange() - last[i]) + v;
        wraps++;
      }
      last[i] = v;
    }
  }

  private static Map<String, Object> result(double joules, String source, String basis, double wattsAvg) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("joules", joules);
    m.put("source", source);
    m.put("basis", basis);
    m.put("watts_avg", wattsAvg);
    return m;
  }

  /** Fills {@code out} with the readable package domains; returns why there are none, if so. */
  private static String discover(Path root, List<Domain> out) {
    List<Path> dirs;
    try (Stream<Path> list = Files.list(root)) {
      dirs = list.filter(p -> PACKAGE_DIR.matcher(p.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException | SecurityException e) {
      return "no RAPL counters under " + root;
    }
    int unreadable = 0;
    for (Path dir : dirs) {
      String name = ProcFiles.firstLine(dir.resolve("name")).orElse(dir.getFileName().toString());
      // "psys" (some Intel laptops) is the whole platform and already includes the packages.
      if (!name.startsWith("package") && !name.startsWith("intel-rapl")) {
        continue;
      }
      Optional<Long> max = ProcFiles.firstLine(dir.resolve("max_energy_range_uj")).flatMap(EnergyMeter::parse);
      Domain d = new Domain(name, dir.resolve("energy_uj"), max.orElse(0L));
      if (max.isPresent() && max.get() > 0 && readCounter(d).isPresent()) {
        out.add(d);
      } else {
        unreadable++;
      }
    }
    if (!out.isEmpty()) {
      return "";
    }
    if (unreadable > 0) {
      return "RAPL counters under " + root + " are not readable by this user"
          + " (energy_uj is root-only since Linux 5.10)";
    }
    return "no RAPL counters under " + root;
  }

  private static Optional<Long> readCounter(Domain d) {
    return ProcFiles.firstLine(d.energyFile()).flatMap(EnergyMeter::parse);
  }

  private static Optional<Long> parse(String s) {
    try {
      return Optional.of(Long.parseLong(s.strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** A figure for the basis: integers without ".0", others to one decimal (two below 1). */
  static String number(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) < 1 ? "%.2f" : "%.1f", v);
  }
}
