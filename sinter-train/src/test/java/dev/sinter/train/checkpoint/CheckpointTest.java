// Checkpoints never lose work: a resumed run continues bit for bit, damaged checkpoints are refused
// with the file named, `latest` falls back to the newest good one, old ones rotate out, and the
// weights file is a Hugging Face state dict of the right class.
package dev.sinter.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.model.ModelConfig;
import dev.sinter.model.ParameterLayout;
import dev.sinter.train.ConfigLoader;
import dev.sinter.train.TrainConfig;
import dev.sinter.train.Trainer;
import dev.sinter.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CheckpointTest {
  private static final String[] GPT2 = {"model.norm=\"layernorm\"", "model.mlp=\"gelu\"", "model.position=\"learned\"",
      "model.bias=true", "model.tie_embeddings=true", "model.kv_heads=4"};

  @TempDir
  Path tmp;

  /** Runs a config through TrainingRun (as `sinter train` does) and returns the trainer's final weights. */
  private static float[] run(Map<String, Object> tree, Path out, CheckpointLoader.Verified resume, List<Double> losses) {
    TrainConfig cfg = ConfigLoader.fromTree(tree, List.of());
    TrainingRun.Result r = TrainingRun.run(cfg, tree, new TrainingRun.Options(out, resume, null, "test", 1, "configured"),
        new TrainingRun.Listener() {
          @Override
          public void step(dev.sinter.train.StepStats s, double valLoss) {
            losses.add(s.loss());
          }
        });
    try (Trainer t = r.trainer()) {
      assertEquals("completed", r.status());
      return t.model().params.clone();
    }
  }

  private static Map<String, Object> tree(String... sets) {
    return ConfigLoader.resolve("debug", null, List.of(sets));
  }

  @ParameterizedTest(name = "recompute={0} async={1}")
  @CsvSource({"false,true", "true,false", "true,true"})
  void resumedRunIsBitwiseIdenticalToAStraightOne(boolean recompute, boolean async) {
    String[] sets = {"train.steps=8", "checkpoint.every=4", "train.recompute=" + recompute, "checkpoint.async=" + async,
        "train.grad_accum=2"};
    List<Double> straight = new ArrayList<>();
    float[] whole = run(tree(sets), tmp.resolve("a"), null, straight);

    CheckpointLoader.Verified half = CheckpointLoader.verify(tmp.resolve("a/checkpoints/step-00000004"));
    assertEquals(4, half.step());
    List<Double> resumed = new ArrayList<>();
    float[] rest = run(half.config(), tmp.resolve("b"), half, resumed);
    assertArrayEquals(whole, rest);
    assertEquals(straight.subList(4, 8), resumed);
  }

  @Test
  void keepsTheNewestKAndPointsLatestAtTheLast() throws IOException {
    run(tree("train.steps=10", "checkpoint.every=2", "checkpoint.keep=3"), tmp, null, new ArrayList<>());
    try (var s = Files.list(tmp.resolve("checkpoints"))) {
      assertEquals(List.of("latest", "step-00000006", "step-00000008", "step-00000010"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals("step-00000010", Files.readString(tmp.resolve("checkpoints/latest")).strip());
    JsonNode record = new ObjectMapper().readTree(tmp.resolve("run.json").toFile());
    assertEquals("completed", record.get("status").asText());
    assertEquals(5, record.get("checkpoints").size());
    assertEquals(10, record.get("steps").size());
  }

  private Path savedCheckpoint() {
    run(tree("train.steps=4", "checkpoint.every=2"), tmp.resolve("run"), null, new ArrayList<>());
    return tmp.resolve("run/checkpoints/step-00000004");
  }

  @Test
  void damagedCheckpointsAreRefusedNamingTheFile() throws IOException {
    Path good = savedCheckpoint();
    // truncated weights
    Path a = copy(good, "truncated");
    Path model = a.resolve(CheckpointManager.MODEL);
    byte[] bytes = Files.readAllBytes(model);
    Files.write(model, Arrays.copyOf(bytes, bytes.length - 100));
    assertRefused(a, CheckpointManager.MODEL, "truncated");
    // one flipped bit in the moments
    Path b = copy(good, "flipped");
    Path opt = b.resolve(CheckpointManager.OPTIMIZER);
    byte[] o = Files.readAllBytes(opt);
    o[o.length / 2] ^= 0x10;
    Files.write(opt, o);
    assertRefused(b, CheckpointManager.OPTIMIZER, "corrupt");
    // a missing file
    Path c = copy(good, "missing");
    Files.delete(c.resolve(CheckpointManager.STATE));
    assertRefused(c, CheckpointManager.STATE, "missing");
    // no manifest: the save never finished
    Path d = copy(good, "unfinished");
    Files.delete(d.resolve(CheckpointManager.MANIFEST));
    assertRefused(d, CheckpointManager.MANIFEST, "did not finish");
  }

  private static void assertRefused(Path dir, String file, String why) {
    CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointLoader.verify(dir));
    assertTrue(e.getMessage().contains(file) && e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void wrongShapeIsRefusedNamingTheTensor() {
    Path good = savedCheckpoint();
    TrainConfig other = ConfigLoader.load("debug", null, List.of("model.ffn_dim=48"));
    ParameterLayout layout = new ParameterLayout(other.model());
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> CheckpointLoader.loadWeights(good, other.model(), layout, new float[layout.size()]));
    assertTrue(e.getMessage().contains("mlp.gate_proj.weight") && e.getMessage().contains("shape"), e.getMessage());
  }

  @Test
  void latestFallsBackToTheNewestGoodCheckpointWithAWarning() throws IOException {
    Path newest = savedCheckpoint();
    Path f = newest.resolve(CheckpointManager.MODEL);
    byte[] b = Files.readAllBytes(f);
    b[b.length - 1] ^= 1;
    Files.write(f, b);
    List<String> warnings = new ArrayList<>();
    CheckpointLoader.Verified v = CheckpointLoader.resolve(tmp.resolve("run"), warnings::add);
    assertEquals(2, v.step());
    assertTrue(warnings.stream().anyMatch(w -> w.contains("step-00000004") && w.contains("corrupt")), warnings.toString());
    // named explicitly, the bad one is refused rather than replaced
    assertThrows(CheckpointException.class, () -> CheckpointLoader.resolve(newest, warnings::add));
  }

  @Test
  void llamaWeightsCarryTheNamesAndShapesOfLlamaForCausalLM() throws IOException {
    Path ckpt = savedCheckpoint();
    ModelConfig c = ConfigLoader.load("debug", null, List.of()).model();
    Map<String, long[]> want = new LinkedHashMap<>();
    int hs = c.headSize();
    want.put("model.embed_tokens.weight", new long[] {c.vocabSize(), c.dim()});
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      want.put(p + "input_layernorm.weight", new long[] {c.dim()});
      want.put(p + "self_attn.q_proj.weight", new long[] {c.heads() * hs, c.dim()});
      want.put(p + "self_attn.k_proj.weight", new long[] {c.kvHeads() * hs, c.dim()});
      want.put(p + "self_attn.v_proj.weight", new long[] {c.kvHeads() * hs, c.dim()});
      want.put(p + "self_attn.o_proj.weight", new long[] {c.dim(), c.heads() * hs});
      want.put(p + "post_attention_layernorm.weight", new long[] {c.dim()});
      want.put(p + "mlp.gate_proj.weight", new long[] {c.ffnDim(), c.dim()});
      want.put(p + "mlp.up_proj.weight", new long[] {c.ffnDim(), c.dim()});
      want.put(p + "mlp.down_proj.weight", new long[] {c.dim(), c.ffnDim()});
    }
    want.put("model.norm.weight", new long[] {c.dim()});
    want.put("lm_head.weight", new long[] {c.vocabSize(), c.dim()});
    assertTensors(ckpt.resolve(CheckpointManager.MODEL), want);
    JsonNode cfg = new ObjectMapper().readTree(ckpt.resolve(CheckpointManager.CONFIG).toFile());
    assertEquals("LlamaForCausalLM", cfg.get("architectures").get(0).asText());
    assertEquals("llama", cfg.get("model_type").asText());
    assertEquals(c.dim(), cfg.get("hidden_size").asInt());
    assertEquals(c.kvHeads(), cfg.get("num_key_value_heads").asInt());
    assertEquals(c.ffnDim(), cfg.get("intermediate_size").asInt());
    assertEquals("silu", cfg.get("hidden_act").asText());
    assertEquals(false, cfg.get("tie_word_embeddings").asBoolean());
    assertEquals(c, CheckpointLoader.modelConfig(ckpt));
  }

  @Test
  void gpt2WeightsCarryTheNamesAndConv1dShapesOfGpt2LMHeadModel() throws IOException {
    List<String> sets = new ArrayList<>(List.of(GPT2));
    sets.addAll(List.of("train.steps=2"));
    run(tree(sets.toArray(String[]::new)), tmp.resolve("g"), null, new ArrayList<>());
    Path ckpt = tmp.resolve("g/checkpoints/step-00000002");
    ModelConfig c = ConfigLoader.load("debug", null, sets).model();
    Map<String, long[]> want = new LinkedHashMap<>();
    want.put("transformer.wte.weight", new long[] {c.vocabSize(), c.dim()});
    want.put("transformer.wpe.weight", new long[] {c.maxSeqLen(), c.dim()});
    for (int l = 0; l < c.layers(); l++) {
      String p = "transformer.h." + l + ".";
      want.put(p + "ln_1.weight", new long[] {c.dim()});
      want.put(p + "ln_1.bias", new long[] {c.dim()});
      want.put(p + "attn.c_attn.weight", new long[] {c.dim(), 3L * c.dim()});
      want.put(p + "attn.c_attn.bias", new long[] {3L * c.dim()});
      want.put(p + "attn.c_proj.weight", new long[] {c.dim(), c.dim()});
      want.put(p + "attn.c_proj.bias", new long[] {c.dim()});
      want.put(p + "ln_2.weight", new long[] {c.dim()});
      want.put(p + "ln_2.bias", new long[] {c.dim()});
      want.put(p + "mlp.c_fc.weight", new long[] {c.dim(), c.ffnDim()});
      want.put(p + "mlp.c_fc.bias", new long[] {c.ffnDim()});
      want.put(p + "mlp.c_proj.weight", new long[] {c.ffnDim(), c.dim()});
      want.put(p + "mlp.c_proj.bias", new long[] {c.dim()});
    }
    want.put("transformer.ln_f.weight", new long[] {c.dim()});
    want.put("transformer.ln_f.bias", new long[] {c.dim()});
    assertTensors(ckpt.resolve(CheckpointManager.MODEL), want);
    JsonNode cfg = new ObjectMapper().readTree(ckpt.resolve(CheckpointManager.CONFIG).toFile());
    assertEquals("GPT2LMHeadModel", cfg.get("architectures").get(0).asText());
    assertEquals(c.dim(), cfg.get("n_embd").asInt());
    assertEquals(c.maxSeqLen(), cfg.get("n_positions").asInt());
    assertEquals("gelu_new", cfg.get("activation_function").asText());
  }

  private static void assertTensors(Path file, Map<String, long[]> want) {
    try (SafeTensorsReader r = SafeTensorsReader.open(file)) {
      assertEquals(new ArrayList<>(want.keySet()), new ArrayList<>(r.tensors().keySet()));
      for (Map.Entry<String, long[]> e : want.entrySet()) {
        assertArrayEquals(e.getValue(), r.tensors().get(e.getKey()).shape(), e.getKey());
      }
      assertEquals("pt", r.metadata().get("format"));
    }
  }

  /**
   * A Hugging Face directory as transformers publishes GPT-2 (names without "transformer.", two
   * shards and an index, bf16-free f32) imports into exactly the weights it was made from.
   */
  @Test
  void importsAShardedHuggingFaceDirectory() throws IOException {
    List<String> sets = new ArrayList<>(List.of(GPT2));
    sets.add("train.steps=1");
    float[] trained = run(tree(sets.toArray(String[]::new)), tmp.resolve("g"), null, new ArrayList<>());
    Path ckpt = tmp.resolve("g/checkpoints/step-00000001");
    Path hf = Files.createDirectories(tmp.resolve("hf"));
    Files.copy(ckpt.resolve(CheckpointManager.CONFIG), hf.resolve(CheckpointManager.CONFIG));
    Map<String, String> index = new LinkedHashMap<>();
    try (SafeTensorsReader r = SafeTensorsReader.open(ckpt.resolve(CheckpointManager.MODEL))) {
      List<List<SafeTensorsWriter.Entry>> shards = List.of(new ArrayList<>(), new ArrayList<>());
      int i = 0;
      for (TensorInfo t : r.tensors().values()) {
        float[] data = new float[(int) t.elements()];
        r.readFloats(t.name(), data, 0);
        String name = t.name().replaceFirst("^transformer\\.", "");
        int shard = i++ % 2;
        shards.get(shard).add(new SafeTensorsWriter.Entry(name, Dtype.F32, t.shape(), data, 0, data.length));
        index.put(name, "model-0000" + (shard + 1) + "-of-00002.safetensors");
      }
      for (int s = 0; s < 2; s++) {
        SafeTensorsWriter.write(hf.resolve("model-0000" + (s + 1) + "-of-00002.safetensors"), shards.get(s), Map.of("format", "pt"));
      }
    }
    new ObjectMapper().writeValue(hf.resolve("model.safetensors.index.json").toFile(), Map.of("weight_map", index));
    ModelConfig c = CheckpointLoader.modelConfig(hf);
    ParameterLayout layout = new ParameterLayout(c);
    float[] loaded = new float[layout.size()];
    CheckpointLoader.loadWeights(hf, c, layout, loaded);
    assertArrayEquals(trained, loaded);
  }

  private Path copy(Path dir, String name) throws IOException {
    Path to = Files.createDirectories(tmp.resolve(name));
    try (var s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }
}
