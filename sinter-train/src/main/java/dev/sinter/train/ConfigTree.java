// Strict reading of a parsed configuration tree: every key must be known, every value of the right
// type and range, and every error names the dotted key and the rule (never a stack trace).
package dev.sinter.train;

import dev.sinter.model.ConfigException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** One table of a configuration, read key by key; {@link #finish()} rejects what was not read. */
final class ConfigTree {
  private final String path;
  private final Map<String, Object> values;
  private final Set<String> read = new LinkedHashSet<>();

  ConfigTree(String path, Map<String, Object> values) {
    this.path = path;
    this.values = values == null ? Map.of() : values;
  }

  private String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private Object raw(String name) {
    read.add(name);
    Object v = values.get(name);
    if (v == null) {
      throw new ConfigException(key(name), "is missing");
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  ConfigTree table(String name) {
    Object v = raw(name);
    if (!(v instanceof Map<?, ?> m)) {
      throw new ConfigException(key(name), "must be a table ([" + key(name) + "]), got " + describe(v));
    }
    return new ConfigTree(key(name), (Map<String, Object>) m);
  }

  long getLong(String name, long min, long max) {
    Object v = raw(name);
    if (!(v instanceof Number n) || v instanceof Double || v instanceof Float) {
      throw new ConfigException(key(name), "must be an integer, got " + describe(v));
    }
    long x = n.longValue();
    if (x < min || x > max) {
      throw new ConfigException(key(name), "must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  int getInt(String name, int min, int max) {
    return (int) getLong(name, min, max);
  }

  double getDouble(String name, double min, double max) {
    Object v = raw(name);
    if (!(v instanceof Number n)) {
      throw new ConfigException(key(name), "must be a number, got " + describe(v));
    }
    double x = n.doubleValue();
    if (!(x >= min && x <= max)) {
      throw new ConfigException(key(name), "must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  boolean getBoolean(String name) {
    Object v = raw(name);
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(key(name), "must be true or false, got " + describe(v));
    }
    return b;
  }

  String getString(String name) {
    Object v = raw(name);
    if (!(v instanceof String s)) {
      throw new ConfigException(key(name), "must be a string, got " + describe(v));
    }
    return s;
  }

  /** Fails on the first key that was present but never read. */
  void finish() {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      String first = unknown.iterator().next();
      throw new ConfigException(key(first), "unknown key (known keys in " + (path.isEmpty() ? "the top level" : "[" + path + "]")
          + ": " + String.join(", ", new TreeSet<>(read)) + ")");
    }
  }

  private static String describe(Object v) {
    if (v instanceof String s) {
      return "the string \"" + s + "\"";
    }
    if (v instanceof Map<?, ?>) {
      return "a table";
    }
    if (v instanceof java.util.List<?>) {
      return "an array";
    }
    return String.valueOf(v);
  }

  /** Deep-merges {@code over} into a copy of {@code base}; tables merge, other values replace. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    for (Map.Entry<String, Object> e : over.entrySet()) {
      Object old = out.get(e.getKey());
      if (old instanceof Map<?, ?> om && e.getValue() instanceof Map<?, ?> nm) {
        out.put(e.getKey(), merge((Map<String, Object>) om, (Map<String, Object>) nm));
      } else {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }
}
