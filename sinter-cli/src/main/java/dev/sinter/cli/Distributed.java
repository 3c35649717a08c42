// Joining a multi-rank job from the environment the launcher (or torchrun, or Slurm's srun) sets:
// no variables, or a world of one, means a single-process run.
package dev.sinter.cli;

import dev.sinter.comm.Bootstrap;
import dev.sinter.comm.Communicator;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;

/** The data-parallel group of this process, from its environment. */
final class Distributed {
  private Distributed() {}

  /** Ranks on this machine (LOCAL_WORLD_SIZE, or SLURM_NTASKS_PER_NODE), 1 when not set. */
  static int localWorldSize(Map<String, String> env) {
    for (String k : new String[] {"LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE"}) {
      String v = env.get(k);
      if (v != null && v.matches("[0-9]+")) {
        return Math.max(1, Integer.parseInt(v));
      }
    }
    return 1;
  }

  /**
   * The job's communicator when the environment describes more than one rank, else null.
   *
   * @param timeoutS how long collectives (and joining) may wait before failing
   */
  static Communicator join(Map<String, String> env, int timeoutS, PrintWriter err) {
    boolean described = env.containsKey("WORLD_SIZE") || env.containsKey("SLURM_PROCID");
    if (!described) {
      return null;
    }
    Communicator comm = Bootstrap.fromEnvironment(env, Duration.ofSeconds(timeoutS));
    if (comm.size() == 1) {
      comm.close();
      return null;
    }
    err.printf("rank %d of %d joined (%s)%n", comm.rank(), comm.size(), comm.backend());
    err.flush();
    return comm;
  }
}
