// Builds a TrainConfig from layers of TOML: the built-in defaults (which list every key), then a
// named preset, then the user's file, then --set overrides. Presets are data files on the class
// path (presets/*.toml), not code.
package dev.sinter.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.sinter.model.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads, layers and validates configuration. */
public final class ConfigLoader {
  private static final TomlMapper TOML = new TomlMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private ConfigLoader() {}

  /** The names of the built-in presets, in the order of presets/index.txt. */
  public static List<String> presets() {
    String index = resource("presets/index.txt");
    List<String> names = new ArrayList<>();
    for (String line : index.split("\n")) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        names.add(s);
      }
    }
    return names;
  }

  /**
   * Loads a configuration.
   *
   * @param preset    a built-in preset name, or null for the defaults alone
   * @param file      a TOML file, or null
   * @param overrides "section.key=value" strings applied last, in order
   */
  public static TrainConfig load(String preset, Path file, List<String> overrides) {
    return fromTree(resolve(preset, file, overrides), List.of());
  }

  /**
   * The configuration tree {@link #load} validates: defaults, preset, file and overrides merged.
   * It is what checkpoints and run records store, and what {@link #fromTree} reads back.
   */
  public static Map<String, Object> resolve(String preset, Path file, List<String> overrides) {
    Map<String, Object> tree = parse(resource("defaults.toml"), "built-in defaults.toml");
    if (preset != null) {
      if (!presets().contains(preset)) {
        throw new ConfigException("--preset", "unknown preset \"" + preset + "\" (available: "
            + String.join(", ", presets()) + ")");
      }
      tree = ConfigTree.merge(tree, parse(resource("presets/" + preset + ".toml"), "preset " + preset));
    }
    if (file != null) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new ConfigException("--config", "no such file: " + file);
      } catch (IOException e) {
        throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
      }
      tree = ConfigTree.merge(tree, parse(text, file.toString()));
    }
    return applied(tree, overrides);
  }

  private static Map<String, Object> applied(Map<String, Object> tree, List<String> overrides) {
    for (String o : overrides) {
      tree = ConfigTree.merge(tree, override(o));
    }
    return tree;
  }

  /**
   * Validates a stored tree (from a checkpoint or a run record) with {@code overrides} on top. The
   * defaults lie underneath, so a tree saved before a key existed reads with that key's default.
   */
  public static TrainConfig fromTree(Map<String, Object> stored, List<String> overrides) {
    return TrainConfig.from(new ConfigTree("", withOverrides(stored, overrides)));
  }

  /** {@code stored} over the defaults, with {@code overrides} applied in order. */
  public static Map<String, Object> withOverrides(Map<String, Object> stored, List<String> overrides) {
    return applied(ConfigTree.merge(parse(resource("defaults.toml"), "built-in defaults.toml"), stored), overrides);
  }

  /** Turns "a.b=value" into {a: {b: value}}; the value is read as a TOML literal, else as a string. */
  static Map<String, Object> override(String assignment) {
    int eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException("--set", "expected section.key=value, got \"" + assignment + "\"");
    }
    String key = assignment.substring(0, eq).strip();
    String value = assignment.substring(eq + 1).strip();
    String[] parts = key.split("\\.");
    for (String p : parts) {
      if (!p.matches("[A-Za-z0-9_]+")) {
        throw new ConfigException("--set", "bad key \"" + key + "\": use section.key, e.g. train.steps");
      }
    }
    Object parsed;
    try {
      parsed = TOML.readValue("v = " + value, MAP).get("v");
    } catch (IOException e) {
      parsed = value;
    }
    Map<String, Object> leaf = new LinkedHashMap<>();
    leaf.put(parts[parts.length - 1], parsed);
    for (int i = parts.length - 2; i >= 0; i--) {
      Map<String, Object> up = new LinkedHashMap<>();
      up.put(parts[i], leaf);
      leaf = up;
    }
    return leaf;
  }

  private static Map<String, Object> parse(String text, String where) {
    try {
      return TOML.readValue(text, MAP);
    } catch (IOException e) {
      String msg = e.getMessage();
      int nl = msg == null ? -1 : msg.indexOf('\n');
      throw new ConfigException(where, "is not valid TOML: " + (nl > 0 ? msg.substring(0, nl) : msg));
    }
  }

  private static String resource(String name) {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing built-in resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read built-in resource " + name, e);
    }
  }
}
