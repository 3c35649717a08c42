// Data parallelism changes nothing but speed: with the same global batch, DP = 2 and 4 (plain,
// ZeRO-1, ZeRO-2, with gradient accumulation) give the losses of one rank to 1e-5, and a checkpoint
// saved by 4 ranks under ZeRO-1 resumes on 2 ranks and on 1 with the same training state. Ranks
// here are threads (InProcessGroup); the TCP back end is tested with processes in sinter-cli.
package dev.sinter.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.comm.Communicator;
import dev.sinter.comm.InProcessGroup;
import dev.sinter.comm.Shards;
import dev.sinter.train.checkpoint.CheckpointLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataParallelTest {
  private static final int STEPS = 20;

  @TempDir
  Path tmp;

  /** Runs {@code ranks} ranks of the config as threads; returns rank 0's per-step losses. */
  private static List<Double> run(int ranks, Map<String, Object> tree, Path out, CheckpointLoader.Verified resume)
      throws Exception {
    InProcessGroup group = new InProcessGroup(ranks, 60_000);
    ExecutorService pool = Executors.newFixedThreadPool(ranks);
    try {
      List<Future<List<Double>>> results = new ArrayList<>();
      for (int r = 0; r < ranks; r++) {
        Communicator comm = group.rank(r);
        results.add(pool.submit(() -> {
          List<Double> losses = new ArrayList<>();
          TrainConfig cfg = ConfigLoader.fromTree(tree, List.of());
          TrainingRun.Result res = TrainingRun.run(cfg, tree,
              new TrainingRun.Options(out, resume, null, "test", 1, "configured", ranks == 1 ? null : comm),
              new TrainingRun.Listener() {
                @Override
                public void step(StepStats s, double val) {
                  losses.add(s.loss());
                }
              });
          res.trainer().close();
          assertEquals("completed", res.status());
          return losses;
        }));
      }
      List<Double> first = results.get(0).get();
      for (Future<List<Double>> f : results) {
        assertEquals(first, f.get(), "every rank reports the same global loss");
      }
      return first;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Map<String, Object> tree(String... sets) {
    List<String> all = new ArrayList<>(List.of("train.steps=" + STEPS, "train.threads=1", "train.batch_size=4",
        "train.grad_accum=2", "checkpoint.at_end=false"));
    all.addAll(List.of(sets));
    return ConfigLoader.resolve("debug", null, all);
  }

  private static void assertClose(List<Double> want, List<Double> got, String what) {
    assertEquals(want.size(), got.size(), what);
    for (int i = 0; i < want.size(); i++) {
      double rel = Math.abs(got.get(i) - want.get(i)) / Math.abs(want.get(i));
      assertTrue(rel < 1e-5, what + ": step " + (i + 1) + " loss " + got.get(i) + " vs " + want.get(i) + " (rel " + rel + ")");
    }
  }

  @ParameterizedTest(name = "dp={0} zero={1}")
  @CsvSource({"2,0", "4,0", "2,1", "4,1", "2,2", "4,2"})
  void sameLossesAsOneRankWithTheSameGlobalBatch(int dp, int zero) throws Exception {
    List<Double> one = run(1, tree(), tmp.resolve("one"), null);
    List<Double> many = run(dp, tree("parallel.zero=" + zero), tmp.resolve("many"), null);
    assertClose(one, many, "dp=" + dp + " zero=" + zero);
    assertTrue(one.get(STEPS - 1) < one.get(0), "the loss falls");
    // The record's memory is rank 0's state: full weights and gradients, its shard of the moments
    // (and of the gradients under ZeRO-2).
    JsonNode mem = new ObjectMapper().readTree(tmp.resolve("many").resolve("run.json").toFile()).get("memory");
    long n = mem.get("params").asLong();
    long shard = zero == 0 ? n : Shards.end((int) n, dp, 0) - Shards.start((int) n, dp, 0);
    assertEquals(8 * n + 8 * shard + (zero == 2 ? 4 * shard : 0), mem.get("state_bytes").asLong());
    assertEquals(mem.get("state_bytes").asDouble() / n, mem.get("bytes_per_param").asDouble(), 1e-12);
  }

  /** GPT-2 flavour: a tied head (dense and sparse embedding gradients) and learned positions. */
  @Test
  void tiedEmbeddingsAndLearnedPositionsToo() throws Exception {
    String[] gpt2 = {"model.norm=\"layernorm\"", "model.mlp=\"gelu\"", "model.position=\"learned\"", "model.bias=true",
        "model.tie_embeddings=true", "model.kv_heads=4"};
    List<Double> one = run(1, tree(gpt2), tmp.resolve("one"), null);
    assertClose(one, run(2, tree(gpt2), tmp.resolve("two"), null), "gpt2 flavour, dp=2");
  }

  @Test
  void zero1CheckpointOfFourRanksResumesOnTwoAndOnOne() throws Exception {
    List<Double> straight = run(1, tree(), tmp.resolve("straight"), null);
    run(4, tree("parallel.zero=1", "checkpoint.every=10"), tmp.resolve("four"), null);
    CheckpointLoader.Verified half = CheckpointLoader.verify(tmp.resolve("four/checkpoints/step-00000010"));
    assertEquals(4, half.state().get("world_size").asInt());
    List<Double> onTwo = run(2, half.config(), tmp.resolve("two"), half);
    List<Double> onOne = run(1, half.config(), tmp.resolve("one"), half);
    assertClose(straight.subList(10, STEPS), onTwo, "4 ranks -> 2 ranks");
    assertClose(straight.subList(10, STEPS), onOne, "4 ranks -> 1 rank");
    // and the reverse: one rank's checkpoint resumes on four under ZeRO-2
    run(1, tree("checkpoint.every=10"), tmp.resolve("single"), null);
    CheckpointLoader.Verified single = CheckpointLoader.verify(tmp.resolve("single/checkpoints/step-00000010"));
    Map<String, Object> zero2 = ConfigLoader.withOverrides(single.config(), List.of("parallel.zero=2"));
    assertClose(straight.subList(10, STEPS), run(4, zero2, tmp.resolve("four2"), single), "1 rank -> 4 ranks");
  }
}
