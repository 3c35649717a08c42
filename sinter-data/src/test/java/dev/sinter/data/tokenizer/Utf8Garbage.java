// Random byte strings for round-trip tests: well-formed UTF-8 of every length class mixed with the
// ways UTF-8 goes wrong (lone continuation bytes, overlongs, surrogates, values past U+10FFFF,
// truncated sequences, bytes that never occur in UTF-8) and plain random bytes.
package dev.sinter.data.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;

final class Utf8Garbage {

  /**
   * Ill-formed sequences, in hex: lone continuation bytes, overlong 2-, 3- and 4-byte forms, the
   * UTF-16 surrogate U+D800, U+110000, truncated 3- and 4-byte sequences, bytes UTF-8 never uses.
   */
  private static final byte[][] BROKEN =
      Arrays.stream(
              "80 bf c080 c1bf e08080 f0808080 eda080 f4908080 e282 f09f98 fe ff f888808080"
                  .split(" "))
          .map(HexFormat.of()::parseHex)
          .toArray(byte[][]::new);

  private static final String[] TEXT =
      "a| the|'s|1| |\n|\t|é|中|😀|👩‍👩‍👧|\u3000|\u00A0|{|'".split("\\|");

  private Utf8Garbage() {}

  static byte[] next(SplittableRandom random, int maxParts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int parts = random.nextInt(maxParts + 1);
    for (int p = 0; p < parts; p++) {
      switch (random.nextInt(3)) {
        case 0 -> out.writeBytes(BROKEN[random.nextInt(BROKEN.length)]);
        case 1 ->
            out.writeBytes(TEXT[random.nextInt(TEXT.length)].getBytes(StandardCharsets.UTF_8));
        default -> out.write(random.nextInt(256));
      }
    }
    return out.toByteArray();
  }
}
