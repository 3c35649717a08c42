// The fast non-matmul kernels: Vector API over the preferred species, rows spread over a ThreadPool.
//
// Semantics are those of Kernels (and of ScalarOps, which the tests hold these to); every backward
// accumulates into its gradient outputs. The norms, rope, add and AdamW are bandwidth-bound, so
// each reads its big operands from memory once and re-reads a row only while it is still in L1:
// rmsnorm is one pass for Σx² and one to write. GELU, SwiGLU, softmax and cross-entropy are bound by
// the polynomial exp, so each evaluates it once per element: cross-entropy is max, exp-and-sum
// written in place, then one scaling pass over a 200 KB row that is still in L2.
//
// Every vector loop calls exp from exactly one place: with two call sites C2 runs out of inlining
// budget, the vectors get boxed, and the loop runs 5-10x slower.
//
// Determinism: outputs never depend on the thread count. Row kernels write disjoint rows; the
// cross-row sums (the norms' dweight/dbias, sumOfSquares) go through per-chunk partials over a
// partition fixed by the problem size (VectorMath.REDUCE_ROWS rows, VectorMath.CHUNK elements),
// added in chunk order.
// Legend: C channels, F hidden width of the MLP, V vocabulary, B batch, T time, hs head size,
//   n elements of a flat range, L lanes per vector.
package dev.sinter.tensor;

import static dev.sinter.tensor.VectorMath.L;
import static dev.sinter.tensor.VectorMath.S;
import static dev.sinter.tensor.VectorMath.bc;
import static dev.sinter.tensor.VectorMath.exp;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/** Vector API implementations of the non-matmul kernels, parallel over rows on a ThreadPool. */
public final class VectorOps {
  private static final float GELU_K = (float) Math.sqrt(2.0 / Math.PI);
  private static final float GELU_A = 0.044715f;

  private VectorOps() {}

  // ---------------------------------------------------------------- normalisation

