// Configuration errors name the key and the rule; presets and overrides layer as documented.
package dev.sinter.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sinter.model.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void everyPresetLoads() {
    for (String p : ConfigLoader.presets()) {
      TrainConfig c = ConfigLoader.load(p, null, List.of());
      assertTrue(c.model().vocabSize() > 0, p);
    }
    assertEquals(List.of("debug", "llama-tiny", "llama-60m", "gpt2-124m"), ConfigLoader.presets());
  }

  @Test
  void unknownKeyInFileIsNamed() throws IOException {
    Path f = dir.resolve("bad.toml");
    Files.writeString(f, "[model]\ndimm = 64\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("debug", f, List.of()));
    assertEquals("model.dimm", e.key());
    assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
  }

  @Test
  void unknownSectionIsNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load("debug", null, List.of("optimizer.lr=1")));
    assertEquals("optimizer", e.key());
  }

  @Test
  void wrongTypeIsNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load("debug", null, List.of("train.steps=many")));
    assertEquals("train.steps", e.key());
    assertTrue(e.getMessage().contains("must be an integer"), e.getMessage());
  }

  @Test
  void headsNotDividingWidthIsNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load("debug", null, List.of("model.heads=5")));
    assertEquals("model.heads", e.key());
  }

  @Test
  void seqLenBeyondModelIsNamed() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load("debug", null, List.of("train.seq_len=65")));
    assertEquals("train.seq_len", e.key());
  }

  @Test
  void unknownPresetListsTheKnownOnes() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load("gpt5", null, List.of()));
    assertTrue(e.getMessage().contains("debug, llama-tiny"), e.getMessage());
  }

  @Test
  void layersApplyInOrder() throws IOException {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "[train]\nsteps = 7\nseed = 9\n");
    TrainConfig c = ConfigLoader.load("gpt2-124m", f, List.of("train.steps=11", "data.source=/tmp/x.u16"));
    assertEquals(11, c.train().steps());
    assertEquals(9, c.train().seed());
    assertEquals(768, c.model().dim());
    assertEquals("/tmp/x.u16", c.data().source());
  }

  @Test
  void badTomlSaysWhere() throws IOException {
    Path f = dir.resolve("broken.toml");
    Files.writeString(f, "[model\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, f, List.of()));
    assertTrue(e.getMessage().contains("broken.toml"), e.getMessage());
  }
}
