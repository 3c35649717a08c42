// The training loop learns, and it is deterministic: same config and seed give bitwise-identical
// losses and weights with 1 thread and with 2.
package dev.sinter.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {

  private static TrainConfig debug(String... sets) {
    return ConfigLoader.load("debug", null, List.of(sets));
  }

  @Test
  void debugLossFallsClearlyOnSyntheticData() {
    TrainConfig cfg = debug("train.steps=100");
    try (Trainer t = new Trainer(cfg, 1e9)) {
      double first = t.trainStep().loss();
      double last = 0;
      for (int i = 1; i < 100; i++) {
        last = t.trainStep().loss();
      }
      // ln(128) = 4.85 at the start; the chain's floor is 0.80
      assertTrue(first > 4.5, "initial loss " + first);
      assertTrue(last < 3.0, "loss after 100 steps " + last + " (started at " + first + ")");
    }
  }

  @Test
  void repeatingSequenceIsMemorised() {
    TrainConfig cfg = debug("train.steps=150", "optim.weight_decay=0", "optim.warmup_steps=5");
    int period = 13;
    TokenSource repeat = new TokenSource() {
      long pos;

      @Override
      public void next(int[] tokens, int[] targets, int b, int t) {
        for (int i = 0; i < b * t; i++) {
          int j = (int) ((pos + i) % period);
          tokens[i] = 3 + 5 * j;
          targets[i] = 3 + 5 * ((j + 1) % period);
        }
        pos += b;
      }

      @Override
      public long position() {
        return pos;
      }

      @Override
      public void seek(long p) {
        pos = p;
      }

      @Override
      public String describe() {
        return "repeat";
      }
    };
    try (Trainer t = new Trainer(cfg, 1e9, repeat)) {
      double last = Double.NaN;
      for (int i = 0; i < 150; i++) {
        last = t.trainStep().loss();
      }
      assertTrue(last < 0.05, "loss on a repeating sequence after 150 steps: " + last);
    }
  }

  @Test
  void bitwiseIdenticalWithOneAndTwoThreads() {
    List<double[]> losses = new ArrayList<>();
    List<float[]> weights = new ArrayList<>();
    for (int threads : new int[] {1, 2}) {
      // grad accumulation and recomputation on, so those paths are covered too
      TrainConfig cfg = debug("train.steps=6", "train.threads=" + threads, "train.grad_accum=2",
          "train.recompute=true");
      try (Trainer t = new Trainer(cfg, 1e9)) {
        double[] l = new double[6];
        for (int i = 0; i < 6; i++) {
          l[i] = t.trainStep().loss();
        }
        losses.add(l);
        weights.add(t.model().params.clone());
      }
    }
    assertArrayEquals(losses.get(0), losses.get(1));
    assertArrayEquals(weights.get(0), weights.get(1));
  }

  @Test
  void bitwiseIdenticalAcrossThreadsForGpt2Flavour() {
    List<float[]> weights = new ArrayList<>();
    for (int threads : new int[] {1, 2}) {
      TrainConfig cfg = debug("train.steps=3", "train.threads=" + threads, "model.norm=\"layernorm\"",
          "model.mlp=\"gelu\"", "model.position=\"learned\"", "model.bias=true", "model.tie_embeddings=true",
          "model.kv_heads=4");
      try (Trainer t = new Trainer(cfg, 1e9)) {
        for (int i = 0; i < 3; i++) {
          t.trainStep();
        }
        weights.add(t.model().params.clone());
      }
    }
    assertArrayEquals(weights.get(0), weights.get(1));
  }

  @Test
  void scheduleWarmsUpThenDecaysToTheFloor() {
    LrSchedule s = new LrSchedule(1.0, 0.1, 4, 20);
    assertTrue(Math.abs(s.at(0) - 0.25) < 1e-12);
    assertTrue(Math.abs(s.at(3) - 1.0) < 1e-12);
    assertTrue(Math.abs(s.at(19) - 0.1) < 1e-12);
    assertTrue(s.at(10) < 1.0 && s.at(10) > 0.1);
  }
}
