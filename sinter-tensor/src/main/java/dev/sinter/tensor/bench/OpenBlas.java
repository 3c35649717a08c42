// Optional benchmark baseline: the system OpenBLAS cblas_sgemm, called through the FFM API.
//
// Never a runtime dependency: load() looks for the library at the usual Debian paths and returns
// empty when it is absent (Debian package libopenblas0-pthread). Calls are linked with
// Linker.Option.critical(true), so heap float[] are passed to C without copying (~10–15 ns a call).
package dev.sinter.tensor.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** A handle on the system OpenBLAS; use {@link #load()}. */
public final class OpenBlas {
  /** Where Debian and Ubuntu install OpenBLAS, most specific first. */
  static final List<String> CANDIDATES = List.of(
      "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
      "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
      "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
      "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
      "/usr/lib64/libopenblas.so.0",
      "/usr/lib/x86_64-linux-gnu/libblas.so.3",
      "/usr/lib/aarch64-linux-gnu/libblas.so.3");

  private static final int ROW_MAJOR = 101;
  private static final int NO_TRANS = 111;
  private static final int TRANS = 112;

  private final String path;
  private final MethodHandle sgemm;
  private final MethodHandle setNumThreads;

  private OpenBlas(String path, MethodHandle sgemm, MethodHandle setNumThreads) {
    this.path = path;
    this.sgemm = sgemm;
    this.setNumThreads = setNumThreads;
  }

  /** The first OpenBLAS found at the usual paths, or empty. A generic libblas is not accepted. */
  @SuppressWarnings("restricted") // native access is this class's purpose; see the header
  public static Optional<OpenBlas> load() {
    for (String candidate : CANDIDATES) {
      if (!Files.isReadable(Path.of(candidate))) {
        continue;
      }
      try {
        SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(candidate), Arena.global());
        Optional<MemorySegment> gemm = lib.find("cblas_sgemm");
        // The thread-count entry point is what proves this libblas is OpenBLAS.
        Optional<MemorySegment> threads = lib.find("openblas_set_num_threads");
        if (gemm.isEmpty() || threads.isEmpty()) {
          continue;
        }
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
        MethodHandle sgemm = linker.downcallHandle(gemm.get(),
            FunctionDescriptor.ofVoid(i32, i32, i32, i32, i32, i32, ValueLayout.JAVA_FLOAT,
                ValueLayout.ADDRESS, i32, ValueLayout.ADDRESS, i32, ValueLayout.JAVA_FLOAT,
                ValueLayout.ADDRESS, i32),
            Linker.Option.critical(true));
        MethodHandle set = linker.downcallHandle(threads.get(), FunctionDescriptor.ofVoid(i32));
        return Optional.of(new OpenBlas(candidate, sgemm, set));
      } catch (IllegalArgumentException | IllegalCallerException e) {
        // Not loadable here (wrong architecture, or native access not enabled): try the next one.
      }
    }
    return Optional.empty();
  }

  /** The library file in use. */
  public String path() {
    return path;
  }

  /** Sets the number of OpenBLAS threads for subsequent calls. */
  public void setThreads(int threads) {
    try {
      setNumThreads.invokeExact(threads);
    } catch (Throwable t) {
      throw new IllegalStateException("openblas_set_num_threads failed", t);
    }
  }

  /**
   * Row-major {@code C[M,N] = alpha·op(A)·op(B) + beta·C}, op(A) M×K and op(B) K×N; lda, ldb and
   * ldc are row strides of the arrays as stored (as in cblas).
   */
  public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
      float[] c, int cOff, int ldc) {
    MemorySegment sa = MemorySegment.ofArray(a).asSlice(4L * aOff);
    MemorySegment sb = MemorySegment.ofArray(b).asSlice(4L * bOff);
    MemorySegment sc = MemorySegment.ofArray(c).asSlice(4L * cOff);
    try {
      sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k,
          alpha, sa, lda, sb, ldb, beta, sc, ldc);
    } catch (Throwable t) {
      throw new IllegalStateException("cblas_sgemm failed", t);
    }
  }

  /** Y[M,N] = X[M,K]·W[N,K]ᵀ, the forward form of {@code VectorGemm.matmul} without bias. */
  public void matmul(float[] y, int yOff, float[] x, int xOff, float[] w, int wOff,
      int m, int n, int k) {
    sgemm(false, true, m, n, k, 1f, x, xOff, k, w, wOff, k, 0f, y, yOff, n);
  }

  /** dX[M,K] = dY[M,N]·W[N,K], as {@code VectorGemm.matmulBackwardInput}. */
  public void matmulBackwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff,
      int m, int n, int k) {
    sgemm(false, false, m, k, n, 1f, dy, dyOff, n, w, wOff, k, 0f, dx, dxOff, k);
  }

  /** dW[N,K] += dY[M,N]ᵀ·X[M,K], as {@code VectorGemm.matmulBackwardWeight} without bias. */
  public void matmulBackwardWeight(float[] dw, int dwOff, float[] dy, int dyOff, float[] x,
      int xOff, int m, int n, int k) {
    sgemm(true, false, n, k, m, 1f, dy, dyOff, n, x, xOff, k, 1f, dw, dwOff, k);
  }
}
