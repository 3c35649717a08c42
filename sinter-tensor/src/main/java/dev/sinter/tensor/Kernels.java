// The one facade through which the model touches numerical kernels.
//
// Two implementations: ScalarKernels (plain loops, the reference every fast kernel is tested
// against) and VectorKernels (Vector API, blocked, multi-threaded). Kernels.create picks one at
// start-up and logs why.
//
// Conventions (llm.c style):
//   - all buffers are flat float[] with an element offset, row-major;
//   - argument order: outputs first, then inputs, then sizes;
//   - every backward ACCUMULATES (+=) into its gradient outputs, both activations and parameters;
//     the caller zeroes gradient buffers once per step (rope, an in-place rotation, is the exception);
//   - results must not depend on the thread count: parallel loops split work into a number of
//     tasks that depends only on the problem size.
// Legend: M rows (tokens), N output features, K input features, C channels, B batch, T time,
//   NH query heads, NKV key/value heads, hs head size, V vocabulary, F hidden width of the MLP.
package dev.sinter.tensor;

/** Numerical kernels for transformer training on flat float buffers. */
public interface Kernels {

  /** A short name for logs, e.g. "vector-256" or "scalar". */
  String name();

  /** The pool that parallel kernels run on. */
  ThreadPool pool();

  // ---------------------------------------------------------------- matmul, three training forms

  /**
   * Forward: {@code Y[M,N] = X[M,K] · W[N,K]ᵀ (+ bias[N])}. Y is overwritten.
   *
   * @param bias may be null
   */
  void matmul(float[] y, int yOff, float[] x, int xOff, float[] w, int wOff,
      float[] bias, int biasOff, int m, int n, int k);