  /** RMSNorm forward: out[rows,C] = x · rstd · weight, rstd[rows] = 1/sqrt(mean(x²) + eps). */
  public static void rmsnormForward(ThreadPool pool, float[] out, int outOff, float[] rstd, int rstdOff,
      float[] x, int xOff, float[] weight, int wOff, int rows, int c, float eps) {
    VectorMath.forRows(pool, rows, c, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xo = xOff + r * c;
        int oo = outOff + r * c;
        float rs = (float) (1.0 / Math.sqrt(VectorMath.dot(x, xo, x, xo, c) / c + eps));
        rstd[rstdOff + r] = rs;
        FloatVector rsv = bc(rs);
        int i = 0;
        for (int end = S.loopBound(c); i < end; i += L) {
          FloatVector.fromArray(S, x, xo + i).mul(rsv).mul(FloatVector.fromArray(S, weight, wOff + i))
              .intoArray(out, oo + i);
        }
        for (; i < c; i++) {
          out[oo + i] = x[xo + i] * rs * weight[wOff + i];
        }
      }
    });
  }

  /**
   * RMSNorm backward: dx[rows,C] += rstd·w·dout − x·rstd³·mean(dout·w·x); dweight[C] += Σ_rows
   * dout·x·rstd.
   */
  public static void rmsnormBackward(ThreadPool pool, float[] dx, int dxOff, float[] dweight, int dwOff,
      float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff, float[] rstd, int rstdOff,
      int rows, int c) {
    int chunks = Math.ceilDiv(rows, VectorMath.REDUCE_ROWS);
    float[] partW = new float[chunks * c]; // [chunks, C]
    VectorMath.forBlocks(pool, rows, VectorMath.REDUCE_ROWS, (r0, r1) -> {
      int po = r0 / VectorMath.REDUCE_ROWS * c;
      for (int r = r0; r < r1; r++) {
        int xo = xOff + r * c;
        int go = doutOff + r * c;
        int dxo = dxOff + r * c;
        float rs = rstd[rstdOff + r];
        // With n = x·rstd: dx = rstd·w·dout − n·rstd²·mean(dout·w·x).
        float coef = VectorMath.dot3(dout, go, weight, wOff, x, xo, c) * rs * rs / c;
        FloatVector rsv = bc(rs);
        FloatVector cv = bc(coef);
        int i = 0;
        for (int end = S.loopBound(c); i < end; i += L) {
          FloatVector dy = FloatVector.fromArray(S, dout, go + i);
          FloatVector n = FloatVector.fromArray(S, x, xo + i).mul(rsv);
          FloatVector w = FloatVector.fromArray(S, weight, wOff + i);
          dy.mul(w).mul(rsv).sub(n.mul(cv)).add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
          dy.fma(n, FloatVector.fromArray(S, partW, po + i)).intoArray(partW, po + i);
        }
        for (; i < c; i++) {
          float dy = dout[go + i];
          float n = x[xo + i] * rs;
          dx[dxo + i] += dy * weight[wOff + i] * rs - n * coef;
          partW[po + i] = Math.fma(dy, n, partW[po + i]);
        }
      }
    });
    VectorMath.addPartials(dweight, dwOff, partW, chunks, c);
  }

  /** LayerNorm forward with biased variance; saves mean[rows] and rstd[rows]. */
  public static void layernormForward(ThreadPool pool, float[] out, int outOff, float[] mean, int meanOff,
      float[] rstd, int rstdOff, float[] x, int xOff, float[] weight, int wOff, float[] bias, int bOff,
      int rows, int c, float eps) {
    VectorMath.forRows(pool, rows, c, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xo = xOff + r * c;
        int oo = outOff + r * c;
        // Two passes over an L1-resident row: Σx² − C·mean² loses everything when |mean| ≫ std.
        float mu = VectorMath.sum(x, xo, c) / c;
        float rs = (float) (1.0 / Math.sqrt(VectorMath.sumSquaredDeviations(x, xo, c, mu) / c + eps));
        mean[meanOff + r] = mu;
        rstd[rstdOff + r] = rs;
        FloatVector muv = bc(mu);
        FloatVector rsv = bc(rs);
        int i = 0;
        for (int end = S.loopBound(c); i < end; i += L) {
          FloatVector n = FloatVector.fromArray(S, x, xo + i).sub(muv).mul(rsv);
          n.fma(FloatVector.fromArray(S, weight, wOff + i), FloatVector.fromArray(S, bias, bOff + i))
              .intoArray(out, oo + i);
        }
        for (; i < c; i++) {
          out[oo + i] = Math.fma((x[xo + i] - mu) * rs, weight[wOff + i], bias[bOff + i]);
        }
      }
    });
  }

  /**
   * LayerNorm backward: with n = (x − mean)·rstd and g = dout·w,
   * dx += (g − mean(g) − n·mean(g·n))·rstd; dweight += Σ_rows dout·n; dbias += Σ_rows dout.
   */
  public static void layernormBackward(ThreadPool pool, float[] dx, int dxOff, float[] dweight, int dwOff,
      float[] dbias, int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] weight, int wOff,
      float[] mean, int meanOff, float[] rstd, int rstdOff, int rows, int c) {
    int chunks = Math.ceilDiv(rows, VectorMath.REDUCE_ROWS);
    float[] partW = new float[chunks * c]; // [chunks, C]
    float[] partB = new float[chunks * c]; // [chunks, C]
    VectorMath.forBlocks(pool, rows, VectorMath.REDUCE_ROWS, (r0, r1) -> {
      int po = r0 / VectorMath.REDUCE_ROWS * c;
      for (int r = r0; r < r1; r++) {
        int xo = xOff + r * c;
        int go = doutOff + r * c;
        int dxo = dxOff + r * c;
        float mu = mean[meanOff + r];
        float rs = rstd[rstdOff + r];
        FloatVector muv = bc(mu);
        FloatVector rsv = bc(rs);
        // Pass 1: Σg and Σg·n, one sweep of the row.
        FloatVector sg = FloatVector.zero(S);
        FloatVector sgn = FloatVector.zero(S);
        int i = 0;
        int vecEnd = S.loopBound(c);
        for (; i < vecEnd; i += L) {
          FloatVector g = FloatVector.fromArray(S, dout, go + i).mul(FloatVector.fromArray(S, weight, wOff + i));
          FloatVector n = FloatVector.fromArray(S, x, xo + i).sub(muv).mul(rsv);
          sg = sg.add(g);
          sgn = g.fma(n, sgn);
        }
        float sumG = VectorMath.hsum(sg);
        float sumGn = VectorMath.hsum(sgn);
        for (; i < c; i++) {
          float g = dout[go + i] * weight[wOff + i];
          sumG += g;
          sumGn = Math.fma(g, (x[xo + i] - mu) * rs, sumGn);
        }
        float meanG = sumG / c;
        float meanGn = sumGn / c;
        // Pass 2: write dx and the chunk's dweight/dbias partials.
        FloatVector mgv = bc(meanG);
        FloatVector mgnv = bc(meanGn);
        for (i = 0; i < vecEnd; i += L) {
          FloatVector dy = FloatVector.fromArray(S, dout, go + i);
          FloatVector n = FloatVector.fromArray(S, x, xo + i).sub(muv).mul(rsv);
          FloatVector g = dy.mul(FloatVector.fromArray(S, weight, wOff + i));
          g.sub(mgv).sub(n.mul(mgnv)).mul(rsv).add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
          dy.fma(n, FloatVector.fromArray(S, partW, po + i)).intoArray(partW, po + i);
          dy.add(FloatVector.fromArray(S, partB, po + i)).intoArray(partB, po + i);
        }
        for (; i < c; i++) {
          float dy = dout[go + i];
          float n = (x[xo + i] - mu) * rs;
          float g = dy * weight[wOff + i];
          dx[dxo + i] += (g - meanG - n * meanGn) * rs;
          partW[po + i] = Math.fma(dy, n, partW[po + i]);
          partB[po + i] += dy;
        }
      }
    });
    VectorMath.addPartials(dweight, dwOff, partW, chunks, c);
    VectorMath.addPartials(dbias, dbOff, partB, chunks, c);
  }

  // ---------------------------------------------------------------- activations

  /** SwiGLU forward: out[r,f] = silu(gu[r,f]) · gu[r,F+f]; out is [rows,F], gu is [rows,2F]. */
  public static void swigluForward(ThreadPool pool, float[] out, int outOff, float[] gu, int guOff, int rows,
      int f) {
    VectorMath.forRows(pool, rows, 3 * f, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int go = guOff + r * 2 * f;
        int uo = go + f;
        int oo = outOff + r * f;
        int i = 0;
        for (int end = S.loopBound(f); i < end; i += L) {
          FloatVector g = FloatVector.fromArray(S, gu, go + i);
          // silu(g) = g·σ(g) = g / (1 + e^−g)
          g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, gu, uo + i)).intoArray(out, oo + i);
        }
        for (; i < f; i++) {
          float g = gu[go + i];
          out[oo + i] = g / (exp(-g) + 1f) * gu[uo + i];
        }
      }
    });
  }

  /**
   * SwiGLU backward: dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))), dup = dout·silu(g); dgu is [rows,2F],
   * overwritten.
   */
  public static void swigluBackward(ThreadPool pool, float[] dgu, int dguOff, float[] dout, int doutOff,
      float[] gu, int guOff, int rows, int f) {
    VectorMath.forRows(pool, rows, 5 * f, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int go = guOff + r * 2 * f;
        int dgo = dguOff + r * 2 * f;
        int oo = doutOff + r * f;
        int i = 0;
        for (int end = S.loopBound(f); i < end; i += L) {
          FloatVector g = FloatVector.fromArray(S, gu, go + i);
          FloatVector up = FloatVector.fromArray(S, gu, go + f + i);
          FloatVector dy = FloatVector.fromArray(S, dout, oo + i);
          FloatVector e = exp(g.neg());
          FloatVector sig = bc(1f).div(e.add(1f));
          FloatVector silu = g.mul(sig);
          // 1 − σ = e·σ keeps the derivative accurate where σ is close to 1; e·σ ≤ 1 is formed
          // before multiplying by g because e alone reaches 2.4e38.
          FloatVector dsilu = e.mul(sig).fma(g, bc(1f)).mul(sig);
          dy.mul(up).mul(dsilu).intoArray(dgu, dgo + i);
          dy.mul(silu).intoArray(dgu, dgo + f + i);
        }
        for (; i < f; i++) {
          float g = gu[go + i];
          float up = gu[go + f + i];
          float dy = dout[oo + i];
          float e = exp(-g);
          float sig = 1f / (e + 1f);
          float silu = g * sig;
          float dsilu = Math.fma(e * sig, g, 1f) * sig;
          dgu[dgo + i] = dy * up * dsilu;
          dgu[dgo + f + i] = dy * silu;
        }
      }
    });
  }

  /**
   * GELU forward, tanh approximation (GPT-2): 0.5x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³),
   * evaluated as x·σ(2u) = x / (1 + e^−2u), which is the same function without tanh's cancellation
   * for negative x.
   */
  public static void geluForward(ThreadPool pool, float[] out, int outOff, float[] x, int xOff, int n) {
    VectorMath.forChunks(pool, n, (from, to) -> {
      FloatVector m2k = bc(-2f * GELU_K);
      FloatVector m2ka = bc(-2f * GELU_K * GELU_A);
      int i = from;
      for (int end = from + S.loopBound(to - from); i < end; i += L) {
        FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
        FloatVector minus2u = xv.mul(xv).fma(m2ka, m2k).mul(xv);
        xv.div(exp(minus2u).add(1f)).intoArray(out, outOff + i);
      }
      for (; i < to; i++) {
        float xi = x[xOff + i];
        float minus2u = Math.fma(xi * xi, -2f * GELU_K * GELU_A, -2f * GELU_K) * xi;
        out[outOff + i] = xi / (exp(minus2u) + 1f);
      }
    });
  }

  /**
   * GELU backward: dx = dout · (s + x·2s(1−s)·√(2/π)(1 + 3·0.044715x²)) with s = σ(2u), which
   * equals the tanh form's 0.5(1 + tanh u) + 0.5x·sech²(u)·u'.
   */
  public static void geluBackward(ThreadPool pool, float[] dx, int dxOff, float[] dout, int doutOff, float[] x,
      int xOff, int n) {
    VectorMath.forChunks(pool, n, (from, to) -> {
      FloatVector m2k = bc(-2f * GELU_K);
      FloatVector m2ka = bc(-2f * GELU_K * GELU_A);
      FloatVector k2 = bc(2f * GELU_K);
      FloatVector k6a = bc(6f * GELU_K * GELU_A);
      FloatVector one = bc(1f);
      int i = from;
      for (int end = from + S.loopBound(to - from); i < end; i += L) {
        FloatVector xv = FloatVector.fromArray(S, x, xOff + i);
        FloatVector x2 = xv.mul(xv);
        FloatVector e = exp(x2.fma(m2ka, m2k).mul(xv));
        FloatVector s = one.div(e.add(1f));
        // (e·s)·x first: e alone can reach 2.4e38 and x·e would overflow.
        FloatVector t = e.mul(s).mul(xv).mul(x2.fma(k6a, k2));
        FloatVector grad = t.fma(s, s);
        FloatVector.fromArray(S, dout, doutOff + i).mul(grad).intoArray(dx, dxOff + i);
      }
      for (; i < to; i++) {
        float xi = x[xOff + i];
        float x2 = xi * xi;
        float e = exp(Math.fma(x2, -2f * GELU_K * GELU_A, -2f * GELU_K) * xi);
        float s = 1f / (e + 1f);
        float t = e * s * xi * Math.fma(x2, 6f * GELU_K * GELU_A, 2f * GELU_K);
        dx[dxOff + i] = dout[doutOff + i] * Math.fma(t, s, s);
      }
    });
  }

  // ---------------------------------------------------------------- position, residual

  /**
   * Rotary embedding in place on the first {@code heads} heads of each [B·T, stride] row, pairs
   * (i, i + hs/2) rotated by the angle at table row t (cos, sin are [T, hs/2]); {@code inverse}
   * rotates by the negative angle, which is the backward pass.
   */
  public static void rope(ThreadPool pool, float[] x, int xOff, int stride, float[] cos, float[] sin, int b,
      int t, int heads, int hs, boolean inverse) {
    ScalarOps.checkRope(hs);
    int half = hs / 2;
    VectorMath.forRows(pool, b * t, heads * hs, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int tab = (r % t) * half;
        for (int h = 0; h < heads; h++) {
          int o = xOff + r * stride + h * hs;
          int i = 0;
          for (int end = S.loopBound(half); i < end; i += L) {
            FloatVector cv = FloatVector.fromArray(S, cos, tab + i);
            FloatVector sv = FloatVector.fromArray(S, sin, tab + i);
            if (inverse) {
              sv = sv.neg();
            }
            FloatVector x1 = FloatVector.fromArray(S, x, o + i);
            FloatVector x2 = FloatVector.fromArray(S, x, o + half + i);
            x1.mul(cv).sub(x2.mul(sv)).intoArray(x, o + i);
            x2.mul(cv).add(x1.mul(sv)).intoArray(x, o + half + i);
          }
          for (; i < half; i++) {
            float cs = cos[tab + i];
            float sn = inverse ? -sin[tab + i] : sin[tab + i];
            float x1 = x[o + i];
            float x2 = x[o + half + i];
            x[o + i] = x1 * cs - x2 * sn;
            x[o + half + i] = x2 * cs + x1 * sn;
          }
        }
      }
    });
  }

  /** out[i] = a[i] + b[i]; out may alias a or b. */
  public static void add(ThreadPool pool, float[] out, int outOff, float[] a, int aOff, float[] b, int bOff,
      int n) {
    VectorMath.forChunks(pool, n, (from, to) -> {
      int i = from;
      for (int end = from + S.loopBound(to - from); i < end; i += L) {
        FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
      }
      for (; i < to; i++) {
        out[outOff + i] = a[aOff + i] + b[bOff + i];
      }
    });
  }

  // ---------------------------------------------------------------- loss

  /**
   * Softmax cross-entropy fused with its gradient, in place on logits[rows,V]: losses[r] =
   * logsumexp(row) − row[target]; the row becomes (softmax − onehot)·gradScale. Rows whose target is
   * negative get loss 0 and gradient 0.
   */
  public static void crossEntropy(ThreadPool pool, float[] losses, int lossOff, float[] logits, int logitsOff,
      int[] targets, int tOff, int rows, int v, float gradScale) {
    VectorMath.forRows(pool, rows, v, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int o = logitsOff + r * v;
        int target = ScalarOps.checkTarget(targets[tOff + r], v, r);
        if (target < 0) {
          losses[lossOff + r] = 0f;
          Arrays.fill(logits, o, o + v, 0f);
          continue;
        }
        float xt = logits[o + target];
        float mx = VectorMath.max(logits, o, v);
        double sum = VectorMath.expShiftSum(logits, o, logits, o, v, mx);
        losses[lossOff + r] = (float) (Math.log(sum) + mx - xt);
        VectorMath.scaleInPlace(logits, o, v, (float) (gradScale / sum));
        logits[o + target] -= gradScale;
      }
    });
  }

  /** Row-wise softmax over C columns: out[rows,C] = softmax(x[rows,C]); out may alias x. */
  public static void softmax(ThreadPool pool, float[] out, int outOff, float[] x, int xOff, int rows, int c) {
    VectorMath.forRows(pool, rows, c, (r0, r1) -> {
      for (int r = r0; r < r1; r++) {
        int xo = xOff + r * c;
        int oo = outOff + r * c;
        float mx = VectorMath.max(x, xo, c);
        double sum = VectorMath.expShiftSum(out, oo, x, xo, c, mx);
        VectorMath.scaleInPlace(out, oo, c, (float) (1.0 / sum));
      }
    });
  }

  // ---------------------------------------------------------------- optimizer and reductions

  /**
   * One AdamW step over p, g[off, off+n) and m, v[mOff, mOff+n): m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
   * p −= lr·((m/bc1)/(sqrt(v/bc2) + eps) + wd·p). Same operation order as ScalarOps, so the two
   * agree bit for bit.
   *
   * @param bc1 1 − β1^step
   * @param bc2 1 − β2^step
   */
  public static void adamw(ThreadPool pool, float[] p, float[] g, float[] m, float[] v, int off, int mOff,
      int n, float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2) {
    VectorMath.forChunks(pool, n, (from, to) -> {
      FloatVector b1 = bc(beta1);
      FloatVector b2 = bc(beta2);
      FloatVector ob1 = bc(1f - beta1);
      FloatVector ob2 = bc(1f - beta2);
      FloatVector lrv = bc(lr);
      FloatVector wdv = bc(weightDecay);
      FloatVector epsv = bc(eps);
      int i = off + from;
      int end = off + to;
      int shift = mOff - off;
      for (int vecEnd = i + S.loopBound(to - from); i < vecEnd; i += L) {
        FloatVector gv = FloatVector.fromArray(S, g, i);
        FloatVector mv = b1.mul(FloatVector.fromArray(S, m, i + shift)).add(ob1.mul(gv));
        FloatVector vv = b2.mul(FloatVector.fromArray(S, v, i + shift)).add(ob2.mul(gv).mul(gv));
        mv.intoArray(m, i + shift);
        vv.intoArray(v, i + shift);
        FloatVector pv = FloatVector.fromArray(S, p, i);
        FloatVector upd = mv.div(bc1).div(vv.div(bc2).sqrt().add(epsv)).add(wdv.mul(pv));
        pv.sub(lrv.mul(upd)).intoArray(p, i);
      }
      for (; i < end; i++) {
        ScalarOps.adamwOne(p, g, m, v, i, i + shift, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
      }
    });
  }

  /**
   * Σ x² over x[off, off+n) in double: each CHUNK-sized piece is summed in double vector lanes,
   * and the pieces' partials are added in index order, so the result is the same for any pool.
   */
  public static double sumOfSquares(ThreadPool pool, float[] x, int off, int n) {
    double[] partial = new double[Math.ceilDiv(n, VectorMath.CHUNK)];
    VectorMath.forChunks(pool, n, (from, to) ->
        partial[from / VectorMath.CHUNK] = VectorMath.sumOfSquaresDouble(x, off + from, to - from));
    double s = 0;
    for (double p : partial) {
      s += p;
    }
    return s;
  }

  /** x[i] *= s. */
  public static void scale(ThreadPool pool, float[] x, int off, int n, float s) {
    VectorMath.forChunks(pool, n, (from, to) -> VectorMath.scaleInPlace(x, off + from, to - from, s));
  }
}
