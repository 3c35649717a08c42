// Chooses the Kernels implementation once, at start-up, and says why (Lucene's habit: SIMD code
// behind an interface with a scalar twin, the choice logged with its reason).
package dev.sinter.tensor;

import java.lang.System.Logger.Level;

/** Picks scalar or Vector API kernels; see {@link Kernels#create}. */
final class KernelSelector {
  private static final System.Logger LOG = System.getLogger("sinter.kernels");

  private KernelSelector() {}

  static Kernels create(String choice, ThreadPool pool) {
    return switch (choice) {
      case "scalar" -> {
        LOG.log(Level.INFO, "kernels: scalar (forced)");
        yield new ScalarKernels(pool);
      }
      case "vector" -> {
        String why = vectorUnavailableReason();
        if (why != null) {
          throw new IllegalArgumentException("kernels = \"vector\" was requested but " + why);
        }
        LOG.log(Level.INFO, "kernels: vector (forced), " + describe(pool));
        yield new VectorKernels(pool);
      }
      case "auto" -> {
        String why = vectorUnavailableReason();
        if (why == null) {
          LOG.log(Level.INFO, "kernels: vector (auto), " + describe(pool));
          yield new VectorKernels(pool);
        }
        LOG.log(Level.WARNING, "kernels: scalar (auto), because " + why);
        yield new ScalarKernels(pool);
      }
      default -> throw new IllegalArgumentException(
          "kernels: unknown choice \"" + choice + "\" (allowed: auto, vector, scalar)");
    };
  }

  /** Null when the Vector API is usable, else a sentence saying why not. */
  static String vectorUnavailableReason() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return "the JVM was started without --add-modules jdk.incubator.vector";
    }
    int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
    if (bits < 256) {
      return "the preferred vector width is only " + bits + " bits";
    }
    return null;
  }

  private static String describe(ThreadPool pool) {
    return jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors, "
        + pool.threads() + " thread(s)";
  }
}
