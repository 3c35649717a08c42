// The fast implementation of Kernels: Vector API, cache-blocked, multi-threaded over a partition
// that depends only on the problem shape (so results do not depend on the thread count).
package dev.sinter.tensor;

import jdk.incubator.vector.FloatVector;

/** Vector API kernels on a persistent thread pool. */
public final class VectorKernels implements Kernels {
  private final ThreadPool pool;

  /** @param pool the threads every parallel kernel runs on */
  public VectorKernels(ThreadPool pool) {
    this.pool = pool;
  }

  @Override
  public String name() {
    return "vector-" + FloatVector.SPECIES_PREFERRED.vectorBitSize();
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
    VectorGemm.matmul(pool, y, yOff, x, xOff, w, wOff, bias, biasOff, m, n, k);
  }

  @Override
  public void matmulBackwardInput(float[] dx, int dxOff, float[] dy, int dyOff, float[] w, int wOff, int m, int n, int k) {
    VectorGemm.matmulBackwardInput(pool, dx, dxOff, dy, dyOff, w, wOff, m, n, k);
  }

  @Override
  public void matmulBackwardWeight(float[] dw, int dwOff, float[] dbias, int dbiasOff, float[] dy, int dyOff, float[] x, int xOff, int m, int n, int k) {
    VectorGemm.matmulBackwardWeight(pool, dw, dwOff, dbias, dbiasOff, dy, dyOff, x, xOff, m, n, k);
  }

  @Override
  public void rmsnormForward(float[] out, int outOff, float[] rstd, int rstdOff, float[] x, int xOff, float[] weight, int wOff, int rows, int c, float eps) {
    VectorOps.rmsnormForward(pool, out, outOff, rstd, rstdOff, x, xOff, weight, wOff, rows, c, eps);
  }

  @Override
  public void rmsnormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff, float[] rstd, int rstdOff, int rows, int c) {
    VectorOps.rmsnormBackward(pool, dx, dxOff, dweight, dwOff, dout, doutOff, x, xOff, weight, wOff, rstd, rstdOff, rows, c);
  }

  @Override
  public void layernormForward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff, float[] x, int xOff, float[] weight, int wOff, float[] bias, int bOff, int rows, int c, float eps) {
    VectorOps.layernormForward(pool, out, outOff, mean, meanOff, rstd, rstdOff, x, xOff, weight, wOff, bias, bOff, rows, c, eps);
  }

  @Override
  public void layernormBackward(float[] dx, int dxOff, float[] dweight, int dwOff, float[] dbias, int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff, float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int c) {
    VectorOps.layernormBackward(pool, dx, dxOff, dweight, dwOff, dbias, dbOff, dout, doutOff, x, xOff, weight, wOff, mean, meanOff, rstd, rstdOff, rows, c);
  }

  @Override
  public void swigluForward(float[] out, int outOff, float[] gu, int guOff, int rows, int f) {
    VectorOps.swigluForward(pool, out, outOff, gu, guOff, rows, f);
  }

  @Override
  public void swigluBackward(float[] dgu, int dguOff, float[] dout, int doutOff, float[] gu, int guOff, int rows, int f) {
    VectorOps.swigluBackward(pool, dgu, dguOff, dout, doutOff, gu, guOff, rows, f);
  }

  @Override
  public void geluForward(float[] out, int outOff, float[] x, int xOff, int n) {
    VectorOps.geluForward(pool, out, outOff, x, xOff, n);
  }

  @Override
  public void geluBackward(float[] dx, int dxOff, float[] dout, int doutOff, float[] x, int xOff, int n) {
    VectorOps.geluBackward(pool, dx, dxOff, dout, doutOff, x, xOff, n);
  }

  @Override
  public void rope(float[] x, int xOff, int stride, float[] cos, float[] sin, int b, int t, int heads, int hs, boolean inverse) {
    VectorOps.rope(pool, x, xOff, stride, cos, sin, b, t, heads, hs, inverse);
  }

  @Override
  public void add(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
    VectorOps.add(pool, out, outOff, a, aOff, b, bOff, n);
  }

  @Override
  public void attentionForward(float[] out, int outOff, float[] lse, int lseOff, float[] qkv, int qkvOff, int b, int t, int nh, int nkv, int hs) {
    VectorAttention.forward(pool, out, outOff, lse, lseOff, qkv, qkvOff, b, t, nh, nkv, hs);
  }

  @Override
  public void attentionBackward(float[] dqkv, int dqkvOff, float[] dout, int doutOff, float[] qkv, int qkvOff, float[] out, int outOff, float[] lse, int lseOff, int b, int t, int nh, int nkv, int hs) {
    VectorAttention.backward(pool, dqkv, dqkvOff, dout, doutOff, qkv, qkvOff, out, outOff, lse, lseOff, b, t, nh, nkv, hs);
  }

  @Override
  public void crossEntropy(float[] losses, int lossOff, float[] logits, int logitsOff, int[] targets, int tOff, int rows, int v, float gradScale) {
    VectorOps.crossEntropy(pool, losses, lossOff, logits, logitsOff, targets, tOff, rows, v, gradScale);
  }

  @Override
  public void softmax(float[] out, int outOff, float[] x, int xOff, int rows, int c) {
    VectorOps.softmax(pool, out, outOff, x, xOff, rows, c);
  }

  @Override
  public void adamw(float[] p, float[] g, float[] m, float[] v, int off, int mOff, int n, float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
    VectorOps.adamw(pool, p, g, m, v, off, mOff, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
  }

  @Override
  public double sumOfSquares(float[] x, int off, int n) {
    return VectorOps.sumOfSquares(pool, x, off, n);
  }

  @Override
  public void scale(float[] x, int off, int n, float s) {
    VectorOps.scale(pool, x, off, n, s);
  }
}
