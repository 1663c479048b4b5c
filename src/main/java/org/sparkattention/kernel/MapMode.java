package org.sparkattention.kernel;

/** Which attention maps to produce, as PyTorch's {@code average_attn_weights}. */
public enum MapMode {
  /** One L x S' map per head ({@code average_attn_weights=False}), head by head. */
  HEADS,
  /** The mean over heads ({@code average_attn_weights=True}), reported with head {@code -1}. */
  MEAN
}
