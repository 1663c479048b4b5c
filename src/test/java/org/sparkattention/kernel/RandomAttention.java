package org.sparkattention.kernel;

import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.model.AttentionWeights;

/** Seeded random weights and inputs for kernel tests. */
final class RandomAttention {
  private RandomAttention() {}

  static DenseMatrix matrix(Random rnd, int rows, int cols, boolean rowMajor) {
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian();
    }
    return new DenseMatrix(rows, cols, v, rowMajor);
  }

  static double[] vector(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian() * 0.5;
    }
    return v;
  }

  static AttentionWeights weights(
      Random rnd, int e, int kdim, int vdim, boolean bias, boolean biasKv) {
    double s = 1.0 / Math.sqrt(e);
    return new AttentionWeights(
        scaled(matrix(rnd, e, e, false), s),
        scaled(matrix(rnd, e, kdim, false), s),
        scaled(matrix(rnd, e, vdim, false), s),
        bias ? vector(rnd, e) : null,
        bias ? vector(rnd, e) : null,
        bias ? vector(rnd, e) : null,
        scaled(matrix(rnd, e, e, false), s),
        bias ? vector(rnd, e) : null,
        biasKv ? vector(rnd, e) : null,
        biasKv ? vector(rnd, e) : null);
  }

  static boolean[] mask(Random rnd, int n, double p) {
    boolean[] m = new boolean[n];
    for (int i = 0; i < n; i++) {
      m[i] = rnd.nextDouble() < p;
    }
    return m;
  }

  private static DenseMatrix scaled(DenseMatrix m, double s) {
    double[] v = m.values();
    for (int i = 0; i < v.length; i++) {
      v[i] *= s;
    }
    return m;
  }
}
