package org.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The attention maps of a forward pass, computed again tile by tile from the scores and each query
 * row's log-sum-exp that the pass kept: one head at a time, or summed over heads a query block at a
 * time, never the whole L x S' per head.
 */
final class MapPasses implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ScoreTiles scores;
  private final KeyTiles keyTiles;
  private final int numHeads;
  private final int blockSize;
  private final boolean causal;

  MapPasses(ScoreTiles scores, KeyTiles keyTiles, int numHeads, int blockSize, boolean causal) {
    this.scores = scores;
    this.keyTiles = keyTiles;
    this.numHeads = numHeads;
    this.blockSize = blockSize;
    this.causal = causal;
  }

  /**
   * The mean map over heads of the last forward pass: see {@link BlockedAttentionKernel#meanMap}.
   */
  void meanMap(AttentionWorkspace ws, AttentionMapConsumer consumer) {
    ws.checkThread();
    if (!ws.forwardDone) {
      throw new IllegalStateException("meanMap() needs a completed forward() on this workspace");
    }
    int keyTotal = ws.keyLenWithExtras;
    ws.mapMean = AttentionWorkspace.ensure(ws.mapMean, blockSize * keyTotal);
    for (int q0 = 0; q0 < ws.queryLen; q0 += blockSize) {
      int qn = Math.min(blockSize, ws.queryLen - q0);
      meanBlock(ws, q0, qn);
      scaleAndHand(ws.mapMean, q0, qn, keyTotal, consumer);
    }
  }

  /** One head's map of the last forward pass: see {@link BlockedAttentionKernel#headMap}. */
  void headMap(AttentionWorkspace ws, int h, AttentionMapConsumer consumer) {
    ws.checkThread();
    if (!ws.forwardDone) {
      throw new IllegalStateException("headMap() needs a completed forward() on this workspace");
    }
    if (h < 0 || h >= numHeads) {
      throw new IllegalArgumentException("head " + h + " is not in 0.." + (numHeads - 1));
    }
    int keyTotal = ws.keyLenWithExtras;
    ws.mapRows = AttentionWorkspace.ensure(ws.mapRows, blockSize * keyTotal);
    for (int q0 = 0; q0 < ws.queryLen; q0 += blockSize) {
      int qn = Math.min(blockSize, ws.queryLen - q0);
      mapBlock(ws, h, q0, qn, ws.mapRows, false);
      consumer.accept(q0, qn, keyTotal, ws.mapRows);
    }
  }

  /** mapMean (qn x S') = the sum over heads of the block's exact maps, computed again. */
  void meanBlock(AttentionWorkspace ws, int q0, int qn) {
    Arrays.fill(ws.mapMean, 0, qn * ws.keyLenWithExtras, 0.0);
    for (int h = 0; h < numHeads; h++) {
      // Each head's probabilities are added into the sum as they are computed: a head's block
      // is never stored apart (2 MB per head at a block of 256 x 1024 keys).
      mapBlock(ws, h, q0, qn, ws.mapMean, true);
    }
  }

  /** The sum over heads divided by H: the block's mean map, to the consumer. */
  void scaleAndHand(double[] sum, int q0, int qn, int keyTotal, AttentionMapConsumer consumer) {
    int n = qn * keyTotal;
    for (int i = 0; i < n; i++) {
      sum[i] /= numHeads;
    }
    consumer.accept(q0, qn, keyTotal, sum);
  }

  /**
   * rows (qn x S', row-major) = exp(S - lse) for head h's queries q0..q0+qn, masked = 0; with
   * {@code add}, rows += exp(S - lse) instead.
   */
  private void mapBlock(AttentionWorkspace ws, int h, int q0, int qn, double[] rows, boolean add) {
    int keyTotal = ws.keyLenWithExtras;
    if (!add && !coversEveryEntry(ws, h, q0, qn)) {
      Arrays.fill(rows, 0, qn * keyTotal, 0.0);
    }
    keyTiles.forEach(
        ws,
        q0,
        qn,
        (k0, kn) -> {
          scores.score(ws, h, q0, qn, k0, kn);
          double[] t = ws.tile;
          for (int r = 0; r < qn; r++) {
            double lse = ws.lse[h * ws.queryLen + q0 + r];
            if (lse == Double.NEGATIVE_INFINITY) {
              continue;
            }
            if (add) {
              TileLoops.expShiftedAdd(t, r * kn, rows, r * keyTotal + k0, kn, lse);
            } else {
              TileLoops.expShifted(t, r * kn, rows, r * keyTotal + k0, kn, lse);
            }
          }
        });
  }

  /**
   * Whether mapBlock writes every entry of the block's rows: no causal mask (whose skipped tiles
   * are never visited) and no fully masked query (whose row is skipped). Masked keys inside a
   * visited tile are written as exp(-infinity) = 0.
   */
  private boolean coversEveryEntry(AttentionWorkspace ws, int h, int q0, int qn) {
    if (causal) {
      return false;
    }
    for (int r = 0; r < qn; r++) {
      if (ws.lse[h * ws.queryLen + q0 + r] == Double.NEGATIVE_INFINITY) {
        return false;
      }
    }
    return true;
  }
}
