package org.sparkattention.config;

/** Which attention maps a run writes ({@code maps}). */
public enum MapsSetting implements Choice {
  NONE,
  /** One map per sequence and head. */
  HEADS,
  /** One map per sequence, the mean over heads. */
  MEAN,
  /** Per sequence and head, statistics of every query's weights (no L x S' map). */
  SUMMARY,
  /** Per sequence, head and query, its {@code maps.topk} strongest keys and their weights. */
  TOPK;

  /** Whether the maps are full L x S' matrices, whose size the scan checks against executors. */
  public boolean isMatrix() {
    return this == HEADS || this == MEAN;
  }
}
