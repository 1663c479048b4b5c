package org.sparkattention.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link FixedOrderGemm}: lanes run along C's rows (A's columns
 * are contiguous), each lane one element's fma chain over k in ascending order, so the bits are
 * those of the scalar loops whatever the vector width. Register blocks of four vectors of rows by
 * four columns of B (16 accumulators); rows past the last whole vector take the scalar loops.
 * Loaded by reflection only when the {@code jdk.incubator.vector} module is present.
 */
final class VectorFixedOrderGemm implements FixedOrderGemm.Kernel {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();

  @Override
  public void gemm(
      int m,
      int n,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      boolean accumulate,
      double[] c,
      int cOffset,
      int ldc) {
    int i = 0;
    for (; i + 4 * LANES <= m; i += 4 * LANES) {
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        fourByFour(
            i,
            j,
            k,
            alpha,
            a,
            aOffset,
            lda,
            b,
            bOffset,
            bStrideK,
            bStrideN,
            accumulate,
            c,
            cOffset,
            ldc);
      }
      for (; j < n; j++) {
        fourByOne(
            i,
            j,
            k,
            alpha,
            a,
            aOffset,
            lda,
            b,
            bOffset,
            bStrideK,
            bStrideN,
            accumulate,
            c,
            cOffset,
            ldc);
      }
    }
    for (; i + LANES <= m; i += LANES) {
      for (int j = 0; j < n; j++) {
        oneByOne(
            i,
            j,
            k,
            alpha,
            a,
            aOffset,
            lda,
            b,
            bOffset,
            bStrideK,
            bStrideN,
            accumulate,
            c,
            cOffset,
            ldc);
      }
    }
    if (i < m) {
      FixedOrderGemm.Scalar.rows(
          i,
          m,
          n,
          k,
          alpha,
          a,
          aOffset,
          lda,
          b,
          bOffset,
          bStrideK,
          bStrideN,
          accumulate,
          c,
          cOffset,
          ldc);
    }
  }

  private static DoubleVector start(boolean accumulate, double[] c, int at) {
    return accumulate ? DoubleVector.fromArray(SPECIES, c, at) : DoubleVector.zero(SPECIES);
  }

  private static void store(DoubleVector acc, double alpha, double[] c, int at) {
    (alpha == 1.0 ? acc : acc.mul(alpha)).intoArray(c, at);
  }

  /** Rows i..i+4V of columns j..j+3. */
  private static void fourByFour(
      int i,
      int j,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      boolean accumulate,
      double[] c,
      int cOffset,
      int ldc) {
    int c0 = cOffset + j * ldc + i;
    int c1 = c0 + ldc;
    int c2 = c1 + ldc;
    int c3 = c2 + ldc;
    DoubleVector s00 = start(accumulate, c, c0);
    DoubleVector s01 = start(accumulate, c, c0 + LANES);
    DoubleVector s02 = start(accumulate, c, c0 + 2 * LANES);
    DoubleVector s03 = start(accumulate, c, c0 + 3 * LANES);
    DoubleVector s10 = start(accumulate, c, c1);
    DoubleVector s11 = start(accumulate, c, c1 + LANES);
    DoubleVector s12 = start(accumulate, c, c1 + 2 * LANES);
    DoubleVector s13 = start(accumulate, c, c1 + 3 * LANES);
    DoubleVector s20 = start(accumulate, c, c2);
    DoubleVector s21 = start(accumulate, c, c2 + LANES);
    DoubleVector s22 = start(accumulate, c, c2 + 2 * LANES);
    DoubleVector s23 = start(accumulate, c, c2 + 3 * LANES);
    DoubleVector s30 = start(accumulate, c, c3);
    DoubleVector s31 = start(accumulate, c, c3 + LANES);
    DoubleVector s32 = start(accumulate, c, c3 + 2 * LANES);
    DoubleVector s33 = start(accumulate, c, c3 + 3 * LANES);
    int b0 = bOffset + j * bStrideN;
    int b1 = b0 + bStrideN;
    int b2 = b1 + bStrideN;
    int b3 = b2 + bStrideN;
    int ap = aOffset + i;
    for (int p = 0; p < k; p++, ap += lda) {
      DoubleVector a0 = DoubleVector.fromArray(SPECIES, a, ap);
      DoubleVector a1 = DoubleVector.fromArray(SPECIES, a, ap + LANES);
      DoubleVector a2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES);
      DoubleVector a3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES);
      int bp = p * bStrideK;
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + bp]);
      s00 = a0.fma(x, s00);
      s01 = a1.fma(x, s01);
      s02 = a2.fma(x, s02);
      s03 = a3.fma(x, s03);
      x = DoubleVector.broadcast(SPECIES, b[b1 + bp]);
      s10 = a0.fma(x, s10);
      s11 = a1.fma(x, s11);
      s12 = a2.fma(x, s12);
      s13 = a3.fma(x, s13);
      x = DoubleVector.broadcast(SPECIES, b[b2 + bp]);
      s20 = a0.fma(x, s20);
      s21 = a1.fma(x, s21);
      s22 = a2.fma(x, s22);
      s23 = a3.fma(x, s23);
      x = DoubleVector.broadcast(SPECIES, b[b3 + bp]);
      s30 = a0.fma(x, s30);
      s31 = a1.fma(x, s31);
      s32 = a2.fma(x, s32);
      s33 = a3.fma(x, s33);
    }
    store(s00, alpha, c, c0);
    store(s01, alpha, c, c0 + LANES);
    store(s02, alpha, c, c0 + 2 * LANES);
    store(s03, alpha, c, c0 + 3 * LANES);
    store(s10, alpha, c, c1);
    store(s11, alpha, c, c1 + LANES);
    store(s12, alpha, c, c1 + 2 * LANES);
    store(s13, alpha, c, c1 + 3 * LANES);
    store(s20, alpha, c, c2);
    store(s21, alpha, c, c2 + LANES);
    store(s22, alpha, c, c2 + 2 * LANES);
    store(s23, alpha, c, c2 + 3 * LANES);
    store(s30, alpha, c, c3);
    store(s31, alpha, c, c3 + LANES);
    store(s32, alpha, c, c3 + 2 * LANES);
    store(s33, alpha, c, c3 + 3 * LANES);
  }

  /** Rows i..i+4V of column j. */
  private static void fourByOne(
      int i,
      int j,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      boolean accumulate,
      double[] c,
      int cOffset,
      int ldc) {
    int c0 = cOffset + j * ldc + i;
    DoubleVector s0 = start(accumulate, c, c0);
    DoubleVector s1 = start(accumulate, c, c0 + LANES);
    DoubleVector s2 = start(accumulate, c, c0 + 2 * LANES);
    DoubleVector s3 = start(accumulate, c, c0 + 3 * LANES);
    int b0 = bOffset + j * bStrideN;
    int ap = aOffset + i;
    for (int p = 0; p < k; p++, ap += lda) {
      DoubleVector x = DoubleVector.broadcast(SPECIES, b[b0 + p * bStrideK]);
      s0 = DoubleVector.fromArray(SPECIES, a, ap).fma(x, s0);
      s1 = DoubleVector.fromArray(SPECIES, a, ap + LANES).fma(x, s1);
      s2 = DoubleVector.fromArray(SPECIES, a, ap + 2 * LANES).fma(x, s2);
      s3 = DoubleVector.fromArray(SPECIES, a, ap + 3 * LANES).fma(x, s3);
    }
    store(s0, alpha, c, c0);
    store(s1, alpha, c, c0 + LANES);
    store(s2, alpha, c, c0 + 2 * LANES);
    store(s3, alpha, c, c0 + 3 * LANES);
  }

  /** Rows i..i+V of column j. */
  private static void oneByOne(
      int i,
      int j,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int bStrideK,
      int bStrideN,
      boolean accumulate,
      double[] c,
      int cOffset,
      int ldc) {
    int c0 = cOffset + j * ldc + i;
    DoubleVector s = start(accumulate, c, c0);
    int b0 = bOffset + j * bStrideN;
    int ap = aOffset + i;
    for (int p = 0; p < k; p++, ap += lda) {
      s =
          DoubleVector.fromArray(SPECIES, a, ap)
              .fma(DoubleVector.broadcast(SPECIES, b[b0 + p * bStrideK]), s);
    }
    store(s, alpha, c, c0);
  }

  @Override
  public String name() {
    return "vector";
  }
}
