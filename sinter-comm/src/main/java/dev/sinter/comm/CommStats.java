// Bytes moved per collective kind, counted by the rank that sends them; the training loop turns
// them into per-step telemetry.
package dev.sinter.comm;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Per-kind byte and call counters of one rank. Thread-safe. */
public final class CommStats {
  /** The kinds of traffic. */
  public enum Kind { ALL_REDUCE, REDUCE_SCATTER, ALL_GATHER, BROADCAST, ALL_TO_ALL, SEND_RECV, BARRIER }

  private final EnumMap<Kind, long[]> counters = new EnumMap<>(Kind.class);

  public CommStats() {
    for (Kind k : Kind.values()) {
      counters.put(k, new long[2]);
    }
  }

  /** Records one call of {@code kind} that sent {@code bytes}. */
  public synchronized void add(Kind kind, long bytes) {
    long[] c = counters.get(kind);
    c[0] += bytes;
    c[1]++;
  }

  /** Bytes sent by calls of {@code kind}. */
  public synchronized long bytes(Kind kind) {
    return counters.get(kind)[0];
  }

  /** Calls of {@code kind}. */
  public synchronized long calls(Kind kind) {
    return counters.get(kind)[1];
  }

  /** {"all_reduce": bytes, ...} for the kinds that moved anything. */
  public synchronized Map<String, Long> bytesByKind() {
    Map<String, Long> m = new LinkedHashMap<>();
    counters.forEach((k, c) -> {
      if (c[1] > 0) {
        m.put(k.name().toLowerCase(java.util.Locale.ROOT), c[0]);
      }
    });
    return m;
  }
}
