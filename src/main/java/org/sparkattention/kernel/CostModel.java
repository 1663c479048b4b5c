package org.sparkattention.kernel;

import java.io.Serializable;
import org.sparkattention.model.AttentionWeights;

/**
 * A sequence's floating-point operations as the kernel does them, from the layer's dimensions
 * alone: the kernel reports its work by it and the job balances its tasks by it (only these few
 * numbers travel to the scan tasks, not the weights).
 *
 * @param extraKeys keys added to every sequence's S: bias_k and the zero key
 */
public record CostModel(int embedDim, int kdim, int vdim, int extraKeys, boolean causal)
    implements Serializable {

  /** The cost model of {@code weights} run with {@code options}. */
  public static CostModel of(AttentionWeights weights, AttentionOptions options) {
    return new CostModel(
        weights.embedDim(),
        weights.kdim(),
        weights.vdim(),
        BlockedAttentionKernel.extraKeys(weights.hasBiasKv(), options.addZeroAttn()),
        options.causal());
  }

  /**
   * The four projections ({@code 2 L E^2} each for Q and the output, {@code 2 S E kdim} and {@code
   * 2 S E vdim}), then {@code QK^T} and {@code PV} over the query-key pairs that are visible (about
   * half with a causal mask; the extra keys always), {@code 2 E} FLOPs each, plus one more {@code
   * QK^T} when maps are computed.
   */
  public double flops(int queryLen, int keyLen, boolean withMaps) {
    return flops((double) queryLen, keyLen, withMaps);
  }

  /**
   * {@link #flops(int, int, boolean)} of fractional lengths: a row group's cost estimated from its
   * mean lengths.
   */
  public double flops(double queryLen, double keyLen, boolean withMaps) {
    double l = queryLen;
    double s = keyLen;
    double e = embedDim;
    double projections = 2.0 * l * e * e * 2 + 2.0 * s * e * (kdim + vdim);
    double visiblePairs = causal ? visibleCausalPairs(queryLen, keyLen) : l * s;
    visiblePairs += l * extraKeys;
    double attention = 2.0 * visiblePairs * e * (withMaps ? 3 : 2);
    return projections + attention;
  }

  private static double visibleCausalPairs(double queryLen, double keyLen) {
    // Query i sees min(i + 1, S) keys.
    double n = Math.min(queryLen, keyLen);
    return n * (n + 1) / 2 + Math.max(0, queryLen - keyLen) * keyLen;
  }
}
