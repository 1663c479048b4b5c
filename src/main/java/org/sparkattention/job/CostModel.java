package org.sparkattention.job;

import org.sparkattention.kernel.BlockedAttentionKernel;

/** A sequence's FLOPs as the kernel counts them, from the layer's dimensions alone. */
record CostModel(int embedDim, int kdim, int vdim, int extraKeys, boolean causal)
    implements java.io.Serializable {
  double flops(int queryLen, int keyLen, boolean withMaps) {
    return BlockedAttentionKernel.flops(
        queryLen, keyLen, embedDim, kdim, vdim, extraKeys, causal, withMaps);
  }
}
