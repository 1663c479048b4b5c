package org.sparkattention.kernel;

/**
 * Receives one attention map (a head's, or the mean over heads: whichever was asked for) a block of
 * query rows at a time, so that the whole L x S' x H never has to be in memory at once.
 */
@FunctionalInterface
public interface AttentionMapConsumer {
  /**
   * One block of map rows.
   *
   * @param queryStart index of the first query row in the block
   * @param queryCount number of query rows in the block
   * @param keyCount S', the row length: keys, plus 1 with add_bias_kv, plus 1 with add_zero_attn
   * @param rows queryCount x keyCount probabilities, row-major (row r starts at r * keyCount). Not
   *     modified by the caller; only valid during the call (the kernel reuses it).
   */
  void accept(int queryStart, int queryCount, int keyCount, double[] rows);
}
