// Tests of the loader's contract: targets are the inputs shifted by one over the packed stream,
// every epoch reads every window once in a new order, a resumed loader continues exactly (also
// across an epoch boundary and through a JSON round trip of its state), and ranks split the
// single-rank order without overlap.
package dev.sinter.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sinter.data.shard.ShardReader;
import dev.sinter.data.shard.ShardSet;
import dev.sinter.data.shard.ShardWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenLoaderTest {
  private static final long SEED = 86_028_121L;
  private static final int VOCAB = 70_000; // 4-byte ids; ShardFileTest covers the other widths
  private static final int EOT = 69_999;
  private static final String HASH = "ab".repeat(32);

  @TempDir
  Path tmp;
  private ShardSet set;
  private int[] stream; // the packed token stream, for reference

  @BeforeEach
  void writeShards() throws IOException {
    Random rnd = new Random(SEED);
    List<ShardReader> readers = new ArrayList<>();
    List<Integer> all = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      Path file = tmp.resolve("train-" + s + ".bin");
      try (ShardWriter w = ShardWriter.create(file, VOCAB, EOT, HASH)) {
        int docs = 5 + rnd.nextInt(20);
        for (int d = 0; d < docs; d++) {
          int[] ids = rnd.ints(rnd.nextInt(40), 0, EOT).toArray();
          w.addDocument(ids);
          Arrays.stream(ids).forEach(all::add);
          all.add(EOT);
        }
        w.finish();
      }
      readers.add(ShardReader.open(file, HASH, VOCAB));
    }
    set = ShardSet.of(readers);
    stream = all.stream().mapToInt(Integer::intValue).toArray();
  }

  @AfterEach
  void close() {
    set.close();
  }

  private record Batch(int[] tokens, int[] targets) {}

  private static List<Batch> take(TokenLoader l, int batches, int b, int t) {
    List<Batch> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      int[] x = new int[b * t];
      int[] y = new int[b * t];
      l.next(x, y, b, t);
      out.add(new Batch(x, y));
    }
    return out;
  }

  @Test
  void targetsAreTheStreamShiftedByOneAndEpochsCoverEveryWindow() {
    int t = 16;
    TokenLoader l = new TokenLoader(set, LoaderConfig.of(t, SEED));
    long w = l.windowsPerEpoch();
    assertEquals((stream.length - 1) / t, w, "seed " + SEED);
    List<Long> epoch0 = new ArrayList<>();
    List<Long> epoch1 = new ArrayList<>();
    for (int s = 0; s < 2 * w; s++) {
      List<Batch> one = take(l, 1, 1, t);
      int[] x = one.getFirst().tokens();
      int[] y = one.getFirst().targets();
      long start = locate(x, t);
      for (int i = 0; i < t; i++) {
        assertEquals(stream[(int) start + i + 1], y[i], "seed " + SEED + ", sample " + s);
      }
      (s < w ? epoch0 : epoch1).add(start / t);
    }
    List<Long> sorted0 = epoch0.stream().sorted().toList();
    List<Long> sorted1 = epoch1.stream().sorted().toList();
    List<Long> all = LongStream.range(0, w).boxed().toList();
    assertEquals(all, sorted0, "epoch 0 must read every window once, seed " + SEED);
    assertEquals(all, sorted1, "epoch 1 must read every window once, seed " + SEED);
    assertNotEquals(epoch0, epoch1, "each epoch needs a new order, seed " + SEED);
    assertNotEquals(all, epoch0, "shuffled, seed " + SEED);
  }

  /** The window start of x in the stream; windows start at multiples of t. */
  private long locate(int[] x, int t) {
    for (int w = 0; (long) w * t + t < stream.length; w++) {
      if (Arrays.equals(stream, w * t, w * t + t, x, 0, t)) {
        return (long) w * t;
      }
    }
    throw new AssertionError("window not found in the stream, seed " + SEED);
  }

  @Test
  void unshuffledReadsTheStreamInOrder() {
    int t = 7;
    TokenLoader l = new TokenLoader(set, new LoaderConfig(t, SEED, false, 0, 1));
    Batch b = take(l, 1, 3, t).getFirst();
    assertArrayEquals(Arrays.copyOfRange(stream, 0, 3 * t), b.tokens());
    assertArrayEquals(Arrays.copyOfRange(stream, 1, 3 * t + 1), b.targets());
  }

  @Test
  void resumeContinuesExactlyAcrossAnEpochBoundary() throws IOException {
    int b = 3;
    int t = 8;
    TokenLoader full = new TokenLoader(set, LoaderConfig.of(t, SEED));
    long w = full.windowsPerEpoch();
    int batches = (int) (2 * w / b) + 3; // into the third epoch
    List<Batch> reference = take(full, batches, b, t);
    ObjectMapper json = new ObjectMapper();
    int epochEnd = (int) (w / b); // the batch that straddles the first epoch boundary
    for (int p : new int[] {0, 1, epochEnd - 1, epochEnd, epochEnd + 1, batches - 1}) {
      TokenLoader first = new TokenLoader(set, LoaderConfig.of(t, SEED));
      take(first, p, b, t);
      String saved = json.writeValueAsString(first.state());
      TokenLoader resumed = new TokenLoader(set, LoaderConfig.of(t, SEED));
      resumed.restore(json.readValue(saved, TokenLoader.State.class));
      assertEquals((long) p * b, resumed.position());
      List<Batch> rest = take(resumed, batches - p, b, t);
      for (int i = 0; i < rest.size(); i++) {
        String msg = "seed " + SEED + ", resumed at batch " + p + ", batch " + (p + i);
        assertArrayEquals(reference.get(p + i).tokens(), rest.get(i).tokens(), msg);
        assertArrayEquals(reference.get(p + i).targets(), rest.get(i).targets(), msg);
      }
    }
    TokenLoader seeked = new TokenLoader(set, LoaderConfig.of(t, SEED));
    seeked.seek(5L * b);
    assertArrayEquals(reference.get(5).tokens(), take(seeked, 1, b, t).getFirst().tokens());
  }

  @Test
  void ranksSplitTheGlobalOrderWithoutOverlap() {
    int b = 2;
    int t = 8;
    int world = 3;
    int batches = 12;
    TokenLoader single = new TokenLoader(set, LoaderConfig.of(t, SEED));
    List<Batch> global = take(single, batches, b * world, t);
    List<List<Batch>> perRank = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      perRank.add(take(new TokenLoader(set, LoaderConfig.of(t, SEED).forRank(r, world)),
          batches, b, t));
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int k = 0; k < batches; k++) {
      for (int r = 0; r < world; r++) {
        for (int j = 0; j < b; j++) {
          int[] mine = Arrays.copyOfRange(perRank.get(r).get(k).tokens(), j * t, j * t + t);
          int row = j * world + r; // rank r's row j is global row j * world + r
          int[] want = Arrays.copyOfRange(global.get(k).tokens(), row * t, row * t + t);
          String msg = "seed " + SEED + ", batch " + k + ", rank " + r + ", row " + j;
          assertArrayEquals(want, mine, msg);
          assertArrayEquals(Arrays.copyOfRange(global.get(k).targets(), row * t, row * t + t),
              Arrays.copyOfRange(perRank.get(r).get(k).targets(), j * t, j * t + t), msg);
          long epoch = ((long) k * b * world + row) / single.windowsPerEpoch();
          seen.merge(Arrays.toString(mine) + " in epoch " + epoch, 1, Integer::sum);
        }
      }
    }
    assertTrue(seen.values().stream().allMatch(c -> c == 1),
        "no window may be read twice within an epoch, seed " + SEED);
  }

  @Test
  void restoreRejectsAStateFromOtherSettings() {
    TokenLoader l = new TokenLoader(set, LoaderConfig.of(8, SEED));
    TokenLoader.State s = l.state();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new TokenLoader(set, LoaderConfig.of(8, SEED + 1)).restore(s));
    assertTrue(e.getMessage().contains("seed"), e.getMessage());
    IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
        () -> l.restore(new TokenLoader.State(0, SEED, 8, true, s.tokens(), "0".repeat(16))));
    assertTrue(d.getMessage().contains("shards " + "0".repeat(16)), d.getMessage());
    assertThrows(IllegalArgumentException.class, () -> l.next(new int[8], new int[8], 1, 9));
    assertThrows(IllegalArgumentException.class, () -> l.next(new int[8], new int[7], 1, 8));
    assertThrows(IllegalArgumentException.class,
        () -> new TokenLoader(set, LoaderConfig.of(stream.length, SEED)));
    assertThrows(IllegalArgumentException.class, () -> new LoaderConfig(8, 1, true, 2, 2));
  }
}
