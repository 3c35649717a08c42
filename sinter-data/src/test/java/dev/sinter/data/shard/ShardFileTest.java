// Tests of one shard file: a round trip at every token width, and rejection (with the file named)
// of truncated, bit-flipped, foreign and wrong-tokenizer files.
package dev.sinter.data.shard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardFileTest {
  private static final String HASH = new ByteTokenizer().hash();
  private static final String OTHER_HASH = new ByteTokenizer("other").hash();

  @TempDir
  Path tmp;

  /** Random documents (without the end-of-text) over a vocabulary of {@code vocab}. */
  static List<int[]> randomDocs(Random rnd, int vocab, int eot, int count, int maxLen) {
    List<int[]> docs = new ArrayList<>();
    for (int d = 0; d < count; d++) {
      int[] ids = new int[rnd.nextInt(maxLen + 1)];
      for (int i = 0; i < ids.length; i++) {
        int id;
        do {
          // Ids near the top of the vocabulary exercise the full width of the on-disk type.
          id = rnd.nextInt(4) == 0 ? vocab - 1 - rnd.nextInt(Math.min(vocab, 3))
              : rnd.nextInt(vocab);
        } while (id == eot);
        ids[i] = id;
      }
      docs.add(ids);
    }
    return docs;
  }

  static Path writeShard(Path file, int vocab, int eot, String hash, List<int[]> docs)
      throws IOException {
    try (ShardWriter w = ShardWriter.create(file, vocab, eot, hash)) {
      for (int[] d : docs) {
        w.addDocument(d);
      }
      ShardManifest.ShardFile f = w.finish();
      assertEquals(Files.size(file), f.bytes());
    }
    return file;
  }

  @ParameterizedTest
  @ValueSource(ints = {200, 257, 65_536, 65_537, 100_000})
  void roundTripEveryTokenAndBoundary(int vocab) throws IOException {
    long seed = 31L * vocab;
    Random rnd = new Random(seed);
    int eot = vocab - 1 - rnd.nextInt(2);
    List<int[]> docs = randomDocs(rnd, vocab, eot, 1 + rnd.nextInt(60), 300);
    Path file = writeShard(tmp.resolve("s.bin"), vocab, eot, HASH, docs);
    String msg = "seed " + seed + ", vocab " + vocab;
    try (ShardReader r = ShardReader.open(file, HASH, vocab)) {
      assertEquals(vocab <= 256 ? 1 : vocab <= 65_536 ? 2 : 4, r.tokenWidth(), msg);
      assertEquals(docs.size(), r.documentCount(), msg);
      assertEquals(eot, r.endOfText(), msg);
      assertEquals(HASH, r.tokenizerHash(), msg);
      long pos = 0;
      for (int d = 0; d < docs.size(); d++) {
        int[] ids = docs.get(d);
        assertEquals(pos, r.documentStart(d), msg);
        assertEquals(pos + ids.length + 1, r.documentEnd(d), msg);
        int[] got = new int[ids.length + 1];
        r.read(pos, got, 0, got.length);
        int[] want = Arrays.copyOf(ids, ids.length + 1);
        want[ids.length] = eot;
        assertArrayEquals(want, got, msg + ", document " + d);
        for (int i = 0; i < want.length; i++) {
          assertEquals(want[i], r.token(pos + i), msg);
        }
        pos += want.length;
      }
      assertEquals(pos, r.tokenCount(), msg);
    }
  }

  @Test
  void writerRejectsIdsOutsideTheVocabularyAndLeavesNoFile() throws IOException {
    Path file = tmp.resolve("bad.bin");
    try (ShardWriter w = ShardWriter.create(file, 300, 299, HASH)) {
      w.addDocument(new int[] {1, 2});
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> w.addDocument(new int[] {5, 300}));
      assertTrue(e.getMessage().contains("300"), e.getMessage());
    }
    assertEquals(List.of(), listDir(), "no shard and no temp file may remain");
    assertThrows(IllegalArgumentException.class, () -> ShardWriter.create(file, 300, 299, "xyz"));
  }

  private List<Path> listDir() throws IOException {
    try (var s = Files.list(tmp)) {
      return s.toList();
    }
  }

  private Path sample() throws IOException {
    Random rnd = new Random(5);
    return writeShard(tmp.resolve("train-00000.bin"), 50_257, 50_256, HASH,
        randomDocs(rnd, 50_257, 50_256, 40, 200));
  }

  private static IOException rejected(Path file) {
    IOException e = assertThrows(IOException.class, () -> ShardReader.open(file, HASH, 50_257));
    assertTrue(e.getMessage().contains(file.toString()), "message must name the file: "
        + e.getMessage());
    return e;
  }

  @Test
  void truncatedShardsAreRejected() throws IOException {
    Path file = sample();
    byte[] all = Files.readAllBytes(file);
    for (int keep : new int[] {all.length - 1, all.length - 8, 200, 128, 60, 0}) {
      Files.write(file, Arrays.copyOf(all, keep));
      IOException e = rejected(file);
      assertTrue(e.getMessage().contains("truncated"), keep + " bytes: " + e.getMessage());
    }
    byte[] longer = Arrays.copyOf(all, all.length + 3);
    Files.write(file, longer);
    assertTrue(rejected(file).getMessage().contains("unexpected bytes"));
  }

  @Test
  void bitFlipsAreRejected() throws IOException {
    long seed = 4242;
    Random rnd = new Random(seed);
    Path file = sample();
    byte[] all = Files.readAllBytes(file);
    for (int trial = 0; trial < 20; trial++) {
      boolean inHeader = trial % 2 == 0;
      int at = inHeader ? 8 + rnd.nextInt(120) : 128 + rnd.nextInt(all.length - 128);
      byte[] flipped = all.clone();
      flipped[at] ^= (byte) (1 << rnd.nextInt(8));
      Files.write(file, flipped);
      IOException e = rejected(file);
      String want = inHeader ? "header checksum mismatch" : "payload checksum mismatch";
      assertTrue(e.getMessage().contains(want),
          "seed " + seed + ", byte " + at + ": " + e.getMessage());
    }
    byte[] magic = all.clone();
    magic[0] = 'X';
    Files.write(file, magic);
    assertTrue(rejected(file).getMessage().contains("not a Sinter token shard"));
  }

  @Test
  void wrongTokenizerIsRejectedNamingBothHashes() throws IOException {
    Path file = sample();
    IOException e = assertThrows(IOException.class,
        () -> ShardReader.open(file, OTHER_HASH, 50_257));
    String m = e.getMessage();
    assertTrue(m.contains(file.toString()) && m.contains(HASH) && m.contains(OTHER_HASH)
        && m.contains("sinter data prepare"), m);
    IOException v = assertThrows(IOException.class, () -> ShardReader.open(file, HASH, 50_000));
    assertTrue(v.getMessage().contains("50000") && v.getMessage().contains(file.toString()),
        v.getMessage());
    try (ShardReader r = ShardReader.open(file, HASH.toUpperCase(Locale.ROOT), 50_257)) {
      assertEquals(40, r.documentCount());
    }
  }

  @Test
  void readsOutsideTheShardAreRejected() throws IOException {
    try (ShardReader r = ShardReader.open(sample())) {
      int[] dst = new int[4];
      assertThrows(IndexOutOfBoundsException.class, () -> r.read(r.tokenCount() - 2, dst, 0, 3));
      assertThrows(IndexOutOfBoundsException.class, () -> r.read(-1, dst, 0, 1));
      assertThrows(IndexOutOfBoundsException.class, () -> r.read(0, dst, 2, 3));
      assertThrows(IndexOutOfBoundsException.class, () -> r.documentStart(r.documentCount()));
    }
  }
}
