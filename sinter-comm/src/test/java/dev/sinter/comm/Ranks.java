// Test harness: builds groups of either back end with every rank a thread of this JVM (TCP ranks
// still talk through real loopback sockets), and runs a body on every rank at once, collecting each
// rank's failure so that a hang or an error on one rank is reported, not waited out.
package dev.sinter.comm;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

final class Ranks {
  static final byte[] SECRET = "test-secret-of-this-job-0123456789".getBytes(StandardCharsets.UTF_8);

  private Ranks() {}

  /** One rank's work. */
  interface Body<T> {
    T run(Communicator c) throws Exception;
  }

  /** In-process ranks. */
  static List<Communicator> inproc(int n) {
    InProcessGroup g = new InProcessGroup(n, 20_000);
    List<Communicator> cs = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      cs.add(g.rank(r));
    }
    return cs;
  }

  /** TCP ranks over loopback, with a fresh store that rank 0 owns; {@code tweak} adjusts each context. */
  static List<Communicator> tcp(int n, Consumer<TcpGroup.Context> tweak) {
    return tcp(n, RendezvousStore.start(0, SECRET), tweak);
  }

  /** TCP ranks that meet at {@code store}, which rank 0 then owns. */
  static List<Communicator> tcp(int n, RendezvousStore store, Consumer<TcpGroup.Context> tweak) {
    List<Communicator> cs = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
      List<Future<TcpGroup>> fs = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        TcpGroup.Context ctx = new TcpGroup.Context().rank(r).worldSize(n).storeAddress(store.address()).secret(SECRET)
            .timeout(Duration.ofSeconds(20)).ownedStore(r == 0 ? store : null);
        tweak.accept(ctx);
        fs.add(pool.submit(() -> TcpGroup.connect(ctx)));
      }
      for (Future<TcpGroup> f : fs) {
        cs.add(f.get(30, TimeUnit.SECONDS));
      }
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      cs.forEach(Communicator::close);
      store.close();
      throw new AssertionError("could not build a TCP group of " + n, e);
    }
    return cs;
  }

  /** A log handler that appends every message it sees to {@code into}. */
  static java.util.logging.Handler collecting(List<String> into) {
    return new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        into.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  /** Closes every rank at once, as a job's ranks do at its end (one by one, each would wait for the rest). */
  static void closeAll(List<Communicator> cs) {
    List<Thread> ts = new ArrayList<>();
    for (Communicator c : cs) {
      ts.add(Thread.ofPlatform().start(c::close));
    }
    for (Thread t : ts) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Small chunks and a small tree threshold, so modest sizes exercise every algorithm path. */
  static void smallChunks(TcpGroup.Context ctx) {
    ctx.chunkBytes(4096).treeThresholdBytes(1024);
  }

  /**
   * Runs {@code body} on every rank in its own thread; returns each rank's result, or throws the
   * first rank's failure (prefixed with {@code label}, e.g. the seed).
   */
  static <T> List<T> run(List<Communicator> cs, String label, long timeoutS, Body<T> body) {
    int n = cs.size();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<T>> fs = new ArrayList<>();
      for (Communicator c : cs) {
        fs.add(pool.submit(() -> body.run(c)));
      }
      List<T> out = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        try {
          out.add(fs.get(r).get(timeoutS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          cs.forEach(Communicator::close);
          throw new AssertionError(label + ": rank " + r + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
          cs.forEach(Communicator::close);
          throw new AssertionError(label + ": rank " + r + " did not finish within " + timeoutS + " s");
        }
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      // Interrupts a rank still stuck after a failure, instead of waiting for it as close() would.
      pool.shutdownNow();
    }
  }

  /** Runs {@code body} on every rank and returns what each threw (null where it returned normally). */
  static List<Throwable> failures(List<Communicator> cs, long timeoutS, Body<?> body) {
    int n = cs.size();
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (Communicator c : cs) {
        fs.add(pool.submit(() -> body.run(c)));
      }
      List<Throwable> out = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        try {
          fs.get(r).get(timeoutS, TimeUnit.SECONDS);
          out.add(null);
        } catch (ExecutionException e) {
          out.add(e.getCause());
        } catch (TimeoutException e) {
          throw new AssertionError("rank " + r + " hung: still running after " + timeoutS + " s");
        }
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      pool.shutdownNow();
    }
  }
}
