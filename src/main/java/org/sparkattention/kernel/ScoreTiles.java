package org.sparkattention.kernel;

import java.io.Serializable;

/**
 * The scores of one head for a block of queries and a tile of keys, {@code scale * K_blk Q_blk^T}
 * with masked entries at -infinity, and the Cauchy-Schwarz bounds on them that let the online
 * softmax shift its exps by a fixed amount instead of a running max.
 */
final class ScoreTiles implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Score magnitude up to which a query block shifts its exps by a fixed bound: exp(-600) is far
   * above the smallest normal double (about exp(-708)), so no probability becomes subnormal.
   */
  static final double FIXED_SHIFT_LIMIT = 300;

  private final int headDim;
  private final double scale;
  private final boolean causal;

  ScoreTiles(int headDim, double scale, boolean causal) {
    this.headDim = headDim;
    this.scale = scale;
    this.causal = causal;
  }

  /**
   * tile (kn x qn) = scale * K_blk Q_blk^T for head h, then masked entries set to -infinity. The
   * product is {@link FixedOrderGemm}'s: a score's bits depend on its query and key alone.
   */
  void score(AttentionWorkspace ws, int h, int q0, int qn, int k0, int kn) {
    int keyTotal = ws.keyLenWithExtras;
    FixedOrderGemm.gemm(
        kn,
        qn,
        headDim,
        scale,
        ws.k,
        h * headDim * keyTotal + k0,
        keyTotal,
        ws.q,
        (h * ws.queryLen + q0) * headDim,
        1,
        headDim,
        false,
        ws.tile,
        0,
        kn);
    boolean[] padding = ws.keyPaddingMask;
    int realEnd = Math.min(k0 + kn, ws.keyLen);
    if (padding == null && !causal || realEnd <= k0) {
      return;
    }
    double[] t = ws.tile;
    for (int r = 0; r < qn; r++) {
      int query = q0 + r;
      int col = r * kn;
      for (int key = k0; key < realEnd; key++) {
        if ((causal && key > query) || (padding != null && padding[key])) {
          t[col + key - k0] = Double.NEGATIVE_INFINITY;
        }
      }
    }
  }

  /**
   * Bounds each query row's scores by Cauchy-Schwarz, |scale q.k| <= |scale| |q| max|k|, into
   * {@code bounds}; true when every bound is within {@link #FIXED_SHIFT_LIMIT}. Needs {@link
   * #maxKeyNorms} of the same forward pass.
   */
  boolean bounds(AttentionWorkspace ws, int h, int q0, int qn, double[] bounds) {
    double keyNorm = ws.maxKeyNorm[h];
    for (int r = 0; r < qn; r++) {
      double queryNorm = Math.sqrt(squaredNorm(ws.q, (h * ws.queryLen + q0 + r) * headDim, 1));
      double bound = Math.abs(scale) * queryNorm * keyNorm;
      if (!(bound <= FIXED_SHIFT_LIMIT)) { // NaN and infinity included
        return false;
      }
      bounds[r] = bound;
    }
    return true;
  }

  /** The largest norm of a key token's head-h part, per head: the keys' half of the bounds. */
  void maxKeyNorms(AttentionWorkspace ws, int numHeads) {
    int keyTotal = ws.keyLenWithExtras;
    for (int h = 0; h < numHeads; h++) {
      double max = 0;
      int band = h * headDim * keyTotal;
      for (int j = 0; j < keyTotal; j++) {
        // Keys are keys-major within the band: key j's head part is strided by keyTotal.
        max = Math.max(max, squaredNorm(ws.k, band + j, keyTotal));
      }
      ws.maxKeyNorm[h] = Math.sqrt(max);
    }
  }

  /** The squared norm of one token's head part: headDim values from {@code offset}, strided. */
  private double squaredNorm(double[] a, int offset, int stride) {
    double squares = 0;
    for (int d = 0; d < headDim; d++) {
      double x = a[offset + d * stride];
      squares += x * x;
    }
    return squares;
  }
}
