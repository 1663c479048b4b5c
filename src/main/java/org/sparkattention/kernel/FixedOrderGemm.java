package org.sparkattention.kernel;

/**
 * A matrix product whose every output element is one fused multiply-add chain over k in ascending
 * order, so that its bits depend on that element's row of A and column of B alone: not on m or n,
 * not on the element's position, not on the vector width, not on the machine's BLAS. This is what
 * makes a product batch-invariant: a token projected alone or packed among other sequences' tokens
 * gets the same bits (BLAS products do not promise it: OpenBLAS picks kernels by size, and its
 * results change with a row's batch, OpenBLAS issue #4947).
 *
 * <p>{@code C[i, j] := alpha * fma-chain(A[i, 0] B[0, j], ..., A[i, k-1] B[k-1, j]; start)} with
 * start = C[i, j] when accumulating, 0 otherwise; the chain is {@code acc = fma(A[i, p], B[p, j],
 * acc)} for p = 0, 1, .., k - 1, and alpha multiplies once at the end (1 is exact). A is m x k
 * column-major (lanes run along its columns), B is reached by two strides, C is m x n column-major.
 *
 * <p>The Vector API kernel ({@code --add-modules jdk.incubator.vector}) and the scalar one ({@link
 * Math#fma}) give the same bits; the vector one is several times faster.
 */
final class FixedOrderGemm {
  private static final Kernel IMPL = choose();

  interface Kernel {
    /** See {@link FixedOrderGemm#gemm}, arguments checked. */
    void gemm(
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
        int ldc);

    String name();
  }

  private FixedOrderGemm() {}

  /**
   * {@code C := alpha * A B} or {@code C := C + A B} ({@code accumulate}, then alpha must be 1).
   *
   * @param a m x k column-major from {@code aOffset}, {@code lda >= m}; not modified
   * @param b B[p, j] is {@code b[bOffset + p * bStrideK + j * bStrideN]}; not modified
   * @param c m x n column-major from {@code cOffset}, {@code ldc >= m}; modified
   */
  static void gemm(
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
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("gemm sizes m, n, k = " + m + ", " + n + ", " + k);
    }
    if (accumulate && alpha != 1.0) {
      throw new IllegalArgumentException("gemm: accumulating needs alpha = 1, got " + alpha);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k > 0) {
      requireSlice("A", a, aOffset, lda, m, k);
      requireStrided(b, bOffset, bStrideK, bStrideN, k, n);
    }
    requireSlice("C", c, cOffset, ldc, m, n);
    IMPL.gemm(
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

  /** "vector (N lanes)" or "scalar": which implementation this JVM uses. */
  static String implementation() {
    return IMPL.name();
  }

  /** A rows x cols column-major slice with leading dimension ld must lie inside x. */
  private static void requireSlice(
      String name, double[] x, int offset, int ld, int rows, int cols) {
    if (ld < Math.max(1, rows)) {
      throw new IllegalArgumentException(
          "gemm: " + name + " has " + rows + " rows but leading dimension " + ld);
    }
    long end = offset + (long) ld * (cols - 1) + rows;
    if (offset < 0 || end > x.length) {
      throw new IllegalArgumentException(
          "gemm: "
              + name
              + " ("
              + rows
              + " x "
              + cols
              + ", leading dimension "
              + ld
              + ", from "
              + offset
              + ") needs "
              + end
              + " elements, its buffer has "
              + x.length);
    }
  }

  /** B's k x n elements, reached by positive strides, must lie inside b. */
  private static void requireStrided(
      double[] b, int offset, int strideK, int strideN, int k, int n) {
    long last = offset + (long) strideK * (k - 1) + (long) strideN * (n - 1);
    if (strideK < 1 || strideN < 1 || offset < 0 || last >= b.length) {
      throw new IllegalArgumentException(
          "gemm: B ("
              + k
              + " x "
              + n
              + ", strides "
              + strideK
              + " and "
              + strideN
              + ", from "
              + offset
              + ") reaches element "
              + last
              + ", its buffer has "
              + b.length);
    }
  }

  private static Kernel choose() {
    return ScalarOrVector.orScalar(
        Kernel.class,
        "org.sparkattention.kernel.VectorFixedOrderGemm",
        "sparkattention.scalarGemm",
        Scalar::new);
  }

  /** The reference: plain loops, and what the vector kernel uses for rows past its last vector. */
  static final class Scalar implements Kernel {
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
      rows(
          0,
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

    /** Rows i0..i1 of C. */
    static void rows(
        int i0,
        int i1,
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
      for (int j = 0; j < n; j++) {
        int bj = bOffset + j * bStrideN;
        int cj = cOffset + j * ldc;
        for (int i = i0; i < i1; i++) {
          double acc = accumulate ? c[cj + i] : 0.0;
          for (int p = 0; p < k; p++) {
            acc = Math.fma(a[aOffset + i + p * lda], b[bj + p * bStrideK], acc);
          }
          c[cj + i] = alpha * acc; // exact when alpha is 1
        }
      }
    }

    @Override
    public String name() {
      return "scalar";
    }
  }
}
