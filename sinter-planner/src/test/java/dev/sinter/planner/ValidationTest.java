// The shipped validation set: published runs predicted within the targets (median |error|
// <= 10 %, worst <= 25 %). On failure the message lists every run's error.
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ValidationTest {
  private final List<Validation.Run> runs = Validation.runs(Fixtures.HW, Fixtures.PROFILES);

  private static String table(Validation.Summary s) {
    return s.results().stream().map(r -> String.format(Locale.ROOT, "%s %+.1f%%", r.run().id(), 100 * r.error()))
        .collect(Collectors.joining("\n"));
  }

  @Test
  void theSetHoldsTheReferenceRuns() {
    assertEquals(33, runs.size());
    for (String g : List.of("NAR21-T1", "NAR21-T2-ZeRO3", "NAR21-T2-PTD", "KOR22", "PALM", "OPT", "BLOOM")) {
      assertTrue(runs.stream().anyMatch(r -> r.group().equals(g)), g);
    }
    for (Validation.Run r : runs) {
      assertTrue(!r.source().isBlank() && !r.status().isBlank(), r.id());
    }
  }

  @Test
  void stepTimeErrorsMeetTheTargets() {
    Validation.Summary s = Validation.validate(runs);
    assertTrue(s.medianAbs() <= 0.10, "median " + s.medianAbs() + "\n" + table(s));
    assertTrue(s.worstAbs() <= 0.25, "worst " + s.worstAbs() + "\n" + table(s));
  }

  @Test
  void referenceStepTimesFollowTheReportedMetric() {
    Validation.Run kor = runs.stream().filter(r -> r.id().equals("KOR22-175B-SP+selective")).findFirst().orElseThrow();
    assertEquals(13.75, kor.referenceStepS(), 1e-12);
    Validation.Run t1 = runs.stream().filter(r -> r.id().equals("NAR21-T1-1.7B")).findFirst().orElseThrow();
    assertEquals(3.53, t1.referenceStepS(), 0.01); // published-runs.tsv: 3.53 s (DERIVED)
    assertEquals(137, t1.metricFor(t1.referenceStepS()), 1e-9);
  }
}
