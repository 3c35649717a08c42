// `sinter launch --nproc N [--nnodes M --node-rank R --master HOST:PORT] -- train …`: starts this
// node's ranks as child processes with the torchrun environment (MASTER_ADDR, MASTER_PORT, RANK,
// WORLD_SIZE, LOCAL_RANK) and a per-job secret, prefixes their output with the rank, forwards
// SIGTERM/SIGINT, and when a rank dies stops the others and restarts the job from the latest good
// checkpoint (--resume of the run directory), up to --max-restarts times, saying why each time.
package dev.sinter.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs one node's share of a multi-rank job and keeps it alive. */
@Command(name = "launch", mixinStandardHelpOptions = true,
    description = "Start N ranks of a command on this node (torchrun-style) and restart the job if a rank dies.")
public final class LaunchCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--nproc", required = true, description = "Ranks on this node.")
  int nproc;

  @Option(names = "--nnodes", defaultValue = "1", description = "Nodes in the job (default ${DEFAULT-VALUE}).")
  int nnodes;

  @Option(names = "--node-rank", defaultValue = "0", description = "This node's index, 0..nnodes-1.")
  int nodeRank;

  @Option(names = "--master", paramLabel = "HOST:PORT",
      description = "Where rank 0 serves the rendezvous store (default: 127.0.0.1 and a free port; required with --nnodes > 1).")
  String master;

  @Option(names = "--max-restarts", defaultValue = "0", description = "Restarts after a rank fails (default ${DEFAULT-VALUE}).")
  int maxRestarts;

  @Option(names = "--grace-s", defaultValue = "30", description = "Seconds ranks get to save and exit after SIGTERM.")
  int graceS;

  @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The sinter command each rank runs, e.g. train --preset debug --out runs/x.")
  List<String> command;

  /** Environment variable carrying the per-job secret to the ranks (never the command line). */
  public static final String SECRET_ENV = "SINTER_JOB_SECRET";

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (nproc < 1 || nnodes < 1 || nodeRank < 0 || nodeRank >= nnodes) {
      throw new IllegalArgumentException("need --nproc >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes");
    }
    if (nnodes > 1 && master == null) {
      throw new IllegalArgumentException("--master HOST:PORT is required when the job spans nodes");
    }
    String secret = System.getenv(SECRET_ENV);
    if (secret == null || secret.isBlank()) {
      if (nnodes > 1) {
        throw new IllegalArgumentException("a job over several nodes needs the same secret on each: export "
            + SECRET_ENV + " (e.g. from `openssl rand -hex 32`) on every node");
      }
      byte[] b = new byte[32];
      new SecureRandom().nextBytes(b);
      secret = HexFormat.of().formatHex(b);
    }
    Path runDir = runDirectory(command);
    int restarts = 0;
    while (true) {
      String addr = master != null ? master : "127.0.0.1:" + freePort();
      List<String> args = new ArrayList<>(command);
      if (restarts > 0 && runDir != null && Files.exists(runDir.resolve("checkpoints").resolve("latest"))
          && !args.contains("--resume")) {
        args = resumeArgs(args, runDir);
      }
      Outcome o = runOnce(args, addr, secret, out, err);
      if (o.signalled()) {
        err.println("launch: stopped by a signal; ranks were asked to save and exit");
        return Main.FAILED;
      }
      if (o.failedRank() < 0) {
        return Main.OK;
      }
      String why = "rank " + o.failedRank() + " exited with code " + o.code()
          + (o.code() > 128 ? " (killed by signal " + (o.code() - 128) + ")" : "");
      if (restarts >= maxRestarts) {
        err.println("launch: " + why + "; no restarts left (--max-restarts " + maxRestarts + "), giving up");
        return Main.FAILED;
      }
      restarts++;
      err.println("launch: " + why + "; restart " + restarts + "/" + maxRestarts
          + (runDir != null ? " from the latest good checkpoint in " + runDir : " from scratch (no --out to resume from)"));
      err.flush();
    }
  }

  /** How one attempt ended: a rank that failed first (or -1), its code, or a stop signal. */
  record Outcome(int failedRank, int code, boolean signalled) {}

  private Outcome runOnce(List<String> args, String addr, String secret, PrintWriter out, PrintWriter err)
      throws IOException, InterruptedException {
    int colon = addr.lastIndexOf(':');
    List<Process> procs = new ArrayList<>();
    List<Thread> pumps = new ArrayList<>();
    AtomicBoolean signalled = new AtomicBoolean();
    Thread hook = new Thread(() -> {
      signalled.set(true);
      stopAll(procs);
    }, "launch-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      for (int local = 0; local < nproc; local++) {
        int rank = nodeRank * nproc + local;
        ProcessBuilder pb = new ProcessBuilder(childCommand(args)).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("MASTER_ADDR", addr.substring(0, colon));
        env.put("MASTER_PORT", addr.substring(colon + 1));
        env.put("RANK", Integer.toString(rank));
        env.put("WORLD_SIZE", Integer.toString(nproc * nnodes));
        env.put("LOCAL_RANK", Integer.toString(local));
        env.put("LOCAL_WORLD_SIZE", Integer.toString(nproc));
        env.put(SECRET_ENV, secret);
        Process p = pb.start();
        procs.add(p);
        Thread t = new Thread(() -> pump(p, rank, out), "launch-rank-" + rank);
        t.setDaemon(true);
        t.start();
        pumps.add(t);
      }
      // Wait for the first rank to end; if it failed, stop the rest.
      int failed = -1;
      int code = 0;
      while (failed < 0) {
        boolean alive = false;
        for (int i = 0; i < procs.size(); i++) {
          Process p = procs.get(i);
          if (p.isAlive()) {
            alive = true;
          } else if (p.exitValue() != 0 && !signalled.get()) {
            failed = nodeRank * nproc + i;
            code = p.exitValue();
            break;
          }
        }
        if (!alive) {
          break;
        }
        Thread.sleep(100);
      }
      if (failed >= 0) {
        stopAll(procs);
      }
      for (Thread t : pumps) {
        t.join(5000);
      }
      return new Outcome(failed, code, signalled.get());
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook is stopping the ranks
      }
    }
  }

  /** SIGTERM to every live rank (they save a checkpoint and exit), SIGKILL after the grace period. */
  private void stopAll(List<Process> procs) {
    for (Process p : procs) {
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceS);
    for (Process p : procs) {
      try {
        if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  private static void pump(Process p, int rank, PrintWriter out) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (out) {
          out.println("[rank " + rank + "] " + line);
          out.flush();
        }
      }
    } catch (IOException e) {
      // the rank is gone; its exit code tells the story
    }
  }

  /** This JVM's java, flags and class path, running Main with {@code args}. */
  static List<String> childCommand(List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-Dsinter.test.")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(args);
    return cmd;
  }

  /** The value of --out in a train command, or null. */
  static Path runDirectory(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--out") && i + 1 < args.size()) {
        return Path.of(args.get(i + 1));
      }
      if (a.startsWith("--out=")) {
        return Path.of(a.substring(6));
      }
    }
    return null;
  }

  /**
   * A restart: `train --resume DIR` takes its config from the checkpoint, so the preset, config
   * file and init-from of the first attempt are dropped; overrides (--set, --steps, --threads, --out)
   * stay.
   */
  static List<String> resumeArgs(List<String> args, Path runDir) {
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--preset") || a.equals("--config") || a.equals("--init-from")) {
        i++;
      } else if (!a.startsWith("--preset=") && !a.startsWith("--config=") && !a.startsWith("--init-from=")) {
        kept.add(a);
      }
    }
    kept.add("--resume");
    kept.add(runDir.toString());
    return kept;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
