// Pins the safetensors format with a file built byte by byte, round-trips every dtype through the
// writer and reader, and feeds the reader hostile files: each must be refused with a message that
// names the file, without allocating what the file claims.
package dev.sinter.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sinter.train.checkpoint.SafeTensorsWriter.Entry;
import dev.sinter.train.checkpoint.SafeTensorsWriter.Written;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir
  Path dir;

  // ---- round trips ----

  @Test
  void f32RoundTripIsExactForAwkwardShapesAndSlices() throws IOException {
    long seed = 1234;
    Random rnd = new Random(seed);
    // Bigger than the 8 MiB staging buffer, so writing and reading both cross chunk boundaries.
    int big = 3_000_001;
    float[] flat = new float[big + 10_000];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = (float) rnd.nextGaussian();
    }
    float[] specials = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, Float.MAX_VALUE, -Float.MIN_NORMAL};
    System.arraycopy(specials, 0, flat, 5, specials.length);
    long[][] shapes = {{}, {0}, {3, 0}, {1}, {7}, {13, 17}, {2, 3, 5, 7}, {big}};
    List<Entry> entries = new ArrayList<>();
    int off = 1;
    for (int s = 0; s < shapes.length; s++) {
      int n = (int) elements(shapes[s]);
      entries.add(new Entry("layer." + s + ".w", Dtype.F32, shapes[s], flat, off, n));
      off += n;
    }
    Path f = dir.resolve("f32.safetensors");
    Map<String, String> meta = Map.of("step", "17", "format", "pt");
    Written w = SafeTensorsWriter.write(f, entries, meta);
    assertEquals(Files.size(f), w.bytes());

    try (SafeTensorsReader r = SafeTensorsReader.open(f)) {
      assertEquals(meta, r.metadata());
      assertEquals(entries.stream().map(Entry::name).toList(), List.copyOf(r.tensors().keySet()));
      for (Entry e : entries) {
        TensorInfo t = r.require(e.name(), e.shape());
        assertEquals(Dtype.F32, t.dtype());
        float[] got = new float[e.length() + 3];
        r.readFloats(e.name(), got, 2);
        float[] want = new float[e.length() + 3];
        System.arraycopy(flat, e.offset(), want, 2, e.length());
        assertArrayEquals(want, got, "seed " + seed + ", tensor " + e.name());
      }
    }
  }

  @Test
  void headerIsPaddedWithSpacesToEightBytes() throws IOException {
    for (int nameLen = 1; nameLen <= 9; nameLen++) {
      Path f = dir.resolve("pad" + nameLen + ".safetensors");
      float[] x = {1f, 2f};
      SafeTensorsWriter.write(f, List.of(new Entry("x".repeat(nameLen), Dtype.F32, new int[] {2},
          x, 0, 2)), null);
      byte[] b = Files.readAllBytes(f);
      long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertEquals(0, n % 8, "name length " + nameLen);
      String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
      assertTrue(header.stripTrailing().endsWith("}"), header);
      assertTrue(header.substring(header.lastIndexOf('}') + 1).isBlank(), header);
    }
  }

  @Test
  void halfPrecisionRoundTrips() {
    long seed = 99;
    Random rnd = new Random(seed);
    // Above the staging buffer's capacity in 2-byte elements.
    int n = 4_200_001;
    float[] exactBf = new float[n];
    float[] exactF16 = new float[n];
    float[] any = new float[n];
    for (int i = 0; i < n; i++) {
      exactBf[i] = Dtype.fromBf16((short) rnd.nextInt());
      short h = (short) rnd.nextInt();
      exactF16[i] = Float.isNaN(Float.float16ToFloat(h)) ? 0f : Float.float16ToFloat(h);
      any[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextInt(16) - 8));
    }
    Path f = dir.resolve("half.safetensors");
    SafeTensorsWriter.write(f, List.of(
        new Entry("bf_exact", Dtype.BF16, new long[] {n}, exactBf, 0, n),
        new Entry("f16_exact", Dtype.F16, new long[] {n}, exactF16, 0, n),
        new Entry("bf_any", Dtype.BF16, new long[] {n}, any, 0, n),
        new Entry("f16_any", Dtype.F16, new long[] {n}, any, 0, n)), Map.of());
    float[] got = new float[n];
    try (SafeTensorsReader r = SafeTensorsReader.open(f)) {
      r.readFloats("bf_exact", got, 0);
      for (int i = 0; i < n; i++) {
        // NaN payloads may be quieted; everything else must survive bit for bit.
        if (Float.isNaN(exactBf[i]) ? !Float.isNaN(got[i])
            : Float.floatToRawIntBits(exactBf[i]) != Float.floatToRawIntBits(got[i])) {
          fail("seed " + seed + ": bf16 " + exactBf[i] + " read back as " + got[i]);
        }
      }
      r.readFloats("f16_exact", got, 0);
      assertArrayEquals(exactF16, got, "seed " + seed);
      r.readFloats("bf_any", got, 0);
      for (int i = 0; i < n; i++) {
        if (Float.compare(nearestBf16(any[i]), got[i]) != 0) {
          fail("seed " + seed + ": bf16 of " + any[i] + " is " + nearestBf16(any[i]) + ", read "
              + got[i]);
        }
      }
      r.readFloats("f16_any", got, 0);
      for (int i = 0; i < n; i++) {
        // Half an ulp: 2^-11 relative for normals, 2^-25 absolute among the subnormals.
        if (Math.abs(got[i] - any[i]) > Math.max(Math.abs(any[i]) * 0x1p-11f, 0x1p-25f)) {
          fail("seed " + seed + ": f16 of " + any[i] + " read back as " + got[i]);
        }
      }
    }
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals(1f, Dtype.fromBf16(Dtype.toBf16(1f + 0x1p-8f)), "tie rounds down to even");
    assertEquals(1f + 0x1p-6f, Dtype.fromBf16(Dtype.toBf16(1f + 3 * 0x1p-8f)), "tie rounds up");
    assertEquals(1f + 0x1p-7f, Dtype.fromBf16(Dtype.toBf16(1f + 0x1p-8f + 0x1p-20f)));
    assertEquals(Float.POSITIVE_INFINITY, Dtype.fromBf16(Dtype.toBf16(Float.MAX_VALUE)));
    assertEquals(Float.NEGATIVE_INFINITY, Dtype.fromBf16(Dtype.toBf16(Float.NEGATIVE_INFINITY)));
    assertTrue(Float.isNaN(Dtype.fromBf16(Dtype.toBf16(Float.intBitsToFloat(0x7f800001)))));
    assertEquals((short) 0x8000, Dtype.toBf16(-0f));
  }

  // ---- the format itself, independent of the writer ----

  private static final String HAND_JSON = "{\"__metadata__\":{\"format\":\"pt\"},"
      + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      + "\"b\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[8,10]},"
      + "\"c\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[10,12]}}";

  /** a = [1.0, -2.5] F32, b = 3.0 BF16, c = [[0.5]] F16, little-endian. */
  private static final byte[] HAND_DATA = {
      0x00, 0x00, (byte) 0x80, 0x3f, 0x00, 0x00, 0x20, (byte) 0xc0, 0x40, 0x40, 0x00, 0x38};

  @Test
  void handMadeFileReadsAndWriterProducesTheSameBytes() throws IOException {
    // Unpadded, with odd header length, as other writers may produce.
    Path raw = write("hand.safetensors", HAND_JSON, HAND_DATA);
    try (SafeTensorsReader r = SafeTensorsReader.open(raw)) {
      assertEquals(Map.of("format", "pt"), r.metadata());
      assertEquals(List.of("a", "b", "c"), List.copyOf(r.tensors().keySet()));
      assertEquals(new TensorInfo("b", Dtype.BF16, new long[0], 8, 10), r.tensors().get("b"));
      float[] got = new float[4];
      r.readFloats("a", got, 0);
      r.readFloats("b", got, 2);
      r.readFloats("c", got, 3);
      assertArrayEquals(new float[] {1f, -2.5f, 3f, 0.5f}, got);
    }
    // The writer pads with spaces to a multiple of 8 and is otherwise byte-identical.
    String padded = HAND_JSON + " ".repeat((8 - HAND_JSON.length() % 8) % 8);
    Path w = dir.resolve("writer.safetensors");
    float[] flat = {9f, 1f, -2.5f, 3f, 0.5f};
    SafeTensorsWriter.write(w, List.of(
        new Entry("a", Dtype.F32, new int[] {2}, flat, 1, 2),
        new Entry("b", Dtype.BF16, new int[0], flat, 3, 1),
        new Entry("c", Dtype.F16, new int[] {1, 1}, flat, 4, 1)), Map.of("format", "pt"));
    assertArrayEquals(Files.readAllBytes(write("padded.safetensors", padded, HAND_DATA)),
        Files.readAllBytes(w));
  }

  @Test
  void emptyFileOfNoTensorsIsValid() throws IOException {
    try (SafeTensorsReader r = SafeTensorsReader.open(write("empty.st", "  {}  ", new byte[0]))) {
      assertTrue(r.tensors().isEmpty());
      assertTrue(r.metadata().isEmpty());
    }
  }

  @Test
  void shaMatchesTheFileBytes() throws Exception {
    Random rnd = new Random(7);
    float[] x = new float[100_003];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextFloat();
    }
    Path f = dir.resolve("sha.safetensors");
    Written w = SafeTensorsWriter.write(f, List.of(
        new Entry("x", Dtype.F32, new long[] {100_003}, x, 0, x.length),
        new Entry("y", Dtype.BF16, new long[] {3, 7}, x, 11, 21)), Map.of("k", "v"));
    byte[] bytes = Files.readAllBytes(f);
    assertEquals(bytes.length, w.bytes());
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
        w.sha256Hex());
  }

  @Test
  void offsetsBeyondTwoGibibytesWork() throws IOException {
    // A sparse file: 2.4 GB of holes, then four BF16 values read through long offsets.
    long big = 2_400_000_000L;
    String json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[600000000],\"data_offsets\":[0," + big
        + "]},\"tail\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[" + big + ","
        + (big + 8) + "]}}";
    Path f = write("sparse.safetensors", json, new byte[0]);
    byte[] tail = {0x00, 0x3f, (byte) 0x80, 0x3f, 0x40, 0x40, (byte) 0x80, (byte) 0xc0};
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(8 + json.length() + big);
      raf.write(tail);
    }
    try (SafeTensorsReader r = SafeTensorsReader.open(f)) {
      assertEquals(600_000_000L, r.require("big", 600_000_000L).elements());
      float[] got = new float[4];
      r.readFloats("tail", got, 0);
      assertArrayEquals(new float[] {0.5f, 1f, 3f, -4f}, got);
      assertThrows(IndexOutOfBoundsException.class, () -> r.readFloats("big", got, 0));
    }
  }

  // ---- errors a user can cause ----

  @Test
  void wrongShapeAndMissingTensorAreNamed() throws IOException {
    Path f = write("shape.safetensors", HAND_JSON, HAND_DATA);
    try (SafeTensorsReader r = SafeTensorsReader.open(f)) {
      CheckpointException e = assertThrows(CheckpointException.class, () -> r.require("a", 3));
      assertMessage(e, f, "'a'", "[2]", "[3]");
      e = assertThrows(CheckpointException.class, () -> r.require("c", 1));
      assertMessage(e, f, "'c'", "[1, 1]", "[1]");
      e = assertThrows(CheckpointException.class, () -> r.readFloats("zz", new float[9], 0));
      assertMessage(e, f, "'zz'");
      assertThrows(IndexOutOfBoundsException.class, () -> r.readFloats("a", new float[2], 1));
    }
  }

  @Test
  void writerRefusesInconsistentEntries() {
    float[] x = new float[10];
    assertThrows(IllegalArgumentException.class,
        () -> new Entry("a", Dtype.F32, new long[] {3, 3}, x, 0, 10));
    assertThrows(IllegalArgumentException.class,
        () -> new Entry("a", Dtype.F32, new long[] {-1}, x, 0, 0));
    assertThrows(IndexOutOfBoundsException.class,
        () -> new Entry("a", Dtype.F32, new long[] {5}, x, 6, 5));
    Entry a = new Entry("a", Dtype.F32, new long[] {5}, x, 0, 5);
    Path f = dir.resolve("dup.safetensors");
    assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(f, List.of(a, a), null));
    assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(f, List.of(
        new Entry("__metadata__", Dtype.F32, new long[] {5}, x, 0, 5)), null));
  }

  @Test
  void truncatedOrHugeHeaderLengthsAreRefused() throws IOException {
    assertRefused(rawFile("zero.st", new byte[0]), "8-byte");
    assertRefused(rawFile("five.st", new byte[5]), "8-byte");
    assertRefused(withLength("len0.st", 0, "{}"), "too short");
    assertRefused(withLength("len1.st", 1, "{}"), "too short");
    assertRefused(withLength("huge.st", 1L << 62, "{}"), "4611686018427387904", "truncated");
    assertRefused(withLength("neg.st", -1L, "{}"), "18446744073709551615");
    // A claimed 1 GB header in a 100-byte file.
    assertRefused(withLength("gig.st", 1_000_000_000L, " ".repeat(92)), "1000000000");
    // A header over the cap in a (sparse) file large enough to hold it.
    Path f = withLength("cap.st", SafeTensorsReader.MAX_HEADER_BYTES + 1, "{}");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.setLength(8 + SafeTensorsReader.MAX_HEADER_BYTES + 1);
    }
    assertRefused(f, "limit");
  }

  @Test
  void malformedHeadersAreRefused() throws IOException {
    String one = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    String[][] cases = {
        {"{\"a\":", "JSON"},
        {"{} x", "JSON"},
        {"[1,2]", "not a JSON object"},
        {"null", "not a JSON object"},
        {"{" + one + "," + one + "}", "Duplicate"},
        {"{\"a\":[0,4]}", "must be an object"},
        {"{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'F128'"},
        {"{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'I64'"},
        {"{\"a\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "non-negative"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", "non-negative"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
            "overflows"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}",
            "64-bit"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", "shape"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}", "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", "end before"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "span 4 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", "'x'"},
        {"{\"__metadata__\":{\"k\":1}," + one + "}", "__metadata__"},
        {"{\"__metadata__\":{\"k\":null}," + one + "}", "__metadata__"},
        {"{\"__metadata__\":[\"k\"]," + one + "}", "__metadata__"},
    };
    for (int i = 0; i < cases.length; i++) {
      assertRefused(write("bad" + i + ".safetensors", cases[i][0], new byte[4]), cases[i][1]);
    }
    // A byte that is not UTF-8 inside a tensor name.
    byte[] header = "{\"a?\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        .getBytes(StandardCharsets.US_ASCII);
    header[3] = (byte) 0xff;
    assertRefused(rawFile("utf8.st", concat(le(header.length), header, new byte[4])), "UTF-8");
  }

  @Test
  void rangesMustTileTheDataSection() throws IOException {
    String a8 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    assertRefused(write("overlap.st", "{" + a8
        + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
        "overlap", "'a'", "'b'");
    assertRefused(write("inside.st", "{" + a8
        + ",\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", new byte[8]),
        "overlap");
    assertRefused(write("gap.st", "{" + a8
        + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", new byte[16]),
        "[8, 12)");
    assertRefused(write("late.st",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "[0, 4)");
    assertRefused(write("trailing.st", "{" + a8 + "}", new byte[9]), "1 bytes after");
    assertRefused(write("truncated.st", "{" + a8 + "}", new byte[7]), "truncated");
  }

  @Test
  void everyTruncationOfAValidFileIsRefused() throws IOException {
    byte[] full = concat(le(HAND_JSON.length()), HAND_JSON.getBytes(StandardCharsets.UTF_8),
        HAND_DATA);
    for (int len = 0; len < full.length; len++) {
      Path f = rawFile("cut" + len + ".st", Arrays.copyOf(full, len));
      assertThrows(CheckpointException.class, () -> SafeTensorsReader.open(f), "length " + len);
    }
  }

  @Test
  void bitFlippedHeadersAreReadOrRefusedCleanly() throws IOException {
    long seed = 20240611;
    Random rnd = new Random(seed);
    float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    Path good = dir.resolve("good.safetensors");
    SafeTensorsWriter.write(good, List.of(
        new Entry("w1", Dtype.F32, new int[] {2, 2}, x, 0, 4),
        new Entry("w2", Dtype.BF16, new int[] {3}, x, 4, 3),
        new Entry("w3", Dtype.F16, new int[] {3, 1}, x, 7, 3)), Map.of("step", "3"));
    byte[] bytes = Files.readAllBytes(good);
    int headerEnd = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    Path f = dir.resolve("flipped.safetensors");
    int refused = 0;
    for (int iter = 0; iter < 2000; iter++) {
      byte[] b = bytes.clone();
      int bit = rnd.nextInt(headerEnd * 8);
      b[bit / 8] ^= (byte) (1 << (bit % 8));
      Files.write(f, b);
      try (SafeTensorsReader r = SafeTensorsReader.open(f)) {
        for (TensorInfo t : r.tensors().values()) {
          r.readFloats(t.name(), new float[(int) t.elements()], 0);
        }
      } catch (CheckpointException e) {
        refused++;
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
      } catch (RuntimeException e) {
        fail("seed " + seed + " iteration " + iter + " bit " + bit + ": " + e, e);
      }
    }
    assertTrue(refused > 1000, "most flips should be caught, got " + refused);
  }

  // ---- helpers ----

  private static void assertRefused(Path f, String... fragments) {
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> SafeTensorsReader.open(f).close(), f.getFileName().toString());
    assertMessage(e, f, fragments);
  }

  private static void assertMessage(CheckpointException e, Path f, String... fragments) {
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertEquals(f, e.file());
    for (String s : fragments) {
      assertTrue(e.getMessage().contains(s), "expected '" + s + "' in: " + e.getMessage());
    }
  }

  /** A file of the header {@code json} with its true length, then {@code data}. */
  private Path write(String name, String json, byte[] data) throws IOException {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    return rawFile(name, concat(le(h.length), h, data));
  }

  /** A file whose length prefix claims {@code length}, followed by {@code rest}. */
  private Path withLength(String name, long length, String rest) throws IOException {
    return rawFile(name, concat(le(length), rest.getBytes(StandardCharsets.UTF_8)));
  }

  private Path rawFile(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  private static byte[] le(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** Reference rounding: the closer of the two bf16 neighbours of finite {@code v}, even on ties. */
  private static float nearestBf16(float v) {
    int down = Float.floatToRawIntBits(v) & 0xffff0000;
    float lo = Float.intBitsToFloat(down);
    float hi = Float.intBitsToFloat(down + 0x10000);
    double dLo = Math.abs((double) v - lo);
    double dHi = Math.abs((double) hi - v);
    return dLo < dHi || (dLo == dHi && (down & 0x10000) == 0) ? lo : hi;
  }

  private static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
