// The two shard sets a prepare run writes: training and held-out validation data.
package dev.sinter.data.shard;

/** Which shard set; the name is the file prefix ({@code train-00000.bin}). */
public enum Split {
  /** Documents used for training. */
  TRAIN("train"),
  /** Held-out documents, chosen by content hash, for evaluation. */
  VAL("val");

  private final String prefix;

  Split(String prefix) {
    this.prefix = prefix;
  }

  /** The file-name prefix. */
  public String prefix() {
    return prefix;
  }

  /** The file name of shard number {@code index}, e.g. {@code val-00003.bin}. */
  public String fileName(int index) {
    return String.format("%s-%05d.bin", prefix, index);
  }
}
