package org.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One query block of one head through all the key tiles it sees, FlashAttention's online softmax:
 * per tile the running max m and sum l of each query row are updated and the context accumulated so
 * far is rescaled, {@code O = O * exp(m_old - m_new) + exp(S - m_new) V_blk}; at the end {@code O /
 * l} is the head's context and {@code m + log l} the row's log-sum-exp.
 */
final class OnlineSoftmax implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ScoreTiles scores;
  private final KeyTiles keyTiles;
  private final int headDim;

  OnlineSoftmax(ScoreTiles scores, KeyTiles keyTiles, int headDim) {
    this.scores = scores;
    this.keyTiles = keyTiles;
    this.headDim = headDim;
  }

  /**
   * Attends queries q0..q0+qn of head h to their keys. Leaves the normalised context in {@code
   * ws.ctx} and the log-sum-exp in {@code ws.lse}.
   *
   * <p>When every score of the block is bounded by {@link ScoreTiles#FIXED_SHIFT_LIMIT} in
   * magnitude, each query row's exp is shifted by its bound instead of its running max: the
   * probabilities stay in [exp(-2 limit), 1], far from overflow and from subnormals, and the tiles
   * need neither a max pass nor rescaling of the context (softmax does not depend on the shift).
   *
   * <p>With {@code meanSum} (bounded scores only), the block's probabilities are also kept in
   * {@code mapRows} and, once the row sums are known, added normalised into {@code meanSum}
   * (queries x S', row-major).
   *
   * <p>With {@code stats}, each tile's scores and weights also feed the per-query statistics.
   *
   * @return the number of queries in the block that saw no key
   */
  int attend(
      AttentionWorkspace ws, int h, int q0, int qn, double[] meanSum, QueryStatistics stats) {
    double[] m = ws.rowMax;
    double[] l = ws.rowSum;
    boolean fixedShift = scores.bounds(ws, h, q0, qn, m);
    if (!fixedShift) {
      Arrays.fill(m, 0, qn, Double.NEGATIVE_INFINITY);
      ws.runningMaxBlocks++;
    }
    boolean keep = fixedShift && meanSum != null;
    int keyTotal = ws.keyLenWithExtras;
    Arrays.fill(l, 0, qn, 0.0);
    int ctxOffset = h * headDim * ws.queryLen + q0 * headDim;
    keyTiles.forEach(
        ws,
        q0,
        qn,
        (k0, kn) -> {
          scores.score(ws, h, q0, qn, k0, kn);
          if (fixedShift) {
            for (int r = 0; r < qn; r++) {
              if (stats != null) {
                stats.scores(ws.tile, r * kn, kn, h, q0 + r, k0);
              }
              l[r] +=
                  stats == null
                      ? TileLoops.expShifted(ws.tile, r * kn, ws.tile, r * kn, kn, m[r])
                      : stats.weights(ws.tile, r * kn, kn, h, q0 + r, k0, m[r]);
              if (keep) {
                System.arraycopy(ws.tile, r * kn, ws.mapRows, r * keyTotal + k0, kn);
              }
            }
          } else {
            step(ws, h, q0, qn, k0, kn, ctxOffset, stats);
          }
          // ctx_blk (headDim x qn) += V_blk^T (headDim x kn) P (kn x qn), in fixed order.
          FixedOrderGemm.gemm(
              headDim,
              qn,
              kn,
              1.0,
              ws.v,
              (h * ws.keyLenWithExtras + k0) * headDim,
              headDim,
              ws.tile,
              0,
              1,
              kn,
              true,
              ws.ctx,
              ctxOffset,
              headDim);
        });
    if (stats != null) {
      stats.rowSums(h, q0, qn, l);
    }
    int fullyMasked = normalise(ws, h, q0, qn, ctxOffset);
    if (keep) {
      keyTiles.forEach(
          ws,
          q0,
          qn,
          (k0, kn) -> {
            for (int r = 0; r < qn; r++) {
              if (l[r] != 0.0) {
                addScaled(ws.mapRows, meanSum, r * keyTotal + k0, kn, 1.0 / l[r]);
              }
            }
          });
    }
    return fullyMasked;
  }

  /**
   * Turns the score tile into unnormalised probabilities exp(S - m_new), updates m and l, and
   * rescales the context accumulated so far (and the statistics' sums) by exp(m_old - m_new).
   */
  private void step(
      AttentionWorkspace ws,
      int h,
      int q0,
      int qn,
      int k0,
      int kn,
      int ctxOffset,
      QueryStatistics stats) {
    double[] t = ws.tile;
    double[] m = ws.rowMax;
    double[] l = ws.rowSum;
    double[] ctx = ws.ctx;
    for (int r = 0; r < qn; r++) {
      int col = r * kn;
      if (stats != null) {
        stats.scores(t, col, kn, h, q0 + r, k0);
      }
      double mNew = Math.max(m[r], TileLoops.max(t, col, kn));
      if (mNew == Double.NEGATIVE_INFINITY) {
        // Nothing visible yet: contribute nothing (exp(-inf - -inf) would be NaN).
        Arrays.fill(t, col, col + kn, 0.0);
        continue;
      }
      if (m[r] != mNew && l[r] != 0.0) {
        double alpha = Math.exp(m[r] - mNew);
        int base = ctxOffset + r * headDim;
        for (int d = 0; d < headDim; d++) {
          ctx[base + d] *= alpha;
        }
        l[r] *= alpha;
        if (stats != null) {
          stats.rescale(h * ws.queryLen + q0 + r, alpha);
        }
      }
      l[r] +=
          stats == null
              ? TileLoops.expShifted(t, col, t, col, kn, mNew)
              : stats.weights(t, col, kn, h, q0 + r, k0, mNew);
      m[r] = mNew;
    }
  }

  /** ctx /= l and lse = m + log l per query row; a row that saw no key keeps a zero context. */
  private int normalise(AttentionWorkspace ws, int h, int q0, int qn, int ctxOffset) {
    double[] m = ws.rowMax;
    double[] l = ws.rowSum;
    int fullyMasked = 0;
    for (int r = 0; r < qn; r++) {
      int lseIndex = h * ws.queryLen + q0 + r;
      if (l[r] == 0.0) {
        // Every key masked: zero context (never NaN), and a zero map row.
        fullyMasked++;
        ws.lse[lseIndex] = Double.NEGATIVE_INFINITY;
        continue;
      }
      double inv = 1.0 / l[r];
      int base = ctxOffset + r * headDim;
      for (int d = 0; d < headDim; d++) {
        ws.ctx[base + d] *= inv;
      }
      ws.lse[lseIndex] = m[r] + Math.log(l[r]);
    }
    return fullyMasked;
  }

  /** dst[at + i] += src[at + i] * scale for i < n. */
  private static void addScaled(double[] src, double[] dst, int at, int n, double scale) {
    for (int i = at; i < at + n; i++) {
      dst[i] += src[i] * scale;
    }
  }
}
