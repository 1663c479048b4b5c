package org.sparkattention.kernel;

import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.model.AttentionWeights;

/**
 * The plain, unblocked multi-head attention, written from PyTorch's formulas with loops only: the
 * reference the blocked kernel is tested against. Not for speed.
 */
final class ReferenceAttention {
  /** Output (L x E), maps per head (H x L x S') and fully masked query count. */
  record Result(double[][] output, double[][][] maps, int fullyMasked) {}

  static Result compute(
      AttentionWeights w,
      AttentionOptions o,
      DenseMatrix query,
      DenseMatrix key,
      DenseMatrix value,
      boolean[] keyPaddingMask) {
    int e = w.embedDim();
    int heads = o.numHeads();
    int hd = e / heads;
    int queryLen = query.numRows();
    int keyLen = key.numRows();
    double[] zeros = new double[e];
    double[][] q = linear(query, w.qWeight(), w.hasBias() ? w.qBias() : zeros);
    double[][] k = linear(key, w.kWeight(), w.hasBias() ? w.kBias() : zeros);
    double[][] v = linear(value, w.vWeight(), w.hasBias() ? w.vBias() : zeros);
    int extra = (w.hasBiasKv() ? 1 : 0) + (o.addZeroAttn() ? 1 : 0);
    int keyTotal = keyLen + extra;
    double[][] kAll = new double[keyTotal][];
    double[][] vAll = new double[keyTotal][];
    System.arraycopy(k, 0, kAll, 0, keyLen);
    System.arraycopy(v, 0, vAll, 0, keyLen);
    int j = keyLen;
    if (w.hasBiasKv()) {
      kAll[j] = w.biasK();
      vAll[j++] = w.biasV();
    }
    if (o.addZeroAttn()) {
      kAll[j] = new double[e];
      vAll[j] = new double[e];
    }
    double scale = o.scale().forHeadDim(hd);
    double[][] ctx = new double[queryLen][e];
    double[][][] maps = new double[heads][queryLen][keyTotal];
    int fullyMasked = 0;
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < queryLen; i++) {
        double[] s = new double[keyTotal];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < keyTotal; t++) {
          boolean masked =
              t < keyLen
                  && ((o.causal() && t > i) || (keyPaddingMask != null && keyPaddingMask[t]));
          if (masked) {
            s[t] = Double.NEGATIVE_INFINITY;
            continue;
          }
          double dot = 0;
          for (int d = 0; d < hd; d++) {
            dot += q[i][h * hd + d] * kAll[t][h * hd + d];
          }
          s[t] = dot * scale;
          max = Math.max(max, s[t]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
          if (h == 0) {
            fullyMasked++;
          }
          continue;
        }
        double sum = 0;
        for (int t = 0; t < keyTotal; t++) {
          s[t] = Math.exp(s[t] - max);
          sum += s[t];
        }
        for (int t = 0; t < keyTotal; t++) {
          maps[h][i][t] = s[t] / sum;
          for (int d = 0; d < hd; d++) {
            ctx[i][h * hd + d] += maps[h][i][t] * vAll[t][h * hd + d];
          }
        }
      }
    }
    double[] outBias = w.hasBias() ? w.outBias() : zeros;
    DenseMatrix wo = w.outWeight();
    double[][] out = new double[queryLen][e];
    for (int i = 0; i < queryLen; i++) {
      for (int r = 0; r < e; r++) {
        double acc = outBias[r];
        for (int c = 0; c < e; c++) {
          acc += wo.apply(r, c) * ctx[i][c];
        }
        out[i][r] = acc;
      }
    }
    return new Result(out, maps, fullyMasked);
  }

  /** x W^T + b, row by row. */
  private static double[][] linear(DenseMatrix x, DenseMatrix weight, double[] bias) {
    double[][] y = new double[x.numRows()][weight.numRows()];
    for (int i = 0; i < x.numRows(); i++) {
      for (int r = 0; r < weight.numRows(); r++) {
        double acc = bias[r];
        for (int c = 0; c < weight.numCols(); c++) {
          acc += weight.apply(r, c) * x.apply(i, c);
        }
        y[i][r] = acc;
      }
    }
    return y;
  }

  static double[] flatten(double[][] m) {
    int cols = m.length == 0 ? 0 : m[0].length;
    double[] out = new double[m.length * cols];
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(m[i], 0, out, i * cols, cols);
    }
    return out;
  }

  static double[] flatten(double[][][] m) {
    int rows = m[0].length;
    int cols = m[0][0].length;
    double[] out = new double[m.length * rows * cols];
    for (int h = 0; h < m.length; h++) {
      System.arraycopy(flatten(m[h]), 0, out, h * rows * cols, rows * cols);
    }
    return out;
  }
}
