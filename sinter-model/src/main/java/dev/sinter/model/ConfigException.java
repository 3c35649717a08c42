// The error for a configuration a user wrote wrong: it names the key and the rule, so the CLI can
// print one clear line instead of a stack trace.
package dev.sinter.model;

/** A bad configuration value; {@link #key()} is the dotted key, e.g. "model.heads". */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public ConfigException(String key, String rule) {
    super(key + ": " + rule);
    this.key = key;
  }

  /** The dotted configuration key at fault. */
  public String key() {
    return key;
  }
}
