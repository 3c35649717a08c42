// The reference implementation of Kernels: plain loops, one thread. Every fast kernel is tested
// against it, and `--kernels scalar` selects it at run time to rule out a kernel bug.
package dev.sinter.tensor;

/** Plain-loop kernels; slow, obviously correct, single-threaded. */
public final class ScalarKernels implements Kernels {
  private final ThreadPool pool;

  /** @param pool kept only so callers can ask for it; scalar kernels run on the calling thread */
  public ScalarKernels(ThreadPool pool) {
    this.pool = pool;
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public ThreadPool pool() {
    return pool;
  }

  @Override
  public String toString() {
    return name() + " on " + pool.threads() + " thread(s)";
  }

  @Override
  public void matmul(float[] y, int yOff, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff, int m, int n, int k) {
    ScalarGemm.matmul(y, yOff, x, xOff, w, wOff, bias, biasOff, m, n, k);
  }

  @Override
  public void matmulBackwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff, int m, int n, int k) {
    ScalarGemm.matmulBackwardInput(dx, dxOff, dy, dyOff, w, wOff, m, n, k);
  }

  @Override
  public void matmulBackwardWeight(float[] dw, int dwOff, float[] dbias, int dbiasOff, float[] dy, int dyOff, float[] x, int xOff, int m, int n, int k) {
    ScalarGemm.matmulBackwardWeight(dw, dwOff, dbias, dbiasOff, dy, dyOff, x, xOff, m, n, k);
  }

  @Override
  public void rmsnormForward(float[] out, int outOff, float[] rstd, int rstdOff, float[] x, int xOff, float[] weight, int wOff, int rows, int c, float eps) {
    ScalarOps.rmsnormForward(out, outOff, rstd, rstdOff, x, xOff, weight, wOff, rows, c, eps);
  }

  @Override
  public void rmsnormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff, float[] rstd, int rstdOff, int rows, int c) {
    ScalarOps.rmsnormBackward(dx, dxOff, dweight, dwOff, dout, doutOff, x, xOff, weight, wOff, rstd, rstdOff, rows, c);
  }

  @Override
  public void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff, float[] x, int xOff, float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps) {
    ScalarOps.layernormForward(out, outOff, mean, meanOff, rstd, rstdOff, x, xOff, weight, wOff, bias, bOff, rows, c, eps);
  }

  @Override
  public void layernormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dbias, int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff, float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int c) {
    ScalarOps.layernormBackward(dx, dxOff, dweight, dwOff, dbias, dbOff, dout, doutOff, x, xOff, weight, wOff, mean, meanOff, rstd, rstdOff, rows, c);
  }

  @Override
  public void swigluForward(float[] out, int outOff, float[] gu, int guOff, int rows, int f) {
    ScalarOps.swigluForward(out, outOff, gu, guOff, rows, f);
  }

  @Override
  public void swigluBackward(float[] dgu, int dguOff, float[] dout, int doutOff, float[] gu, int guOff, int rows, int f) {
    ScalarOps.swigluBackward(dgu, dguOff, dout, doutOff, gu, guOff, rows, f);
  }

  @Override
  public void geluForward(float[] out, int outOff, float[] x, int xOff, int n) {
    ScalarOps.geluForward(out, outOff, x, xOff, n);
  }

  @Override
  public void geluBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, int n) {
    ScalarOps.geluBackward(dx, dxOff, dout, doutOff, x, xOff, n);
  }

  @Override
  public void rope(float[] x, int xOff, int stride, float[] cos, float[] sin, int b, int t, int heads, int hs, boolean inverse) {
    ScalarOps.rope(x, xOff, stride, cos, sin, b, t, heads, hs, inverse);
  }

  @Override
  public void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
    ScalarOps.add(out, outOff, a, aOff, b, bOff, n);
  }

  @Override
  public void attentionForward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff, int b, int t, int nh, int nkv, int hs) {
    ScalarAttention.forward(out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
  }

  @Override
  public void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff, float[] out, int outOff, float[] lse, int lseOff, int b, int t, int nh, int nkv, int hs) {
    ScalarAttention.backward(dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, out, outOff, lse, lseOff, b, t, nh, nkv, hs);
  }

  @Override
  public void crossEntropy(float[] losses, int lossOff, float[] logits, int logitsOff, int[] targets, int tOff, int rows, int v, float gradScale) {
    ScalarOps.crossEntropy(losses, lossOff, logits, logitsOff, targets, tOff, rows, v, gradScale);
  }

  @Override
  public void softmax(float[] out, int outOff, float[] x, int xOff, int rows, int c) {
    ScalarOps.softmax(out, outOff, x, xOff, rows, c);
  }

  @Override
  public void adamw(float[] p, float[] g, float[] m, float[] v, int off, int mOff, int n, float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
    ScalarOps.adamw(p, g, m, v, off, mOff, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
  }

  @Override
  public double sumOfSquares(float[] x, int off, int n) {
    return ScalarOps.sumOfSquares(x, off, n);
  }

  @Override
  public void scale(float[] x, int off, int n, float s) {
    ScalarOps.scale(x, off, n, s);
  }
}
