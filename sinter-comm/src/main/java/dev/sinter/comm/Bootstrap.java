// Turning a launcher's environment into a connected Communicator, so that `torchrun`-style
// launchers and `srun sinter train ...` both work without flags. Rank 0 starts the rendezvous store
// at MASTER_ADDR:MASTER_PORT, every rank (rank 0 included) joins it, and TcpGroup builds the mesh.
// Parsing is separate from connecting (settings()), so the launcher and tests can check a job's
// environment without opening a socket.
package dev.sinter.comm;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds the job's communicator from environment variables.
 *
 * <p>Variables read, first match wins:
 * <ul>
 *   <li>rank: {@code RANK}, else {@code SLURM_PROCID}</li>
 *   <li>world size: {@code WORLD_SIZE}, else {@code SLURM_NTASKS}</li>
 *   <li>local rank (reported, for device and core pinning): {@code LOCAL_RANK}, else
 *       {@code SLURM_LOCALID}, else 0</li>
 *   <li>store host: {@code MASTER_ADDR}, else the first host of {@code SLURM_STEP_NODELIST},
 *       {@code SLURM_JOB_NODELIST} or {@code SLURM_NODELIST} (Slurm hostlist syntax such as
 *       {@code node[01-03,07]} is expanded)</li>
 *   <li>store port: {@code MASTER_PORT}, else {@code 15000 + SLURM_JOB_ID mod 15000} (below the
 *       Linux ephemeral range, and the same on every rank of the job)</li>
 *   <li>secret: {@code SINTER_JOB_SECRET}, else the contents of the file named by
 *       {@code SINTER_JOB_SECRET_FILE} (trailing whitespace removed); at least 16 bytes. Not needed
 *       for a world of one rank.</li>
 *   <li>{@code SINTER_BIND_ADDR} (optional): the interface rank 0's store and every rank's data
 *       plane listen on. Default: the store listens on MASTER_ADDR's own address (loopback when
 *       MASTER_ADDR is loopback), and each rank's data plane on the interface that reaches the store.</li>
 *   <li>{@code SINTER_STORE_EXTERNAL=1} (optional): a store already runs at MASTER_ADDR:MASTER_PORT
 *       (started by a launcher), so rank 0 does not start one.</li>
 *   <li>{@code SINTER_SHM} (optional): {@code 0} (or {@code off}, {@code false}) keeps every byte on
 *       TCP; {@code 1}, {@code on}, {@code true}, {@code auto} or unset lets ranks on the same host
 *       exchange data through shared memory ({@link TcpGroup.Context#sharedMemory(boolean)}).</li>
 * </ul>
 * Torchrun's names take precedence over Slurm's, so a torchrun started inside an allocation works.
 */
public final class Bootstrap {
  /** Default per-operation timeout of {@link #fromEnvironment(Map)}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private Bootstrap() {}

  /**
   * A rank's place in the job, as read from the environment.
   *
   * @param source "torchrun", "slurm" or "single" (a world of one)
   */
  public record Settings(int rank, int worldSize, int localRank, String masterAddr, int masterPort, byte[] secret,
      InetAddress bindAddress, boolean externalStore, boolean sharedMemory, String keyPrefix, String source) {}

  /** Connects with {@link #DEFAULT_TIMEOUT}. */
  public static Communicator fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, DEFAULT_TIMEOUT);
  }

  /**
   * Reads {@link #settings(Map)} and joins the job: rank 0 starts the store (unless external), then
   * every rank connects the mesh. A world of one rank gets an in-process communicator and opens no
   * socket.
   *
   * @param env     the environment, usually {@code System.getenv()}
   * @param timeout per-operation timeout of the communicator, and of the bootstrap itself
   * @throws IllegalArgumentException naming the variable that is missing or invalid
   * @throws CommException when the store or a peer cannot be reached or refuses the secret
   */
  public static Communicator fromEnvironment(Map<String, String> env, Duration timeout) {
    Settings s = settings(env);
    if (s.worldSize() == 1) {
      return new InProcessGroup(1, timeout.toMillis()).rank(0);
    }
    InetSocketAddress storeAddr = new InetSocketAddress(s.masterAddr(), s.masterPort());
    if (storeAddr.isUnresolved()) {
      throw new IllegalArgumentException("MASTER_ADDR: cannot resolve host '" + s.masterAddr() + "'");
    }
    RendezvousStore store = null;
    if (s.rank() == 0 && !s.externalStore()) {
      InetAddress bind = s.bindAddress() != null ? s.bindAddress() : storeAddr.getAddress();
      store = RendezvousStore.start(bind, s.masterPort(), s.secret());
    }
    try (StoreClient client = StoreClient.connect(storeAddr, s.secret(), timeout)) {
      InetAddress dataBind = s.bindAddress() != null ? s.bindAddress() : client.localAddress();
      return TcpGroup.connect(new TcpGroup.Context().rank(s.rank()).worldSize(s.worldSize()).storeClient(client)
          .secret(s.secret()).bindAddress(dataBind).timeout(timeout).keyPrefix(s.keyPrefix()).ownedStore(store)
          .sharedMemory(s.sharedMemory()));
    } catch (RuntimeException e) {
      if (store != null) {
        store.close();
      }
      throw e;
    }
  }

  /**
   * Parses and validates the environment without connecting.
   *
   * @throws IllegalArgumentException naming the variable that is missing or invalid
   */
  public static Settings settings(Map<String, String> env) {
    boolean torchrun = env.containsKey("RANK") || env.containsKey("WORLD_SIZE");
    boolean slurm = !torchrun && env.containsKey("SLURM_PROCID");
    if (!torchrun && !slurm) {
      throw new IllegalArgumentException("no launcher environment: set RANK and WORLD_SIZE (with MASTER_ADDR,"
          + " MASTER_PORT, SINTER_JOB_SECRET), or run under srun, which sets SLURM_PROCID and SLURM_NTASKS");
    }
    int world = torchrun ? intVar(env, "WORLD_SIZE", 1) : intVar(env, "SLURM_NTASKS", 1);
    int rank = torchrun ? intVar(env, "RANK", 0) : intVar(env, "SLURM_PROCID", 0);
    if (rank >= world) {
      throw new IllegalArgumentException((torchrun ? "RANK" : "SLURM_PROCID") + " (" + rank + ") must be less than "
          + (torchrun ? "WORLD_SIZE" : "SLURM_NTASKS") + " (" + world + ")");
    }
    String localName = env.containsKey("LOCAL_RANK") ? "LOCAL_RANK" : "SLURM_LOCALID";
    int local = env.containsKey(localName) ? intVar(env, localName, 0) : 0;
    String prefix = "sinter/" + env.getOrDefault("SLURM_JOB_ID", "job") + "/";
    if (world == 1) {
      return new Settings(0, 1, local, "127.0.0.1", 0, null, null, false, false, prefix, "single");
    }
    String master = env.get("MASTER_ADDR");
    if (master == null || master.isBlank()) {
      String list = firstNonBlank(env, "SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST");
      if (list == null) {
        throw new IllegalArgumentException("MASTER_ADDR is not set (and no SLURM_STEP_NODELIST, SLURM_JOB_NODELIST or"
            + " SLURM_NODELIST to take the first host from): set it to the host of rank 0");
      }
      master = expandHostlist(list).get(0);
    }
    int port;
    if (env.containsKey("MASTER_PORT")) {
      port = intVar(env, "MASTER_PORT", 1);
      if (port > 65535) {
        throw new IllegalArgumentException("MASTER_PORT must be a port in [1, 65535], got " + port);
      }
    } else if (env.containsKey("SLURM_JOB_ID")) {
      port = 15000 + (int) (longVar(env, "SLURM_JOB_ID") % 15000);
    } else {
      throw new IllegalArgumentException("MASTER_PORT is not set (nor SLURM_JOB_ID to derive it from): set it to a"
          + " free port on the host of rank 0");
    }
    byte[] secret = secret(env);
    InetAddress bind = null;
    String b = env.get("SINTER_BIND_ADDR");
    if (b != null && !b.isBlank()) {
      try {
        bind = InetAddress.getByName(b.trim());
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("SINTER_BIND_ADDR: cannot resolve '" + b + "'", e);
      }
    }
    boolean external = "1".equals(env.get("SINTER_STORE_EXTERNAL")) || "true".equals(env.get("SINTER_STORE_EXTERNAL"));
    return new Settings(rank, world, local, master, port, secret, bind, external, sharedMemory(env), prefix,
        torchrun ? "torchrun" : "slurm");
  }

  /** SINTER_SHM: on unless set to 0, off or false. */
  private static boolean sharedMemory(Map<String, String> env) {
    String v = env.getOrDefault("SINTER_SHM", "auto").trim().toLowerCase(java.util.Locale.ROOT);
    return switch (v) {
      case "0", "off", "false" -> false;
      case "1", "on", "true", "auto", "" -> true;
      default -> throw new IllegalArgumentException("SINTER_SHM must be 0/off/false (TCP only) or 1/on/true/auto"
          + " (shared memory between ranks on one host), got '" + env.get("SINTER_SHM") + "'");
    };
  }

  private static byte[] secret(Map<String, String> env) {
    String s = env.get("SINTER_JOB_SECRET");
    if (s != null && !s.isEmpty()) {
      return Handshake.checkSecret(s.getBytes(StandardCharsets.UTF_8), "SINTER_JOB_SECRET");
    }
    String file = env.get("SINTER_JOB_SECRET_FILE");
    if (file != null && !file.isEmpty()) {
      try {
        String text = Files.readString(Path.of(file), StandardCharsets.UTF_8).stripTrailing();
        return Handshake.checkSecret(text.getBytes(StandardCharsets.UTF_8), "SINTER_JOB_SECRET_FILE (" + file + ")");
      } catch (IOException e) {
        throw new IllegalArgumentException("SINTER_JOB_SECRET_FILE: cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException("neither SINTER_JOB_SECRET nor SINTER_JOB_SECRET_FILE is set: every rank needs"
        + " the job's secret (e.g. export SINTER_JOB_SECRET=$(openssl rand -hex 32) before launching)");
  }

  private static String firstNonBlank(Map<String, String> env, String... names) {
    for (String n : names) {
      String v = env.get(n);
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static int intVar(Map<String, String> env, String name, int min) {
    long v = longVar(env, name);
    if (v < min || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " must be an integer >= " + min + ", got '" + env.get(name) + "'");
    }
    return (int) v;
  }

  private static long longVar(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is not set");
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + v + "'");
    }
  }

  /**
   * Expands a Slurm hostlist: {@code "node[01-03,07],gpu5"} → node01, node02, node03, node07, gpu5.
   * Ranges keep the zero padding of their lower bound; several bracket groups in one name expand as
   * a product ({@code "r[1-2]n[1-2]"} → r1n1, r1n2, r2n1, r2n2).
   *
   * @throws IllegalArgumentException on unbalanced brackets or a malformed range
   */
  public static List<String> expandHostlist(String list) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= list.length(); i++) {
      char c = i < list.length() ? list.charAt(i) : ',';
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      }
      if (depth < 0 || depth > 1) {
        throw new IllegalArgumentException("malformed hostlist '" + list + "': unbalanced brackets");
      }
      if (c == ',' && depth == 0) {
        String item = list.substring(start, i).trim();
        if (!item.isEmpty()) {
          expandOne(item, list, out);
        }
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw new IllegalArgumentException("malformed hostlist '" + list + "': unbalanced brackets");
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("empty hostlist '" + list + "'");
    }
    return out;
  }

  private static void expandOne(String item, String list, List<String> out) {
    int open = item.indexOf('[');
    if (open < 0) {
      out.add(item);
      return;
    }
    int close = item.indexOf(']', open);
    String head = item.substring(0, open);
    String tail = item.substring(close + 1);
    for (String part : item.substring(open + 1, close).split(",")) {
      String[] ab = part.trim().split("-", -1);
      try {
        if (ab.length == 1) {
          expandOne(head + ab[0] + tail, list, out);
        } else if (ab.length == 2) {
          long lo = Long.parseLong(ab[0]);
          long hi = Long.parseLong(ab[1]);
          if (hi < lo || hi - lo > 100_000) {
            throw new NumberFormatException();
          }
          for (long v = lo; v <= hi; v++) {
            String num = Long.toString(v);
            String padded = "0".repeat(Math.max(0, ab[0].length() - num.length())) + num;
            expandOne(head + padded + tail, list, out);
          }
        } else {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("malformed hostlist '" + list + "': bad range '" + part + "'");
      }
    }
  }
}
