// Properties of the cost model: the breakdown adds up, utilisation is consistent with throughput,
// the pipeline bubble follows its schedule's formula, ranges are carried, goodput behaves.
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CostModelTest {
  private final ModelSpec gpt3 = ModelCatalog.load("gpt3-175b");

  private Estimate eval(String chip, int n, String layout) {
    return CostModel.evaluate(Fixtures.job(gpt3, chip, n), Fixtures.layout(layout, n, 1536));
  }

  @Test
  void breakdownAddsUpAndUtilisationMatchesThroughput() {
    Estimate e = eval("a100", 1024, "tp=8,pp=8,vpp=2,recompute=selective,flash=false");
    assertEquals(e.stepS(), e.time().total(), 1e-9 * e.stepS());
    assertEquals(1536 * 2048, e.tokensPerS() * e.stepS(), 1e-6);
    assertEquals(e.tokensPerS() * e.modelFlopsPerToken() / (1024 * 312e12), e.mfu(), 1e-12);
    assertTrue(e.hfu() > e.mfu(), "selective recomputation without flash counts in HFU");
    assertTrue(e.mfu() > 0.2 && e.mfu() < 0.7, "MFU " + e.mfu());
  }

  @Test
  void bubbleFollowsTheSchedule() {
    for (String l : new String[] {"tp=8,pp=8", "tp=8,pp=8,vpp=3"}) {
      Estimate e = eval("a100", 1024, l);
      Estimate.Breakdown b = e.time();
      double perMicroBatch = (b.total() - b.bubble() - b.dp() - b.optimizer()) / e.layout().microBatches();
      assertEquals(7.0 / e.layout().vpp(), b.bubble() / perMicroBatch, 1e-9, l);
    }
    Estimate none = eval("a100", 1024, "tp=8,pp=1");
    assertEquals(0, none.time().bubble());
  }

  @Test
  void dualPipeHoldsTwoCopiesOfTheParameters() {
    Estimate one = eval("h100", 1024, "tp=8,pp=8");
    Estimate dual = eval("h100", 1024, "tp=8,pp=8,schedule=dualpipe");
    assertEquals(2 * one.memory().weights(), dual.memory().weights(), 1e-6 * dual.memory().weights());
    assertTrue(dual.time().bubble() < one.time().bubble());
  }

  @Test
  void fasterHardwareIsFasterAndMemoryDoesNotDependOnIt() {
    Estimate a = eval("a100", 1024, "tp=8,pp=8");
    Estimate h = eval("h100", 1024, "tp=8,pp=8");
    assertTrue(h.stepS() < a.stepS());
    assertEquals(a.memory().total(), h.memory().total(), 1e-6 * a.memory().total());
  }

  @Test
  void rangesOfTheCatalogReachTheResults() {
    ModelSpec v4 = ModelCatalog.load("deepseek-v4-pro-1.6t");
    Job job = Fixtures.job(v4, "910c", 1024);
    Planner.Plan p = Fixtures.PLANNER.plan(job, Fixtures.layout("tp=8,pp=8,ep=64,zero=1,recompute=full", 1024, 15360),
        Goodput.defaults(), RunTotals.PowerBasis.AUTO, 1.0);
    double[] d = p.daysRange();
    assertTrue(d[0] < d[1] && d[1] == d[2], "707.8 TF is the low end, 800 the high: " + java.util.Arrays.toString(d));
    double[] en = p.energyRange();
    assertTrue(en[0] < en[1] && en[1] < en[2], java.util.Arrays.toString(en));
    assertEquals("all-in", p.totals().powerBasis());
    assertEquals("ESTIMATE", p.totals().powerStatus());
    Job h100 = Fixtures.job(v4, "h100", 1024);
    Planner.Plan q = Fixtures.PLANNER.plan(h100, Fixtures.layout("tp=8,pp=8,ep=64,zero=1,recompute=full", 1024, 15360),
        Goodput.defaults(), RunTotals.PowerBasis.TDP, 1.2);
    assertEquals("OFFICIAL", q.totals().powerStatus());
    assertEquals(1024 * 700 * q.totals().wallS() / 3600 * 1.2 / 1000, q.totals().energyKwh(), 1e-6);
  }

  @Test
  void goodputFollowsYoungsInterval() {
    Goodput g = new Goodput(1e-5, 60, 1, 600);
    Goodput.Outcome o = g.evaluate(16384, 0);
    double m = 3600 / (16384 * 1e-5);
    assertEquals(m, o.mtbfS(), 1e-9);
    assertEquals(Math.sqrt(2 * 60 * m), o.intervalS(), 1e-9);
    assertEquals((1 - (600 + o.intervalS() / 2) / m) / (1 + 60 / o.intervalS()), o.ettr(), 1e-12);
    assertEquals(1.0, new Goodput(0, 60, 1, 600).evaluate(16384, 0).ettr());
    assertTrue(new Goodput(1e-4, 60, 1, 600).evaluate(16384, 0).ettr() < o.ettr());
    // Llama 3's rate gives one failure every ~3.1 h on 16,384 GPUs (README §5.8).
    assertEquals(3.1, Goodput.defaults().evaluate(16384, 0).mtbfS() / 3600, 0.05);
  }

  @Test
  void wallClockFollowsTheTokenBudget() {
    Job job = Fixtures.PLANNER.job(gpt3, new Cluster(Fixtures.HW.get("a100"), 1024), 0, 300e9);
    Estimate e = CostModel.evaluate(job, Fixtures.layout("tp=8,pp=8", 1024, 1536));
    RunTotals t = RunTotals.of(job, e, new Goodput(0, 0, 1, 0), RunTotals.PowerBasis.TDP, 1);
    assertEquals(Math.ceil(300e9 / (1536 * 2048.0)), t.steps());
    assertEquals(t.steps() * e.stepS(), t.wallS(), 1e-6);
    assertEquals(1024 * t.wallS() / 3600, t.chipHours(), 1e-6);
  }
}
