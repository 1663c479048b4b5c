package org.sparkattention.kernel;

import java.io.Serializable;

/** The factor applied to q.k before the softmax: PyTorch's {@code 1/sqrt(E/H)}, or a given one. */
public sealed interface SoftmaxScale extends Serializable {

  /** The factor for heads of width {@code headDim}. */
  double forHeadDim(int headDim);

  /** PyTorch's {@code 1/sqrt(headDim)} ({@code scale=None}). */
  static SoftmaxScale pytorchDefault() {
    return new InverseSqrtHeadDim();
  }

  /** A given positive, finite factor. */
  static SoftmaxScale of(double value) {
    return new Fixed(value);
  }

  /** {@code 1/sqrt(headDim)}, as {@code torch.nn.MultiheadAttention} scales. */
  record InverseSqrtHeadDim() implements SoftmaxScale {
    @Override
    public double forHeadDim(int headDim) {
      return 1.0 / Math.sqrt(headDim);
    }
  }

  /** The same factor whatever the head width. */
  record Fixed(double value) implements SoftmaxScale {
    public Fixed {
      if (!(value > 0 && Double.isFinite(value))) {
        throw new IllegalArgumentException("scale must be positive and finite, got " + value);
      }
    }

    @Override
    public double forHeadDim(int headDim) {
      return value;
    }
  }
}
