package org.sparkattention.kernel;

import dev.ludovic.netlib.blas.BLAS;

/**
 * The kernel's one matrix product, checked: {@code C := alpha * op(A) * op(B) + beta * C} on
 * column-major slices of {@code double[]} buffers, {@code op(X)} being {@code X} or {@code X^T},
 * {@code op(A)} m x k, {@code op(B)} k x n, {@code C} m x n. As netlib's public {@code dgemm}
 * checks its arguments before its unchecked {@code dgemmK}, every slice is checked here to lie
 * inside its buffer (a message naming the operand and both sizes), then netlib's {@code dgemm} runs
 * on the BLAS that {@code BLAS.getInstance()} chose (native, Vector API or Java).
 */
final class Gemm {
  private static final BLAS BLAS_INSTANCE = BLAS.getInstance();

  private Gemm() {}

  /**
   * {@code C := alpha * op(A) * op(B) + beta * C}.
   *
   * @param a op(A) is m x k: A is m x k ({@code transA} false, {@code lda >= m}) or k x m ({@code
   *     transA} true, {@code lda >= k}), from {@code aOffset}; not modified
   * @param b op(B) is k x n: B is k x n ({@code transB} false, {@code ldb >= k}) or n x k, from
   *     {@code bOffset}; not modified
   * @param c m x n from {@code cOffset}, {@code ldc >= m}; modified
   */
  static void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      double alpha,
      double[] a,
      int aOffset,
      int lda,
      double[] b,
      int bOffset,
      int ldb,
      double beta,
      double[] c,
      int cOffset,
      int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("gemm sizes m, n, k = " + m + ", " + n + ", " + k);
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k > 0) {
      requireSlice("A", a, aOffset, lda, transA ? k : m, transA ? m : k);
      requireSlice("B", b, bOffset, ldb, transB ? n : k, transB ? k : n);
    }
    requireSlice("C", c, cOffset, ldc, m, n);
    BLAS_INSTANCE.dgemm(
        transA ? "T" : "N",
        transB ? "T" : "N",
        m,
        n,
        k,
        alpha,
        a,
        aOffset,
        lda,
        b,
        bOffset,
        ldb,
        beta,
        c,
        cOffset,
        ldc);
  }

  /** A rows x cols column-major slice with leading dimension ld must lie inside x. */
  static void requireSlice(String name, double[] x, int offset, int ld, int rows, int cols) {
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
}
