package org.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.model.AttentionWeights;

/**
 * Multi-head attention as {@code torch.nn.MultiheadAttention} computes it in eval mode, in tiles of
 * queries x keys with an online softmax (FlashAttention's scheme), so that working memory grows
 * with L + S, not L x S.
 *
 * <p>Per head h, for a block of queries and a block of keys: {@code S = scale * Q_blk K_blk^T},
 * masked entries set to -infinity, then the running max m and sum l of each query row are updated
 * and the accumulated context is rescaled: {@code O = O * exp(m_old - m_new) + exp(S - m_new)
 * V_blk}. At the end {@code O / l} is the head's context; heads are concatenated and projected by
 * {@code out_proj}. Every product is a {@link FixedOrderGemm} on workspace buffers: each value is
 * one fma chain in a fixed order, so a sequence's results depend on that sequence alone (not on its
 * batch or the machine's BLAS), and short sequences pay no native call per tile.
 *
 * <p>Internally the projections and the context are head-major: head h is a contiguous headDim x L
 * column-major block (column i is token i), the keys' block transposed (key j's values strided), so
 * tiles are dense for the products, and a query's scores are contiguous in the score tile.
 *
 * <p>The kernel is immutable and can be shared by threads; each thread needs its own {@link
 * AttentionWorkspace}.
 */
