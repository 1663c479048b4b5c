package org.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.model.AttentionWeights;

/**
 * The layer's four projections: Q, K and V into head-major bands of the workspace (each head's band
 * contiguous for the tiles' products), the extra keys (bias_k, bias_v, the zero key) appended, and
 * {@code out_proj} of the heads' concatenated context.
 */
final class Projections implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int embedDim;
  private final int kdim;
  private final int vdim;
  private final int numHeads;
  private final int headDim;

  /**
   * Doubles (a cache line) between a weight column's end and the next one's start: with E a power
   * of two, the columns a product's block reads lay a multiple of 512 bytes apart, in a few L1 sets
   * that could not hold them (E = 256 short sequences 13% slower, E = 128 6%).
   */
  private static final int WEIGHT_PADDING = 8;

  /** The weights' leading dimension: E plus the padding. */
  private final int ldw;

  private final double[] wq;
  private final double[] wk;
  private final double[] wv;
  private final double[] wo;
  private final double[] bq;
  private final double[] bk;
  private final double[] bv;
  private final double[] bo;
  private final double[] biasK;
  private final double[] biasV;

  Projections(AttentionWeights weights, int numHeads) {
    this.embedDim = weights.embedDim();
    this.kdim = weights.kdim();
    this.vdim = weights.vdim();
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.ldw = embedDim + WEIGHT_PADDING;
    this.wq = padded(weights.qWeight().values(), embedDim, ldw);
    this.wk = padded(weights.kWeight().values(), embedDim, ldw);
    this.wv = padded(weights.vWeight().values(), embedDim, ldw);
    this.wo = padded(weights.outWeight().values(), embedDim, ldw);
    double[] zeros = new double[embedDim];
    this.bq = weights.hasBias() ? weights.qBias() : zeros;
    this.bk = weights.hasBias() ? weights.kBias() : zeros;
    this.bv = weights.hasBias() ? weights.vBias() : zeros;
    this.bo = weights.hasBias() ? weights.outBias() : zeros;
    this.biasK = weights.biasK();
    this.biasV = weights.biasV();
  }

  /** A column-major matrix of {@code rows} rows, its columns {@code ld} apart. */
  private static double[] padded(double[] w, int rows, int ld) {
    int cols = w.length / rows;
    double[] out = new double[ld * cols];
    for (int p = 0; p < cols; p++) {
      System.arraycopy(w, p * rows, out, p * ld, rows);
    }
    return out;
  }

  /**
   * ws.q, ws.k, ws.v := the query, key and value projections, head-major, with {@code keyTotal}
   * keys (the extra keys after the sequence's). Inputs not modified.
   */
  void inputs(
      AttentionWorkspace ws, DenseMatrix query, DenseMatrix key, DenseMatrix value, int keyTotal) {
    project(ws, wq, bq, embedDim, query, null, ws.q, query.numRows(), false);
    project(ws, wk, bk, kdim, key, biasK, ws.k, keyTotal, true);
    project(ws, wv, bv, vdim, value, biasV, ws.v, keyTotal, false);
  }

  /** The attention output, L x E row-major: {@code out_proj} of ws.ctx's heads. */
  DenseMatrix output(AttentionWorkspace ws, int queryLen) {
    int e = embedDim;
    // Heads concatenated (token-major E x L), then out^T = W_o ctx^T + b_o: E x L column-major
    // is the L x E output row-major.
    double[] ctxT = ws.tokenMajor;
    for (int h = 0; h < numHeads; h++) {
      int src = h * headDim * queryLen;
      for (int i = 0; i < queryLen; i++) {
        System.arraycopy(ws.ctx, src + i * headDim, ctxT, i * e + h * headDim, headDim);
      }
    }
    double[] outT = ws.outputValues(e * queryLen);
    for (int i = 0; i < queryLen; i++) {
      System.arraycopy(bo, 0, outT, i * e, e);
    }
    FixedOrderGemm.gemm(e, queryLen, e, 1.0, wo, 0, ldw, ctxT, 0, 1, e, true, outT, 0, e);
    return new DenseMatrix(queryLen, e, outT, true);
  }

  /**
   * dst = W x^T + b, head-major: head h's band is a contiguous headDim x total column-major block
   * at {@code h * headDim * total} (column i is token i), or with {@code keysMajor} its transpose,
   * total x headDim (what the score product's lanes run along). Tokens past x's rows are the extra
   * keys: {@code extraToken} (bias_k or bias_v) if given, then the zero key when add_zero_attn is
   * set.
   */
  private void project(
      AttentionWorkspace ws,
      double[] w,
      double[] b,
      int width,
      DenseMatrix x,
      double[] extraToken,
      double[] dst,
      int total,
      boolean keysMajor) {
    int n = x.numRows();
    int e = embedDim;
    double[] tokenMajor = ws.tokenMajor;
    for (int i = 0; i < n; i++) {
      System.arraycopy(b, 0, tokenMajor, i * e, e);
    }
    // One product into a token-major scratch (E x n), then the cheap copy into head bands. Each
    // value is its token's own fma chain (FixedOrderGemm): the same bits whatever the sequence.
    boolean rowMajor = x.isTransposed();
    FixedOrderGemm.gemm(
        e,
        n,
        width,
        1.0,
        w,
        0,
        ldw,
        x.values(),
        0,
        rowMajor ? 1 : n,
        rowMajor ? width : 1,
        true,
        tokenMajor,
        0,
        e);
    int token = n;
    if (extraToken != null && token < total) {
      System.arraycopy(extraToken, 0, tokenMajor, token++ * e, e);
    }
    if (token < total) {
      Arrays.fill(tokenMajor, token * e, total * e, 0.0);
    }
    for (int h = 0; h < numHeads; h++) {
      int band = h * headDim * total;
      if (keysMajor) {
        for (int d = 0; d < headDim; d++) {
          int from = h * headDim + d;
          int to = band + d * total;
          for (int i = 0; i < total; i++) {
            dst[to + i] = tokenMajor[i * e + from];
          }
        }
      } else {
        for (int i = 0; i < total; i++) {
          System.arraycopy(tokenMajor, i * e + h * headDim, dst, band + i * headDim, headDim);
        }
      }
    }
  }
}
