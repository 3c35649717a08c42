// A persistent pool of worker threads for per-op parallelism.
//
// Waking a fork/join worker costs 10-25 us, which is as long as a small kernel, so the workers stay
// alive for the life of the pool and spin briefly before parking. Work is always expressed as a
// fixed number of independent tasks whose count depends only on the problem size, never on the
// number of threads: each task writes its own part of the output, so results are bitwise the same
// with 1 thread or 16.
package dev.sinter.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/** Runs {@code parallelFor} loops on a fixed set of threads; the calling thread takes part. */
public final class ThreadPool implements AutoCloseable {
  private static final int SPIN_ITERATIONS = 20_000;

  private final int threads;
  private final Thread[] workers;
  private final Object submitLock = new Object();
  private volatile boolean closed;
  private volatile Job current;

  /** One parallelFor call; its counters belong to it, so a late worker can never mix two jobs. */
  private static final class Job {
    final IntConsumer body;
    final int tasks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger pending;
    volatile Throwable failure;

    Job(IntConsumer body, int tasks) {
      this.body = body;
      this.tasks = tasks;
      this.pending = new AtomicInteger(tasks);
    }

    void run() {
      int i;
      while ((i = next.getAndIncrement()) < tasks) {
        try {
          body.accept(i);
        } catch (Throwable t) {
          failure = t;
        } finally {
          pending.decrementAndGet();
        }
      }
    }
  }

  /**
   * @param threads total threads including the caller; must be at least 1
   */
  public ThreadPool(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }
    this.threads = threads;
    this.workers = new Thread[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      Thread t = new Worker(this::workerLoop, "sinter-worker-" + (i + 1));
      t.setDaemon(true);
      workers[i] = t;
      t.start();
    }
  }

  /** The thread count a setting asks for: {@code requested}, or every available processor for 0. */
  public static int resolveThreads(int requested) {
    if (requested < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0 = all processors), got " + requested);
    }
    return requested == 0 ? Runtime.getRuntime().availableProcessors() : requested;
  }

  /** A pool that runs everything on the calling thread. */
  public static ThreadPool single() {
    return new ThreadPool(1);
  }

  /** Number of threads including the caller. */
  public int threads() {
    return threads;
  }

  /**
   * Runs {@code body.accept(i)} for every i in [0, tasks), spread over the pool, and returns when
   * all have finished. Tasks must write disjoint outputs. A task that calls parallelFor again runs
   * the inner loop inline on its own thread.
   */
  public void parallelFor(int tasks, IntConsumer body) {
    if (tasks <= 0) {
      return;
    }
    if (runsInline(tasks)) {
      for (int i = 0; i < tasks; i++) {
        body.accept(i);
      }
      return;
    }
    synchronized (submitLock) {
      if (closed) {
        throw new IllegalStateException("thread pool is closed");
      }
      Job job = new Job(body, tasks);
      current = job;
      for (Thread w : workers) {
        LockSupport.unpark(w);
      }
      job.run();
      // Wait for the stragglers, spinning first: most kernels finish within microseconds of each other.
      int spins = 0;
      while (job.pending.get() > 0) {
        if (++spins < SPIN_ITERATIONS) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
      current = null;
      Throwable f = job.failure;
      if (f instanceof RuntimeException re) {
        throw re;
      }
      if (f instanceof Error e) {
        throw e;
      }
      if (f != null) {
        throw new IllegalStateException(f);
      }
    }
  }

  /**
   * Runs {@code body.accept(t)} for t in [0, threads), one t on each thread of the pool, every one
   * starting only once all threads have arrived: no thread runs two, and none is parked when this
   * returns (for timing each core on its own, or waking the workers before a timed call). Called
   * from inside a task, where the other threads are busy, it runs every t on the calling thread.
   */
  public void onEveryThread(IntConsumer body) {
    if (runsInline(threads)) {
      parallelFor(threads, body);
      return;
    }
    AtomicInteger arrived = new AtomicInteger();
    // One task per thread: a thread spinning here cannot claim a second one.
    parallelFor(threads, t -> {
      arrived.incrementAndGet();
      while (arrived.get() < threads) {
        Thread.onSpinWait();
      }
      body.accept(t);
    });
  }

  /** Whether a loop of {@code tasks} runs on the calling thread alone (see parallelFor). */
  private boolean runsInline(int tasks) {
    return threads == 1 || tasks == 1 || Thread.currentThread() instanceof Worker
        || Thread.holdsLock(submitLock);
  }

  private static final class Worker extends Thread {
    Worker(Runnable r, String name) {
      super(r, name);
    }
  }

  private void workerLoop() {
    Job seen = null;
    while (!closed) {
      int spins = 0;
      Job job;
      while ((job = current) == null || job == seen) {
        if (closed) {
          return;
        }
        if (++spins < SPIN_ITERATIONS) {
          Thread.onSpinWait();
        } else {
          LockSupport.park(this);
        }
      }
      seen = job;
      job.run();
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Thread w : workers) {
      LockSupport.unpark(w);
    }
  }
}
