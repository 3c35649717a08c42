// The energy meter reads RAPL package counters from a fake powercap tree (wraparound included) and,
// where there are none, falls back to an estimate whose basis states every assumption.
package dev.sinter.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnergyMeterTest {
  private static final EnergyMeter.Estimate EPYC = EnergyMeter.Estimate.fromTdp("AMD EPYC 7763", 280, 64, 2);

  /** A package domain directory as the kernel lays it out. */
  private static Path domain(Path root, String dir, String name, long energy, long maxRange) throws IOException {
    Path d = Files.createDirectories(root.resolve(dir));
    Files.writeString(d.resolve("name"), name + "\n");
    Files.writeString(d.resolve("energy_uj"), energy + "\n");
    Files.writeString(d.resolve("max_energy_range_uj"), maxRange + "\n");
    return d;
  }

  private static void set(Path domain, long energy) throws IOException {
    Files.writeString(domain.resolve("energy_uj"), energy + "\n");
  }

  @Test
  void raplSumsPackagesAndHandlesWraparound(@TempDir Path root) throws IOException {
    long max = 262_143_328_850L;
    Path pkg0 = domain(root, "intel-rapl:0", "package-0", 1_000_000, max);
    Path pkg1 = domain(root, "intel-rapl:1", "package-1", max - 500_000, max); // about to wrap
    // A sub-domain of package 0 (its cores): already inside package-0, so it must not be added.
    domain(root, "intel-rapl:0:0", "core", 5, max);
    // A platform domain that already includes both packages: must not be added either.
    domain(root, "intel-rapl:2", "psys", 5, max);
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    EnergyMeter meter = EnergyMeter.start(root, EPYC, clock::get);
    assertEquals("rapl", meter.source());

    set(pkg0, 31_000_000);  // +30 J
    set(pkg1, 1_500_000);   // wrapped: +0.5 J to the top, +1.5 J after it
    clock.addAndGet(10_000_000_000L);
    set(root.resolve("intel-rapl:0:0"), 999_999_999);
    Map<String, Object> mid = meter.sample();
    assertEquals(32.0, (double) mid.get("joules"), 1e-9);

    set(pkg0, 41_000_000);  // +10 J
    clock.addAndGet(10_000_000_000L);
    Map<String, Object> result = meter.stop();
    assertEquals(List.of("joules", "source", "basis", "watts_avg"), List.copyOf(result.keySet()));
    assertEquals(42.0, (double) result.get("joules"), 1e-9);
    assertEquals(2.1, (double) result.get("watts_avg"), 1e-9);
    assertEquals("rapl", result.get("source"));
    String basis = (String) result.get("basis");
    assertTrue(basis.startsWith("rapl: package-0 + package-1 energy counters under " + root + " over 20.0 s"), basis);
    assertTrue(basis.contains("1 counter wrap handled"), basis);

    set(pkg0, 99_000_000);
    assertSame(result, meter.sample(), "a stopped meter no longer reads the counters");
  }

  @Test
  void noPowercapGivesALabelledEstimate(@TempDir Path tmp) {
    Path root = tmp.resolve("powercap");
    AtomicLong clock = new AtomicLong(5L);
    EnergyMeter meter = EnergyMeter.start(root, EPYC, clock::get);
    assertEquals("estimate", meter.source());
    clock.addAndGet(123_400_000_000L);
    Map<String, Object> r = meter.stop();
    assertEquals("estimate", r.get("source"));
    assertEquals(2 * 280.0 / 64 * 123.4, (double) r.get("joules"), 1e-9);
    assertEquals(2 * 280.0 / 64, (double) r.get("watts_avg"), 1e-12);
    assertEquals("estimate: 2 busy cores x 4.4 W/core (AMD EPYC 7763: 280 W TDP / 64 cores) x 123.4 s;"
        + " no RAPL counters under " + root, r.get("basis"));
  }

  @Test
  void unreadableCountersAreSaidSo(@TempDir Path root) throws IOException {
    // Since Linux 5.10 energy_uj is root-only; a missing file stands in for one we may not read.
    Path pkg = domain(root, "intel-rapl:0", "package-0", 1, 1000);
    Files.delete(pkg.resolve("energy_uj"));
    AtomicLong clock = new AtomicLong();
    EnergyMeter meter = EnergyMeter.start(root, EnergyMeter.Estimate.generic("Some CPU", 1.5), clock::get);
    assertEquals("estimate", meter.source());
    clock.addAndGet(2_000_000_000L);
    Map<String, Object> r = meter.stop();
    assertEquals(1.5 * EnergyMeter.Estimate.GENERIC_WATTS_PER_CORE * 2, (double) r.get("joules"), 1e-9);
    String basis = (String) r.get("basis");
    assertTrue(basis.startsWith("estimate: 1.5 busy cores x 5 W/core (generic server core; TDP of Some CPU not known)"), basis);
    assertTrue(basis.contains("not readable by this user"), basis);
  }

  @Test
  void estimateRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new EnergyMeter.Estimate(0, 1, "x"));
    assertThrows(IllegalArgumentException.class, () -> new EnergyMeter.Estimate(4, Double.NaN, "x"));
    assertThrows(IllegalArgumentException.class, () -> EnergyMeter.Estimate.fromTdp("x", 100, 0, 1));
  }
}
