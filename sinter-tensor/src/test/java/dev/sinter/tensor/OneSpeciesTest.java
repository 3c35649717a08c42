package dev.sinter.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernels use one float vector species, the preferred one. A second FloatVector species
 * anywhere in the process (even for a plain 128-bit move) makes the type profiles of
 * FloatVector.fromArray/intoArray polymorphic, and a kernel compiled after that can lose its
 * intrinsics: the GEMM micro-kernel then ran at 4 GFLOP/s instead of 80, in one JVM start of
 * four. Timing cannot be asserted in a test, so the sources are checked instead.
 */
class OneSpeciesTest {
  private static final Pattern OTHER_SPECIES =
      Pattern.compile("FloatVector\\.SPECIES_(64|128|256|512|MAX)|VectorShape\\.forBitSize|VectorSpecies\\.of\\(float");

  @Test
  void mainSourcesUseOnlyThePreferredFloatSpecies() throws IOException {
    Path root = Path.of("src/main/java");
    assertTrue(Files.isDirectory(root), "run from the sinter-tensor module directory");
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        List<String> lines = Files.readAllLines(p);
        for (int i = 0; i < lines.size(); i++) {
          if (OTHER_SPECIES.matcher(lines.get(i)).find()) {
            offenders.add(p + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    assertEquals(List.of(), offenders, "use FloatVector.SPECIES_PREFERRED only (see the class comment)");
  }
}