  /**
   * Input gradient: {@code dX[M,K] = dY[M,N] · W[N,K]}. dX is overwritten: a layer's input
   * gradient has no other contribution to add to, and overwriting spares both a zeroing pass and
   * the GEMM's reading of the old values.
   */
  void matmulBackwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff,
      int m, int n, int k);

  /**
   * Weight gradient: {@code dW[N,K] += dY[M,N]ᵀ · X[M,K]} and {@code dBias[N] += Σ_m dY[m,:]}.
   *
   * @param dbias may be null
   */
  void matmulBackwardWeight(float[] dw, int dwOff, float[] dbias, int dbiasOff,
      float[] dy, int dyOff, float[] x, int xOff, int m, int n, int k);

  // ---------------------------------------------------------------- normalisation

  /**
   * RMSNorm over rows of C: {@code out = x / sqrt(mean(x²) + eps) * weight}; saves rstd[rows].
   */
  void rmsnormForward(float[] out, int outOff, float[] rstd, int rstdOff, float[] x, int xOff,
      float[] weight, int wOff, int rows, int c, float eps);

  /** RMSNorm backward: accumulates dx[rows,C] and dweight[C]. */
  void rmsnormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dout, int doutOff,
      float[] x, int xOff, float[] weight, int wOff, float[] rstd, int rstdOff, int rows, int c);

  /** LayerNorm over rows of C with affine weight and bias; saves mean[rows] and rstd[rows]. */
  void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
      float[] x, int xOff, float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps);

  /** LayerNorm backward: accumulates dx[rows,C], dweight[C], dbias[C]. */
  void layernormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dbias, int dbOff,
      float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff,
      float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int c);

  // ---------------------------------------------------------------- activations

  /**
   * SwiGLU on rows whose first F columns are the gate and next F the up projection:
   * {@code out[r,f] = silu(gu[r,f]) * gu[r,F+f]}. out is [rows,F], gu is [rows,2F].
   */
  void swigluForward(float[] out, int outOff, float[] gu, int guOff, int rows, int f);

  /** SwiGLU backward: overwrites dgu[rows,2F]. */
  void swigluBackward(float[] dgu, int dguOff, float[] dout, int doutOff, float[] gu, int guOff,
      int rows, int f);

  /** GELU, tanh approximation (as GPT-2), elementwise over n values. */
  void geluForward(float[] out, int outOff, float[] x, int xOff, int n);

  /** GELU backward: overwrites dx. */
  void geluBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, int n);

  // ---------------------------------------------------------------- position, residual

  /**
   * Rotary position embedding applied in place to the first {@code heads} heads of each row of a
   * [B*T, stride] buffer (the q and k parts of a fused qkv row), rotating pairs (i, i + hs/2)
   * (the Llama / Hugging Face "rotate_half" convention). cos and sin are [T, hs/2] tables.
   * With {@code inverse} the rotation is by the negative angle, which is the backward pass. Unlike
   * the other backward kernels this one works in place and does not accumulate: call it on a
   * gradient buffer that holds only the gradient flowing into the rotation. Row r of batch item b
   * uses table row r (positions start at 0 in every sequence).
   */
  void rope(float[] x, int xOff, int stride, float[] cos, float[] sin, int b, int t, int heads, int hs,
      boolean inverse);

  /** {@code out[i] = a[i] + b[i]}. out may alias a or b. */
  void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n);

  // ---------------------------------------------------------------- attention

  /**
   * Causal self-attention with grouped-query heads, computed tile by tile with an online softmax
   * so that no more than a tile of scores per head exists at a time.
   *
   * <p>qkv is [B, T, (NH + 2·NKV)·hs]: per row the NH query heads, then NKV key heads, then NKV
   * value heads. out is [B, T, NH·hs]; lse[B, NH, T] receives the log-sum-exp of each query's
   * scaled scores, which is all backward needs to rebuild the probabilities.
   */
  void attentionForward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff,
      int b, int t, int nh, int nkv, int hs);

  /** Attention backward: overwrites dqkv[B, T, (NH + 2·NKV)·hs] with dQ, dK and dV. */
  void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff,
      float[] out, int outOff, float[] lse, int lseOff, int b, int t, int nh, int nkv, int hs);

  // ---------------------------------------------------------------- loss

  /**
   * Softmax cross-entropy fused with its gradient, in place. For each row with target ≥ 0:
   * {@code losses[r] = logsumexp(logits[r]) - logits[r, target]} and the row of logits is replaced by
   * {@code (softmax(logits[r]) - onehot(target)) * gradScale}. Rows with target &lt; 0 are ignored:
   * loss 0 and gradient 0.
   */
  void crossEntropy(float[] losses, int lossOff, float[] logits, int logitsOff, int[] targets, int tOff,
      int rows, int v, float gradScale);

  /** Row-wise softmax over C columns; out may alias x. */
  void softmax(float[] out, int outOff, float[] x, int xOff, int rows, int c);

  // ---------------------------------------------------------------- optimizer and reductions

  /**
   * One AdamW update over a contiguous range, with decoupled weight decay:
   * {@code p -= lr * (m̂ / (sqrt(v̂) + eps) + wd * p)}. m and v are updated in place. p and g are
   * read at [off, off+n), m and v at [mOff, mOff+n): a ZeRO rank keeps moments for its shard only.
   *
   * @param bc1 1 - beta1^step
   * @param bc2 1 - beta2^step
   */
  void adamw(float[] p, float[] g, float[] m, float[] v, int off, int mOff, int n, float lr, float beta1,
      float beta2, float eps, float weightDecay, float bc1, float bc2);

  /**
   * Σ x² over a range, accumulated in double in a fixed order (the same for every thread count).
   */
  double sumOfSquares(float[] x, int off, int n);

  /** {@code x[i] *= s}. */
  void scale(float[] x, int off, int n, float s);

  /** Chooses the implementation: "auto" (Vector API when usable), "vector", or "scalar". */
  static Kernels create(String choice, ThreadPool pool) {
    return KernelSelector.create(choice, pool);
  }
}
