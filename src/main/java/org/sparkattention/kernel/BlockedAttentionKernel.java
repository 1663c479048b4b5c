package org.sparkattention.kernel;

import dev.ludovic.netlib.blas.BLAS;
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
 * {@code out_proj}. Every product is a netlib {@code dgemm} on workspace buffers.
 *
 * <p>Internally the projections and the context are head-major: head h is a contiguous headDim x L
 * column-major block (column i is token i), so tiles are dense for dgemm, and a query's scores are
 * contiguous in the score tile.
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
  private final double scale;
  private final boolean causal;
  private final boolean addZeroAttn;
  private final int blockSize;
  private final KeyTiles keyTiles;
  private final MapPasses mapPasses;
  // Weights, column-major in PyTorch's (out, in) orientation; biases zero when the layer has none.
  private final boolean hasBiasKv;
  private final Projections projections;

  /**
   * Score magnitude up to which a query block shifts its exps by a fixed bound: exp(-600) is far
   * above the smallest normal double (about exp(-708)), so no probability becomes subnormal.
   */
  static final double FIXED_SHIFT_LIMIT = 300;

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
    this.scale = options.effectiveScale(headDim);
    this.causal = options.causal();
    this.addZeroAttn = options.addZeroAttn();
    this.blockSize = options.blockSize();
    this.hasBiasKv = weights.hasBiasKv();
    this.projections = new Projections(weights, numHeads);
    this.keyTiles = new KeyTiles(causal, blockSize);
    this.mapPasses = new MapPasses(this, keyTiles, numHeads, blockSize, causal);
  }

  /** A workspace for the calling thread. */
  public AttentionWorkspace newWorkspace() {
    return new AttentionWorkspace();
  }

  /** The netlib BLAS implementation products run on (JNIBLAS, VectorBLAS, Java11BLAS ...). */
  public static String blasImplementation() {
    return BLAS.getInstance().getClass().getSimpleName();
  }

  /** How the softmax's exp runs: "vector" (Vector API) or "scalar" (Math.exp). */
  public static String expImplementation() {
    return ExpFunctions.implementation();
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
   * {@link #forward}, handing the mean attention map ({@link MapMode#MEAN}, what {@link #maps}
   * gives) to {@code meanMap} a block of query rows at a time as it goes, or not when it is null.
   * Where a block's scores are bounded (see {@link #attendBlock}) each head's probabilities are
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
    ws.tile = AttentionWorkspace.ensure(ws.tile, blockSize * Math.max(blockSize, extraKeys()));
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
    maxKeyNorms(ws);

    Arrays.fill(ws.ctx, 0, e * queryLen, 0.0);
    ws.runningMaxBlocks = 0;
    ws.keyTilesVisited = 0;
    int fullyMasked = 0;
    if (meanMap == null) {
      for (int h = 0; h < numHeads; h++) {
        for (int q0 = 0; q0 < queryLen; q0 += blockSize) {
          int qn = Math.min(blockSize, queryLen - q0);
          int masked = attendBlock(ws, h, q0, qn, null);
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
          int masked = attendBlock(ws, h, q0, qn, ws.mapMean);
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

    return projections.output(ws, queryLen);
  }

  /**
   * One query block of one head through all the keys it sees: the online softmax. Leaves the
   * normalised context in {@code ctxT} and the log-sum-exp in {@code lse}.
   *
   * <p>When every score of the block is bounded by {@link #FIXED_SHIFT_LIMIT} in magnitude, each
   * query row's exp is shifted by its bound instead of its running max: the probabilities stay in
   * [exp(-2 limit), 1], far from overflow and from subnormals, and the tiles need neither a max
   * pass nor rescaling of the context (softmax does not depend on the shift).
   *
   * <p>With {@code meanSum} (bounded scores only), the block's probabilities are also kept in
   * {@code mapRows} and, once the row sums are known, added normalised into {@code meanSum}
   * (queries x S', row-major).
   *
   * @return the number of queries in the block that saw no key
   */
  private int attendBlock(AttentionWorkspace ws, int h, int q0, int qn, double[] meanSum) {
    double[] m = ws.rowMax;
    double[] l = ws.rowSum;
    boolean fixedShift = scoreBounds(ws, h, q0, qn, m);
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
          scoreTile(ws, h, q0, qn, k0, kn);
          if (fixedShift) {
            for (int r = 0; r < qn; r++) {
              l[r] += ExpFunctions.expShifted(ws.tile, r * kn, ws.tile, r * kn, kn, m[r]);
              if (keep) {
                System.arraycopy(ws.tile, r * kn, ws.mapRows, r * keyTotal + k0, kn);
              }
            }
          } else {
            onlineSoftmaxStep(ws, h, q0, qn, k0, kn, ctxOffset);
          }
          // ctx_blk (headDim x qn) += V_blk^T (headDim x kn) P (kn x qn)
          Gemm.gemm(
              false,
              false,
              headDim,
              qn,
              kn,
              1.0,
              ws.v,
              (h * ws.keyLenWithExtras + k0) * headDim,
              headDim,
              ws.tile,
              0,
              kn,
              1.0,
              ws.ctx,
              ctxOffset,
              headDim);
        });
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
    if (keep) {
      keyTiles.forEach(
          ws,
          q0,
          qn,
          (k0, kn) -> {
            for (int r = 0; r < qn; r++) {
              if (l[r] != 0.0) {
                int at = r * keyTotal + k0;
                addScaled(ws.mapRows, meanSum, at, kn, 1.0 / l[r]);
              }
            }
          });
    }
    return fullyMasked;
  }

  /**
   * Bounds each query row's scores by Cauchy-Schwarz, |scale q.k| <= |scale| |q| max|k|, into
   * {@code bounds}; true when every bound is within {@link #FIXED_SHIFT_LIMIT}.
   */
  private boolean scoreBounds(AttentionWorkspace ws, int h, int q0, int qn, double[] bounds) {
    double keyNorm = ws.maxKeyNorm[h];
    for (int r = 0; r < qn; r++) {
      double queryNorm = Math.sqrt(squaredNorm(ws.q, (h * ws.queryLen + q0 + r) * headDim));
      double bound = Math.abs(scale) * queryNorm * keyNorm;
      if (!(bound <= FIXED_SHIFT_LIMIT)) { // NaN and infinity included
        return false;
      }
      bounds[r] = bound;
    }
    return true;
  }

  /** The largest norm of a key token's head-h part, per head: the keys' half of scoreBounds. */
  private void maxKeyNorms(AttentionWorkspace ws) {
    int keyTotal = ws.keyLenWithExtras;
    for (int h = 0; h < numHeads; h++) {
      double max = 0;
      int band = h * headDim * keyTotal;
      for (int j = 0; j < keyTotal; j++) {
        max = Math.max(max, squaredNorm(ws.k, band + j * headDim));
      }
      ws.maxKeyNorm[h] = Math.sqrt(max);
    }
  }

  /** The squared norm of one token's head part: headDim values from {@code offset}. */
  private double squaredNorm(double[] a, int offset) {
    double squares = 0;
    for (int d = 0; d < headDim; d++) {
      squares += a[offset + d] * a[offset + d];
    }
    return squares;
  }

  /** tile (kn x qn) = scale * K_blk Q_blk^T for head h, then masked entries set to -infinity. */
  void scoreTile(AttentionWorkspace ws, int h, int q0, int qn, int k0, int kn) {
    Gemm.gemm(
        true,
        false,
        kn,
        qn,
        headDim,
        scale,
        ws.k,
        (h * ws.keyLenWithExtras + k0) * headDim,
        headDim,
        ws.q,
        (h * ws.queryLen + q0) * headDim,
        headDim,
        0.0,
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
   * Turns the score tile into unnormalised probabilities exp(S - m_new), updates m and l, and
   * rescales the context accumulated so far by exp(m_old - m_new).
   */
  private void onlineSoftmaxStep(
      AttentionWorkspace ws, int h, int q0, int qn, int k0, int kn, int ctxOffset) {
    double[] t = ws.tile;
    double[] m = ws.rowMax;
    double[] l = ws.rowSum;
    double[] ctx = ws.ctx;
    for (int r = 0; r < qn; r++) {
      int col = r * kn;
      double mNew = Math.max(m[r], ExpFunctions.max(t, col, kn));
      if (mNew == Double.NEGATIVE_INFINITY) {
        // Nothing visible yet: contribute nothing (exp(-inf - -inf) would be NaN).
        Arrays.fill(t, col, col + kn, 0.0);
        continue;
      }
      double sum = ExpFunctions.expShifted(t, col, t, col, kn, mNew);
      if (m[r] != mNew && l[r] != 0.0) {
        double alpha = Math.exp(m[r] - mNew);
        int base = ctxOffset + r * headDim;
        for (int d = 0; d < headDim; d++) {
          ctx[base + d] *= alpha;
        }
        l[r] *= alpha;
      }
      l[r] += sum;
      m[r] = mNew;
    }
  }

  /**
   * The exact attention maps of the last {@link #forward} on this workspace, handed to {@code
   * consumer} a block of query rows at a time: each tile is recomputed and normalised as {@code
   * exp(S - lse)} with the row's log-sum-exp from the forward pass. {@link MapMode#HEADS} goes head
   * by head, each head's rows in query order; {@link MapMode#MEAN} gives each block's mean over
   * heads. A fully masked query's row is all zero.
   *
   * @param ws the workspace of the last forward pass; its map buffers are modified
   */
  public void maps(AttentionWorkspace ws, MapMode mode, AttentionMapConsumer consumer) {
    mapPasses.maps(ws, mode, consumer);
  }

  /**
   * One head's exact map of the last {@link #forward}, in query order: what {@link MapMode#HEADS}
   * gives for head {@code h}, so that a caller can take the heads one at a time.
   */
  public void headMap(AttentionWorkspace ws, int h, AttentionMapConsumer consumer) {
    mapPasses.headMap(ws, h, consumer);
  }

  /** dst[at + i] += src[at + i] * scale for i < n. */
  private static void addScaled(double[] src, double[] dst, int at, int n, double scale) {
    for (int i = at; i < at + n; i++) {
      dst[i] += src[i] * scale;
    }
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
