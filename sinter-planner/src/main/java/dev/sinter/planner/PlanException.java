// The error for planner input a user got wrong (a bad layout, an unknown chip, a model file with a
// typo). It names the key and the rule; being an IllegalArgumentException, the CLI prints it as one
// line and exits with the usage code.
package dev.sinter.planner;

/** A bad planner input; {@link #key()} names what is wrong, e.g. "layout.tp" or "--cluster". */
public final class PlanException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String key;

  /**
   * @param key  the option, file field or layout key at fault
   * @param rule what is wrong and what is allowed
   */
  public PlanException(String key, String rule) {
    super(key + ": " + rule);
    this.key = key;
  }

  /** The key at fault. */
  public String key() {
    return key;
  }
}
