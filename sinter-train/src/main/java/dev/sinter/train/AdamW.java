// AdamW with fp32 master weights and decoupled weight decay (Loshchilov & Hutter 2019), applied
// range by range over the flat parameter buffer. Which tensors decay is decided once from their
// kind: weight matrices decay; norms, biases and embeddings do not unless configured.
package dev.sinter.train;

import dev.sinter.model.ParameterLayout;
import dev.sinter.tensor.Kernels;
import java.util.ArrayList;
import java.util.List;

/** The optimizer: first and second moments in two flat buffers beside the parameters. */
public final class AdamW {
  /** A contiguous run of parameters sharing one weight-decay setting. */
  record Range(int offset, int length, boolean decay) {}

  private final TrainConfig.Optim cfg;
  private final Kernels k;
  private final List<Range> ranges;
  /** The parameters [start, end) this optimizer updates: all of them, or a ZeRO rank's shard. */
  private final int start;
  private final int end;
  /** First moment of parameters [start, end). */
  final float[] m;
  /** Second moment of parameters [start, end). */
  final float[] v;
  private int step;

  /** An optimizer for every parameter. */
  public AdamW(TrainConfig.Optim cfg, ParameterLayout layout, Kernels kernels) {
    this(cfg, layout, kernels, 0, layout.size());
  }

  /**
   * An optimizer for the parameters [start, end) of the flat buffer only (a ZeRO shard): its
   * moments have end − start elements.
   */
  public AdamW(TrainConfig.Optim cfg, ParameterLayout layout, Kernels kernels, int start, int end) {
    this.cfg = cfg;
    this.k = kernels;
    this.start = start;
    this.end = end;
    this.m = new float[end - start];
    this.v = new float[end - start];
    List<Range> rs = new ArrayList<>();
    for (ParameterLayout.Tensor full : layout.tensors()) {
      int from = Math.max(start, full.offset());
      int to = Math.min(end, full.end());
      if (from >= to) {
        continue;
      }
      ParameterLayout.Tensor t = new ParameterLayout.Tensor(full.name(), from, new int[] {to - from}, full.kind());
      boolean decay = switch (t.kind()) {
        case MATRIX, RESIDUAL_MATRIX -> true;
        case EMBEDDING -> cfg.decayEmbeddings();
        case NORM, BIAS -> cfg.decayNormsAndBiases();
      };
      Range last = rs.isEmpty() ? null : rs.get(rs.size() - 1);
      if (last != null && last.decay() == decay && last.offset() + last.length() == t.offset()) {
        rs.set(rs.size() - 1, new Range(last.offset(), last.length() + t.size(), decay));
      } else {
        rs.add(new Range(t.offset(), t.size(), decay));
      }
    }
    this.ranges = List.copyOf(rs);
  }

  /** Number of updates applied so far. */
  public int stepCount() {
    return step;
  }

  /** Restores the update counter (for resuming). */
  public void setStepCount(int s) {
    this.step = s;
  }

  /** First parameter this optimizer updates. */
  public int start() {
    return start;
  }

  /** One past the last parameter this optimizer updates. */
  public int end() {
    return end;
  }

  /** The first moments of parameters [start, end) (checkpoints read and restore them). */
  public float[] firstMoment() {
    return m;
  }

  /** The second moments of parameters [start, end). */
  public float[] secondMoment() {
    return v;
  }

  /** The ranges the update walks, with their decay flag. */
  List<Range> ranges() {
    return ranges;
  }

  /** Applies one update with learning rate {@code lr} to {@code params} from {@code grads}. */
  public void update(float[] params, float[] grads, double lr) {
    step++;
    float bc1 = (float) (1 - Math.pow(cfg.beta1(), step));
    float bc2 = (float) (1 - Math.pow(cfg.beta2(), step));
    for (Range r : ranges) {
      k.adamw(params, grads, m, v, r.offset(), r.offset() - start, r.length(), (float) lr, (float) cfg.beta1(),
          (float) cfg.beta2(), (float) cfg.eps(), r.decay() ? (float) cfg.weightDecay() : 0f, bc1, bc2);
    }
  }
}
