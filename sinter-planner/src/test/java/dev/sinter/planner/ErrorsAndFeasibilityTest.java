// Infeasible layouts are reported with the memory term that overflows, never dropped; nonsense
// inputs fail with a message naming the key and the rule.
package dev.sinter.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErrorsAndFeasibilityTest {
  private final ModelSpec gpt3 = ModelCatalog.load("gpt3-175b");

  @Test
  void anInfeasibleLayoutIsEvaluatedAndSaysWhichTermOverflows() {
    Job job = Fixtures.job(gpt3, "a100", 8);
    Estimate e = CostModel.evaluate(job, Fixtures.layout("tp=8", 8, 8));
    assertFalse(e.feasible());
    assertTrue(e.reason().contains("out of memory"), e.reason());
    assertTrue(e.reason().contains("optimizer state overflows"), e.reason());
    assertTrue(e.stepS() > 0, "the time is still estimated");
  }

  @Test
  void activationsAreNamedWhenTheyOverflow() {
    Job job = Fixtures.job(gpt3, "a100", 1024);
    Estimate e = CostModel.evaluate(job, Fixtures.layout("tp=8,pp=16,mbs=16,flash=false", 1024, 1024));
    assertFalse(e.feasible());
    assertTrue(e.reason().contains("activations overflow"), e.reason());
    assertTrue(e.reason().contains("micro-batches in flight"), e.reason());
  }

  @Test
  void aSearchWhereNothingFitsReturnsTheClosestWithReasons() {
    Job job = Fixtures.job(ModelCatalog.load("deepseek-v4-pro-1.6t"), "h100", 8);
    Search.Result r = Search.run(job, Search.Options.defaults(Precision.BF16, 64));
    assertNull(r.best());
    assertTrue(r.candidates() > 0);
    assertEquals(r.candidates(), r.overflowByTerm().values().stream().mapToLong(Long::longValue).sum());
    assertFalse(r.closest().isEmpty());
    for (Estimate e : r.closest()) {
      assertTrue(e.reason().startsWith("out of memory"), e.reason());
    }
  }

  @Test
  void zeroChipsIsAClearError() {
    PlanException e = assertThrows(PlanException.class, () -> Cluster.parse("h100:0", Fixtures.HW));
    assertEquals("--cluster: chip count must be >= 1, got 0", e.getMessage());
    assertThrows(PlanException.class, () -> Cluster.parse("h100", Fixtures.HW));
    assertThrows(PlanException.class, () -> Cluster.parse("h100:many", Fixtures.HW));
  }

  @Test
  void tpNotDividingHeadsIsAClearError() {
    Job job = Fixtures.job(gpt3, "a100", 7);
    PlanException e = assertThrows(PlanException.class, () -> CostModel.evaluate(job, Fixtures.layout("tp=7", 7, 7)));
    assertEquals("layout.tp: tp = 7 must divide the model's 96 attention heads", e.getMessage());
  }

  @Test
  void degreesMustMultiplyToTheChipCount() {
    Job job = Fixtures.job(gpt3, "a100", 64);
    Layout l = new Layout(8, 4, 1, 1, 1, 1, 0, Layout.Recompute.NONE, 1, 8, Precision.BF16,
        Layout.Schedule.ONE_F_ONE_B, true, true, true, 0, false);
    PlanException e = assertThrows(PlanException.class, () -> CostModel.evaluate(job, l));
    assertTrue(e.getMessage().contains("must equal the cluster's 64 chips"), e.getMessage());
  }

  @Test
  void otherNonsenseIsRefusedNamingTheKey() {
    assertThrows(PlanException.class, () -> Fixtures.layout("tp=0", 8, 8));
    assertTrue(assertThrows(PlanException.class, () -> Fixtures.layout("tq=2", 8, 8)).getMessage()
        .contains("unknown key \"tq\""));
    assertTrue(assertThrows(PlanException.class, () -> Fixtures.layout("dp=8,mbs=3", 8, 8)).getMessage()
        .contains("multiple of dp x mbs"));
    assertTrue(assertThrows(PlanException.class, () -> Fixtures.layout("zero=4", 8, 8)).getMessage()
        .startsWith("layout.zero"));
    assertTrue(assertThrows(PlanException.class, () -> Fixtures.HW.get("h1000")).getMessage()
        .contains("unknown chip"));
    assertTrue(assertThrows(PlanException.class, () -> ModelCatalog.load("gpt5")).getMessage()
        .contains("unknown model"));
    Job a100 = Fixtures.job(gpt3, "a100", 8);
    assertTrue(assertThrows(PlanException.class, () -> CostModel.evaluate(a100,
        Fixtures.layout("tp=8,precision=fp8", 8, 8))).getMessage().contains("no published fp8 peak"));
    Job moe = Fixtures.job(ModelCatalog.load("deepseek-v3-671b"), "h800", 64);
    assertTrue(assertThrows(PlanException.class, () -> CostModel.evaluate(moe,
        Fixtures.layout("ep=3", 64, 64))).getMessage().contains("must divide the 256 routed experts"));
    assertThrows(PlanException.class, () -> new Goodput(-1, Double.NaN, 1, 0));
  }

  @Test
  void modelFilesRejectUnknownKeysAndAcceptTheEngineFormat() {
    PlanException e = assertThrows(PlanException.class, () -> ModelCatalog.parse(
        "[model]\ndim = 256\nlayers = 4\nheads = 8\nffn_dim = 688\nvocab_size = 4096\ndimm = 3\n", "x.toml", "x"));
    assertTrue(e.getMessage().startsWith("x.toml: model.dimm: unknown key"), e.getMessage());
    // The engine's llama-tiny preset, verbatim.
    ModelSpec m = ModelCatalog.parse("""
        # A few-million-parameter Llama-style model (about 5M parameters): quick real training on a CPU.
        [model]
        vocab_size = 4096
        dim = 256
        layers = 4
        heads = 8
        kv_heads = 4
        ffn_dim = 688
        max_seq_len = 512
        norm = "rmsnorm"
        mlp = "swiglu"
        position = "rope"
        bias = false
        tie_embeddings = false

        [train]
        batch_size = 8
        seq_len = 256

        [optim]
        lr = 1e-3
        min_lr = 1e-4
        """, "llama-tiny.toml", "llama-tiny");
    assertEquals(256, m.seqLen());
    assertEquals(8, m.globalBatch());
    assertEquals(8, m.microBatch());
    assertEquals(32, m.headDim());
    // Parameters as the engine lays them out: embeddings, 4 blocks, final norm, untied head.
    long engine = 4096L * 256 + 4 * (256 + 256L * (8 + 2 * 4) * 32 + 256L * 256 + 256 + 2L * 688 * 256 + 256L * 688)
        + 256 + 4096L * 256;
    assertEquals(engine, new ModelShape(m).totalParams, 0.5);
    assertTrue(assertThrows(PlanException.class, () -> ModelCatalog.parse("[model]\ndim = 256\n", "y.toml", "y"))
        .getMessage().contains("missing"));
  }
}