public final class BlockedAttentionKernel implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int embedDim;
  private final int kdim;
  private final int vdim;
  private final int numHeads;
  private final int headDim;
  private final boolean causal;
  private final boolean addZeroAttn;
  private final int blockSize;
  private final ScoreTiles scores;
  private final OnlineSoftmax softmax;
  private final MapPasses mapPasses;
  // Weights, column-major in PyTorch's (out, in) orientation; biases zero when the layer has none.
  private final boolean hasBiasKv;
  private final Projections projections;

  /**
   * @throws IllegalArgumentException if E is not divisible by the number of heads
   */
  public BlockedAttentionKernel(AttentionWeights weights, AttentionOptions options) {
    this.embedDim = weights.embedDim();
    this.kdim = weights.kdim();
    this.vdim = weights.vdim();
    this.numHeads = options.numHeads();
    if (embedDim % numHeads != 0) {
      throw new IllegalArgumentException(
          "embed_dim E = " + embedDim + " is not divisible by heads = " + numHeads);
    }
    this.headDim = embedDim / numHeads;
    double scale = options.scale().forHeadDim(headDim);
    this.causal = options.causal();
    this.addZeroAttn = options.addZeroAttn();
    this.blockSize = options.blockSize();
    this.hasBiasKv = weights.hasBiasKv();
    this.projections = new Projections(weights, numHeads);
    KeyTiles keyTiles = new KeyTiles(causal, blockSize);
    this.scores = new ScoreTiles(headDim, scale, causal);
    this.softmax = new OnlineSoftmax(scores, keyTiles, headDim);
    this.mapPasses = new MapPasses(scores, keyTiles, numHeads, blockSize, causal);
  }

  /** A workspace for the calling thread. */
  public AttentionWorkspace newWorkspace() {
    return new AttentionWorkspace();
  }

  /**
   * How the kernel's products run: "vector (N lanes)" (the Vector API, N doubles a vector) or
   * "scalar". Both give the same bits; the scalar loops are several times slower.
   */
  public static String productImplementation() {
    return FixedOrderGemm.implementation();
  }

  /** How the softmax's exp runs: "vector" (Vector API) or "scalar" (Math.exp). */
  public static String expImplementation() {
    return TileLoops.implementation();
  }

  public int embedDim() {
    return embedDim;
  }

  public int numHeads() {
    return numHeads;
  }

  /** Keys added to every sequence's S: bias_k and the zero key. */
  public int extraKeys() {
    return extraKeys(hasBiasKv, addZeroAttn);
  }

  /** Keys added to every sequence's S by a layer with add_bias_kv and by add_zero_attn. */
  public static int extraKeys(boolean addBiasKv, boolean addZeroAttn) {
    return (addBiasKv ? 1 : 0) + (addZeroAttn ? 1 : 0);
  }

  /** Floating-point operations of one sequence: see {@link CostModel#flops}. */
  public double flops(int queryLen, int keyLen, boolean withMaps) {
    return costModel().flops(queryLen, keyLen, withMaps);
  }

  /** The cost model of this kernel's layer and options. */
  public CostModel costModel() {
    return new CostModel(embedDim, kdim, vdim, extraKeys(), causal);
  }

  /** Self-attention: {@link #forward} with x as query, key and value. */
  public DenseMatrix selfAttention(AttentionWorkspace ws, DenseMatrix x, boolean[] keyPaddingMask) {
    return forward(ws, x, x, x, keyPaddingMask);
  }

  /**
   * The attention output of one sequence, {@code attn_output} of PyTorch.
   *
   * @param ws this thread's workspace; modified (it keeps what {@link #maps} needs)
   * @param query L x E; not modified (either storage order)
   * @param key S x kdim; not modified
   * @param value S x vdim; not modified
   * @param keyPaddingMask length S, {@code true} = key ignored; or {@code null}. Not modified.
   * @return L x E, row-major ({@code isTransposed}): row i is query i's output
   */
  public DenseMatrix forward(
      AttentionWorkspace ws,
      DenseMatrix query,
      DenseMatrix key,
      DenseMatrix value,
      boolean[] keyPaddingMask) {
    return forward(ws, query, key, value, keyPaddingMask, null);
  }

  /**
   * {@link #forward}, handing the mean attention map over heads (what {@link #meanMap} gives) to
   * {@code meanMap} a block of query rows at a time as it goes, or not when it is null. Where a
   * block's scores are bounded (see {@link OnlineSoftmax#attend}) each head's probabilities are
   * kept from the forward pass and normalised once its row sums are known, instead of being
   * computed again; the blocks go query block by query block, every head of a block in turn.
   */
  public DenseMatrix forward(
      AttentionWorkspace ws,
      DenseMatrix query,
      DenseMatrix key,
      DenseMatrix value,
      boolean[] keyPaddingMask,
      AttentionMapConsumer meanMap) {
    return forward(ws, query, key, value, keyPaddingMask, meanMap, null);
  }

  /**
   * {@link #forward}, with the per-query statistics of every head ({@link QueryStatistics}:
   * entropy, largest weight and its key, the weight on key 0, mean distance, log-sum-exp, top K
   * keys) gathered into {@code stats} as the pass goes, when it is not null.
   */
  public DenseMatrix forward(
      AttentionWorkspace ws,
      DenseMatrix query,
      DenseMatrix key,
      DenseMatrix value,
      boolean[] keyPaddingMask,
      AttentionMapConsumer meanMap,
      QueryStatistics stats) {
    ws.checkThread();
    int queryLen = query.numRows();
    int keyLen = key.numRows();
    checkInputs(query, key, value, keyPaddingMask);
    int e = embedDim;
    int keyTotal = keyLen + extraKeys();
    ws.q = AttentionWorkspace.ensure(ws.q, e * queryLen);
    ws.k = AttentionWorkspace.ensure(ws.k, e * keyTotal);
    ws.v = AttentionWorkspace.ensure(ws.v, e * keyTotal);
    ws.ctx = AttentionWorkspace.ensure(ws.ctx, e * queryLen);
    ws.tokenMajor = AttentionWorkspace.ensure(ws.tokenMajor, e * Math.max(queryLen, keyTotal));
    // The extra keys form one tile of their own, which may be wider than a block of 1.
    int widestTile = Math.max(blockSize, extraKeys());
    ws.tile = AttentionWorkspace.ensure(ws.tile, blockSize * widestTile);
    ws.rowMax = AttentionWorkspace.ensure(ws.rowMax, blockSize);
    ws.rowSum = AttentionWorkspace.ensure(ws.rowSum, blockSize);
    ws.lse = AttentionWorkspace.ensure(ws.lse, numHeads * queryLen);
    ws.maxKeyNorm = AttentionWorkspace.ensure(ws.maxKeyNorm, numHeads);
    ws.queryLen = queryLen;
    ws.keyLen = keyLen;
    ws.keyLenWithExtras = keyTotal;
    ws.keyPaddingMask = keyPaddingMask;
    ws.forwardDone = false;

    projections.inputs(ws, query, key, value, keyTotal);
    scores.maxKeyNorms(ws, numHeads);

    Arrays.fill(ws.ctx, 0, e * queryLen, 0.0);
    if (stats != null) {
      stats.start(numHeads, queryLen, widestTile);
    }
    ws.runningMaxBlocks = 0;
    ws.keyTilesVisited = 0;
    int fullyMasked = 0;
    if (meanMap == null) {
      for (int h = 0; h < numHeads; h++) {
        for (int q0 = 0; q0 < queryLen; q0 += blockSize) {
          int qn = Math.min(blockSize, queryLen - q0);
          int masked = softmax.attend(ws, h, q0, qn, null, stats);
          if (h == 0) {
            fullyMasked += masked;
          }
        }
      }
    } else {
      ws.mapMean = AttentionWorkspace.ensure(ws.mapMean, blockSize * keyTotal);
      ws.mapRows = AttentionWorkspace.ensure(ws.mapRows, blockSize * keyTotal);
      for (int q0 = 0; q0 < queryLen; q0 += blockSize) {
        int qn = Math.min(blockSize, queryLen - q0);
        Arrays.fill(ws.mapMean, 0, qn * keyTotal, 0.0);
        int runningMaxBefore = ws.runningMaxBlocks;
        for (int h = 0; h < numHeads; h++) {
          int masked = softmax.attend(ws, h, q0, qn, ws.mapMean, stats);
          if (h == 0) {
            fullyMasked += masked;
          }
        }
        if (ws.runningMaxBlocks != runningMaxBefore) {
          // Unbounded scores: the kept probabilities had shifting maxima; the map pass's way.
          mapPasses.meanBlock(ws, q0, qn);
        }
        mapPasses.scaleAndHand(ws.mapMean, q0, qn, keyTotal, meanMap);
      }
    }
    ws.fullyMaskedQueries = fullyMasked;
    ws.forwardDone = true;
    if (stats != null) {
      stats.finish(ws.lse);
    }

    return projections.output(ws, queryLen);
  }

  /**
   * One head's exact map of the last {@link #forward} on this workspace ({@code need_weights=True,
   * average_attn_weights=False}), handed to {@code consumer} a block of query rows at a time in
   * query order: each tile is recomputed and normalised as {@code exp(S - lse)} with the row's
   * log-sum-exp from the forward pass. A fully masked query's row is all zero.
   *
   * @param ws the workspace of the last forward pass; its map buffers are modified
   */
  public void headMap(AttentionWorkspace ws, int h, AttentionMapConsumer consumer) {
    mapPasses.headMap(ws, h, consumer);
  }

  /**
   * The mean over heads of the last {@link #forward}'s exact maps ({@code
   * average_attn_weights=True}), a block of query rows at a time in query order, as {@link
   * #headMap}.
   */
  public void meanMap(AttentionWorkspace ws, AttentionMapConsumer consumer) {
    mapPasses.meanMap(ws, consumer);
  }

  private void checkInputs(
      DenseMatrix query, DenseMatrix key, DenseMatrix value, boolean[] keyPaddingMask) {
    if (query.numRows() < 1 || query.numCols() != embedDim) {
      throw new IllegalArgumentException(
          "query is " + query.numRows() + " x " + query.numCols() + ", expected L x " + embedDim);
    }
    if (key.numRows() < 1 || key.numCols() != kdim) {
      throw new IllegalArgumentException(
          "key is " + key.numRows() + " x " + key.numCols() + ", expected S x " + kdim);
    }
    if (value.numRows() != key.numRows() || value.numCols() != vdim) {
      throw new IllegalArgumentException(
          "value is "
              + value.numRows()
              + " x "
              + value.numCols()
              + ", expected "
              + key.numRows()
              + " x "
              + vdim);
    }
    if (keyPaddingMask != null && keyPaddingMask.length != key.numRows()) {
      throw new IllegalArgumentException(
          "key_padding_mask has length "
              + keyPaddingMask.length
              + ", expected S = "
              + key.numRows());
    }
  }
}
