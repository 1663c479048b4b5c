package org.sparkattention.config;

/** Which attention maps a run writes ({@code maps}). */
public enum MapsSetting implements Choice {
  NONE,
  /** One map per sequence and head. */
  HEADS,
  /** One map per sequence, the mean over heads. */
  MEAN
}
