package org.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The attention maps of a forward pass, computed again tile by tile from the scores and each query
 * row's log-sum-exp that the pass kept: one head at a time ({@link MapMode#HEADS}) or summed over
 * heads a query block at a time ({@link MapMode#MEAN}), never the whole L x S' per head.
 */
final class MapPasses implements Serializable {
  private static final long serialVersionUID = 1L;

  private final BlockedAttentionKernel kernel;
  private final KeyTiles keyTiles;
  private final int numHeads;
  private final int blockSize;
  private final boolean causal;

  MapPasses(
      BlockedAttentionKernel kernel,
      KeyTiles keyTiles,
      int numHeads,
      int blockSize,
      boolean causal) {
    this.kernel = kernel;
    this.keyTiles = keyTiles;
    this.numHeads = numHeads;
    this.blockSize = blockSize;
    this.causal = causal;
  }

  /**
   * The exact attention maps of the last {@link BlockedAttentionKernel#forward} on this workspace,
   * handed to {@code consumer} a block of query rows at a time: each tile is recomputed and
   * normalised as {@code exp(S - lse)} with the row's log-sum-exp from the forward pass. {@link
   * MapMode#HEADS} goes head by head, each head's rows in query order; {@link MapMode#MEAN} gives
   * each block's mean over heads. A fully masked query's row is all zero.
   *
   * @param ws the workspace of the last forward pass; its map buffers are modified
   */
  void maps(AttentionWorkspace ws, MapMode mode, AttentionMapConsumer consumer) {
    ws.checkThread();
    if (!ws.forwardDone) {
      throw new IllegalStateException("maps() needs a completed forward() on this workspace");
    }
    int queryLen = ws.queryLen;
    int keyTotal = ws.keyLenWithExtras;
    if (mode == MapMode.HEADS) {
      for (int h = 0; h < numHeads; h++) {
        headMap(ws, h, consumer);
      }
      return;
    }
    ws.mapMean = AttentionWorkspace.ensure(ws.mapMean, blockSize * keyTotal);
    for (int q0 = 0; q0 < queryLen; q0 += blockSize) {
      int qn = Math.min(blockSize, queryLen - q0);
      meanBlock(ws, q0, qn);
      scaleAndHand(ws.mapMean, q0, qn, keyTotal, consumer);
    }
  }

  /**
   * One head's exact map of the last {@link BlockedAttentionKernel#forward}, in query order: what
   * {@link MapMode#HEADS} gives for head {@code h}, so that a caller can take the heads one at a
   * time.
   */
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
      consumer.accept(h, q0, qn, keyTotal, ws.mapRows);
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
    consumer.accept(-1, q0, qn, keyTotal, sum);
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
          kernel.scoreTile(ws, h, q0, qn, k0, kn);
          double[] t = ws.tile;
          for (int r = 0; r < qn; r++) {
            double lse = ws.lse[h * ws.queryLen + q0 + r];
            if (lse == Double.NEGATIVE_INFINITY) {
              continue;
            }
            if (add) {
              ExpFunctions.expShiftedAdd(t, r * kn, rows, r * keyTotal + k0, kn, lse);
            } else {
              ExpFunctions.expShifted(t, r * kn, rows, r * keyTotal + k0, kn, lse);
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
