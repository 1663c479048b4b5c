package org.sparkattention.kernel;

import java.io.Serializable;

/**
 * How attention is computed, beside the weights: {@code nn.MultiheadAttention}'s {@code num_heads}
 * and {@code add_zero_attn}, a causal mask (top-left aligned: query i sees keys 0..i), the softmax
 * scale and the kernel's tile edge.
 */
public record AttentionOptions(
    int numHeads, boolean causal, boolean addZeroAttn, SoftmaxScale scale, int blockSize)
    implements Serializable {

  /** The tile edge used when none is given: see the README's benchmarks for how it was chosen. */
  public static final int DEFAULT_BLOCK_SIZE = 256;

  public AttentionOptions {
    if (numHeads < 1) {
      throw new IllegalArgumentException("numHeads must be at least 1, got " + numHeads);
    }
    if (blockSize < 1) {
      throw new IllegalArgumentException("blockSize must be at least 1, got " + blockSize);
    }
    if (scale == null) {
      throw new IllegalArgumentException("scale must be given: SoftmaxScale.pytorchDefault()?");
    }
  }

  /** PyTorch's defaults for {@code numHeads} heads: no causal mask, no zero attention. */
  public static AttentionOptions of(int numHeads) {
    return new AttentionOptions(
        numHeads, false, false, SoftmaxScale.pytorchDefault(), DEFAULT_BLOCK_SIZE);
  }

  public AttentionOptions withCausal(boolean value) {
    return new AttentionOptions(numHeads, value, addZeroAttn, scale, blockSize);
  }

  public AttentionOptions withAddZeroAttn(boolean value) {
    return new AttentionOptions(numHeads, causal, value, scale, blockSize);
  }

  public AttentionOptions withScale(SoftmaxScale value) {
    return new AttentionOptions(numHeads, causal, addZeroAttn, value, blockSize);
  }

  public AttentionOptions withBlockSize(int value) {
    return new AttentionOptions(numHeads, causal, addZeroAttn, scale, value);
  }
}
