// The search (finds what a hand layout finds, counts every candidate), the catalogs (every figure
// sourced, the issue's chips present, the 910C range kept) and calibration (recovers known factors).
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchAndCatalogTest {
  @Test
  void searchBeatsOrMatchesAHandLayout() {
    ModelSpec gpt3 = ModelCatalog.load("gpt3-175b");
    Job job = Fixtures.job(gpt3, "a100", 1024);
    Search.Result r = Search.run(job, Search.Options.defaults(Precision.BF16, 1536));
    assertNotNull(r.best());
    assertTrue(r.best().feasible());
    Estimate hand = CostModel.evaluate(job, Fixtures.layout("tp=8,pp=8,recompute=full", 1024, 1536));
    assertTrue(r.best().stepS() <= hand.stepS() * (1 + 1e-12));
    for (int i = 1; i < r.top().size(); i++) {
      assertTrue(r.top().get(i - 1).stepS() <= r.top().get(i).stepS());
    }
  }

  @Test
  void theMoeSearchSpaceHasOver10000Candidates() {
    Job job = Fixtures.job(ModelCatalog.load("deepseek-v4-pro-1.6t"), "h100", 1024);
    Search.Result r = Search.run(job, Search.Options.defaults(Precision.BF16, 15360));
    assertTrue(r.candidates() >= 10_000, "candidates " + r.candidates());
    long over = r.overflowByTerm().values().stream().mapToLong(Long::longValue).sum();
    assertEquals(r.candidates(), r.feasible() + over, "every candidate is counted as fitting or not");
  }

  @Test
  void compareSearchesEachCluster() {
    List<Cluster> cs = List.of(new Cluster(Fixtures.HW.get("h100"), 512), new Cluster(Fixtures.HW.get("b200"), 512));
    List<Planner.Searched> out = Fixtures.PLANNER.compare(ModelCatalog.load("llama3-405b"), cs, 0, 0,
        Search.Options.defaults(Precision.BF16, 2048), Goodput.defaults(), RunTotals.PowerBasis.AUTO, 1);
    assertEquals(2, out.size());
    assertTrue(out.get(1).plan().estimate().tokensPerS() > out.get(0).plan().estimate().tokensPerS());
    String table = Report.table(Report.COMPARE_HEADER, Report.compareRows(out));
    assertTrue(table.contains("512 x nvidia_b200"), table);
  }

  @Test
  void everyChipOfTheIssueIsCataloguedWithSourcedFigures() {
    for (String alias : List.of("910b", "910c", "cloudmatrix384", "a100", "h100", "h800", "h200", "b200", "gb200",
        "mi300x", "tpu-v5p")) {
      Chip c = Fixtures.HW.get(alias);
      for (String f : HardwareCatalog.REQUIRED) {
        Figure g = c.figure(f);
        assertNotNull(g, c.id() + "." + f);
        assertTrue(!g.status().isBlank() && !g.source().isBlank(), c.id() + "." + f);
      }
    }
    Figure peak = Fixtures.HW.get("910c").figure("bf16_tflops");
    assertEquals(707.8, peak.low(), 1e-9);
    assertEquals(800, peak.high(), 1e-9);
    Figure power = Fixtures.HW.get("910c").figure("allin_w");
    assertEquals("ESTIMATE", power.status());
    assertTrue(power.isRange());
    assertTrue(Double.isNaN(Fixtures.HW.get("910c").tdpW()), "no official 910C TDP: not guessed");
  }

  @Test
  void presetsLoadAndSayWhereTheirNumbersComeFrom() {
    for (String p : ModelCatalog.presets()) {
      ModelSpec m = ModelCatalog.load(p);
      assertTrue(!m.sources().isEmpty(), p);
      assertTrue(m.globalBatch() > 0 && m.tokens() > 0, p);
    }
    assertTrue(ModelCatalog.load("deepseek-v4-pro-1.6t").sources().get("layers").startsWith("SECONDARY"));
  }

  @Test
  void sourcesKeepTheOrderOfTheFileSoReportsAreReproducible() {
    Map<String, String> sources = new java.util.LinkedHashMap<>();
    sources.put("z_first", "a");
    sources.put("a_second", "b");
    sources.put("m_third", "c");
    for (int i = 0; i < 20; i++) {
      sources.put("key" + (37 * i % 20), "v" + i);
    }
    ModelSpec b = ModelCatalog.load("deepseek-v3-671b");
    ModelSpec m = new ModelSpec(b.name(), b.layers(), b.hidden(), b.heads(), b.kvHeads(),
        b.headDim(), b.vHeadDim(), b.ffn(), b.vocab(), b.seqLen(), b.gatedMlp(), b.tied(),
        b.learnedPositions(), b.dropout(), b.bias(), b.parallelBlock(), b.mla(), b.qLoraRank(),
        b.kvLoraRank(), b.qkRopeDim(), b.attentionParams(), b.denseLayers(), b.routedExperts(),
        b.activeExperts(), b.sharedExperts(), b.expertFfn(), b.mtpDepth(), b.globalBatch(),
        b.tokens(), b.microBatch(), b.recompute(), sources);
    assertEquals(List.copyOf(sources.keySet()), List.copyOf(m.sources().keySet()));
    // And a catalog file's [sources] table comes out in the order it is written.
    assertEquals(List.of("shape", "active", "global_batch", "tokens"),
        List.copyOf(b.sources().keySet()).subList(0, 4));
  }

  @Test
  void calibrationRecoversKnownFactors() {
    double peak = 200e9;
    List<Calibration.GemmPoint> pts = new ArrayList<>();
    for (int s : new int[] {128, 256, 512, 1024, 2048}) {
      double f = 2.0 * s * s * s;
      pts.add(new Calibration.GemmPoint(s, s, s, f / (0.8 * peak) + 40e-6));
    }
    Calibration.Measurements m = new Calibration.Measurements("test cpu", 2, peak, 24e9, pts, 1e9,
        0.5e9 * 3.5 / (0.3 * peak), 30e9, 5e-6, 1e-9, 0.4e-9);
    Calibration.Fit fit = Calibration.fit(m);
    assertEquals(0.8, fit.gemmMax(), 1e-9);
    assertEquals(40e-6, fit.gemmLaunchS(), 1e-12);
    assertEquals(0.3, fit.flashEff(), 1e-9);
    assertEquals(1.0, fit.r2(), 1e-9);
    String tsv = Calibration.chipTsv(m, "test");
    HardwareCatalog hw = HardwareCatalog.builtIn().addText(tsv, "test.tsv");
    assertEquals(0.2e12, hw.get("local").fp32Flops(), 1e3);
    Map<String, Efficiency> prof = Efficiency.parse(Calibration.profileToml(m, fit,
        Fixtures.PROFILES.get("accelerator"), "test"), "test.toml");
    assertEquals(0.8, prof.get("local-cpu").gemmMax(), 1e-5);
    assertEquals(30, prof.get("local-cpu").optimizerBytes(), 1e-3);
  }

  @Test
  void reportsRenderTheSameNumbers() {
    ModelSpec gpt3 = ModelCatalog.load("gpt3-175b");
    Job job = Fixtures.PLANNER.job(gpt3, new Cluster(Fixtures.HW.get("a100"), 1024), 0, 300e9);
    Planner.Searched s = Fixtures.PLANNER.search(job, Search.Options.defaults(Precision.BF16, 1536),
        Goodput.defaults(), RunTotals.PowerBasis.AUTO, 1);
    Map<String, Object> j = Report.json(s.plan(), s.search());
    assertEquals(s.plan().estimate().stepS(), (double) j.get("step_s"));
    ReportDocument d = ReportDocument.of("t <x>", "sinter plan", List.of(s));
    assertTrue(d.markdown().contains("| step part | seconds | share |"));
    assertTrue(d.html().contains("t &lt;x&gt;"));
    assertTrue(Report.text(s.plan(), s.search()).contains("MFU"));
  }
}
