package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The fixed-order product: each element is the fma chain over k in ascending order (written out
 * here as the specification), the Vector API kernel gives the scalar kernel's bits on awkward
 * shapes, and an element's bits do not depend on the product's size or on where it sits.
 */
class FixedOrderGemmTest {
  private static final int[] ROWS = {1, 3, 7, 8, 9, 16, 31, 32, 33, 47, 64, 100, 128, 130};
  // 67 columns: blocks of rows packed; depths past 128 and 256: two and three passes over k.
  private static final int[] COLS = {1, 2, 3, 4, 5, 7, 13, 67};
  private static final int[] DEPTHS = {0, 1, 2, 5, 17, 32, 129, 257};

  @Test
  void everyElementIsItsFmaChainInOrder() {
    forEachProduct(
        new Random(3),
        0.37,
        p -> {
          double[] c = p.run(null);
          for (int j = 0; j < p.n; j++) {
            for (int i = 0; i < p.m; i++) {
              double acc = p.accumulate ? p.c[1 + i + j * p.ldc] : 0.0;
              for (int q = 0; q < p.k; q++) {
                acc = Math.fma(p.a[3 + i + q * p.lda], p.b[2 + q * p.strideK + j * p.strideN], acc);
              }
              double expected = p.alpha == 1.0 ? acc : p.alpha * acc;
              assertEquals(
                  Double.doubleToRawLongBits(expected),
                  Double.doubleToRawLongBits(c[1 + i + j * p.ldc]),
                  p + " at " + i + ", " + j);
            }
          }
          // Padding between C's columns untouched.
          for (int j = 0; j < p.n; j++) {
            for (int i = p.m; i < p.ldc && 1 + i + j * p.ldc < c.length; i++) {
              assertEquals(p.c[1 + i + j * p.ldc], c[1 + i + j * p.ldc]);
            }
          }
        });
  }

  @Test
  void theVectorKernelGivesTheScalarBitsWithEitherBlocks() {
    FixedOrderGemm.Kernel scalar = new FixedOrderGemm.Scalar();
    for (boolean wide : new boolean[] {true, false}) {
      FixedOrderGemm.Kernel vector = new VectorFixedOrderGemm(wide);
      forEachProduct(
          new Random(4),
          -1.5,
          p -> {
            double[] cv = p.run(vector);
            double[] cs = p.run(scalar);
            for (int x = 0; x < cs.length; x++) {
              assertEquals(
                  Double.doubleToRawLongBits(cs[x]),
                  Double.doubleToRawLongBits(cv[x]),
                  "wide " + wide + ", " + p + " at " + x);
            }
          });
    }
  }

  /**
   * Every shape, accumulating (alpha 1) and not (alpha given); B row-major (as token rows are), and
   * column-major (strided along k) with A without spare rows (lda = m: at 16 and 32 rows, a block's
   * height, the blocks read A in place instead of packing it).
   */
  private static void forEachProduct(Random rnd, double alpha, Consumer<Product> check) {
    for (int m : ROWS) {
      for (int n : COLS) {
        for (int k : DEPTHS) {
          check.accept(new Product(rnd, m, n, k, false, alpha));
          check.accept(new Product(rnd, m, n, k, true, 1.0));
          check.accept(new Product(rnd, m, n, k, false, alpha, m, true));
          check.accept(new Product(rnd, m, n, k, true, 1.0, m, true));
        }
      }
    }
  }

  /** A column alone, or among others at any position; rows alone or within more rows. */
  @Test
  void anElementsBitsDependOnItsRowAndColumnOnly() {
    Random rnd = new Random(5);
    int m = 133;
    int n = 11;
    int k = 96;
    Product p = new Product(rnd, m, n, k);
    double[] all = new double[p.ldc * n];
    FixedOrderGemm.gemm(
        m, n, k, 1.0, p.a, 3, p.lda, p.b, 2, p.strideK, p.strideN, false, all, 0, p.ldc);
    for (int j0 = 0; j0 < n; j0++) {
      for (int cols = 1; j0 + cols <= n; cols += 3) {
        for (int i0 : new int[] {0, 1, 5, 8, 33, 64, 100, 129}) {
          for (int rows : new int[] {1, 4, 9, 32, 33}) {
            if (i0 + rows > m) {
              continue;
            }
            double[] part = new double[rows * cols];
            FixedOrderGemm.gemm(
                rows,
                cols,
                k,
                1.0,
                p.a,
                3 + i0,
                p.lda,
                p.b,
                2 + j0 * p.strideN,
                p.strideK,
                p.strideN,
                false,
                part,
                0,
                rows);
            for (int j = 0; j < cols; j++) {
              for (int i = 0; i < rows; i++) {
                assertEquals(
                    Double.doubleToRawLongBits(all[i0 + i + (j0 + j) * p.ldc]),
                    Double.doubleToRawLongBits(part[i + j * rows]),
                    "row " + (i0 + i) + " column " + (j0 + j) + " in " + rows + " x " + cols);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void closeToTheExactProduct() {
    Random rnd = new Random(6);
    Product p = new Product(rnd, 64, 9, 256);
    double[] c = new double[p.ldc * 9];
    FixedOrderGemm.gemm(
        64, 9, 256, 1.0, p.a, 3, p.lda, p.b, 2, p.strideK, p.strideN, false, c, 0, p.ldc);
    for (int j = 0; j < 9; j++) {
      for (int i = 0; i < 64; i++) {
        java.math.BigDecimal exact = java.math.BigDecimal.ZERO;
        double scale = 0;
        for (int q = 0; q < 256; q++) {
          double x = p.a[3 + i + q * p.lda];
          double y = p.b[2 + q * p.strideK + j * p.strideN];
          exact = exact.add(new java.math.BigDecimal(x).multiply(new java.math.BigDecimal(y)));
          scale += Math.abs(x * y);
        }
        assertEquals(exact.doubleValue(), c[i + j * p.ldc], 256 * Math.ulp(scale));
      }
    }
  }

  @Test
  void badArgumentsAreRefusedNamingThem() {
    double[] a = new double[12];
    double[] b = new double[12];
    double[] c = new double[9];
    assertEquals(
        "gemm: B (4 x 3, strides 1 and 4, from 1) reaches element 12, its buffer has 12",
        assertThrows(
                IllegalArgumentException.class,
                () -> FixedOrderGemm.gemm(3, 3, 4, 1, a, 0, 3, b, 1, 1, 4, false, c, 0, 3))
            .getMessage());
    assertEquals(
        "gemm: accumulating needs alpha = 1, got 2.0",
        assertThrows(
                IllegalArgumentException.class,
                () -> FixedOrderGemm.gemm(3, 3, 4, 2, a, 0, 3, b, 0, 1, 4, true, c, 0, 3))
            .getMessage());
    assertEquals(
        "gemm: C (3 x 3, leading dimension 3, from 1) needs 10 elements, its buffer has 9",
        assertThrows(
                IllegalArgumentException.class,
                () -> FixedOrderGemm.gemm(3, 3, 4, 1, a, 0, 3, b, 0, 1, 4, false, c, 1, 3))
            .getMessage());
    assertEquals(
        "gemm: A has 3 rows but leading dimension 2",
        assertThrows(
                IllegalArgumentException.class,
                () -> FixedOrderGemm.gemm(3, 3, 4, 1, a, 0, 2, b, 0, 1, 4, false, c, 0, 3))
            .getMessage());
  }

  @Test
  void theVectorKernelRunsInTheTests() {
    // The build's test JVMs have the Vector API module: the fast kernel is what they check.
    String name = FixedOrderGemm.implementation();
    assertTrue(name.matches("vector \\((2|4|8|16) lanes\\)"), name);
  }

  /** Random operands with offsets, padded leading dimensions and B reached column by column. */
  private static final class Product {
    final int m;
    final int n;
    final int k;
    final boolean accumulate;
    final double alpha;
    final double[] a;
    final double[] b;
    final double[] c;
    final int lda;
    final int ldc;
    final int strideK;
    final int strideN;

    Product(Random rnd, int m, int n, int k) {
      this(rnd, m, n, k, false, 1.0);
    }

    Product(Random rnd, int m, int n, int k, boolean accumulate, double alpha) {
      this(rnd, m, n, k, accumulate, alpha, m + 2, false);
    }

    /** With A's leading dimension given, and B row-major or (bColumnMajor) column-major. */
    Product(
        Random rnd,
        int m,
        int n,
        int k,
        boolean accumulate,
        double alpha,
        int lda,
        boolean bColumnMajor) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.accumulate = accumulate;
      this.alpha = alpha;
      this.lda = lda;
      ldc = m + 1;
      // B as a row-major n x k block (each column's k values contiguous), as token rows are, or
      // column-major (each row's n values contiguous).
      strideK = bColumnMajor ? n + 1 : 1;
      strideN = bColumnMajor ? 1 : k + 3;
      a = random(rnd, 3 + lda * Math.max(k, 1));
      b = random(rnd, 2 + strideN * n + strideK * k);
      c = random(rnd, 1 + ldc * n);
    }

    /** C after the product on {@code kernel}, or through {@link FixedOrderGemm#gemm} when null. */
    double[] run(FixedOrderGemm.Kernel kernel) {
      double[] out = c.clone();
      if (kernel == null) {
        FixedOrderGemm.gemm(
            m, n, k, alpha, a, 3, lda, b, 2, strideK, strideN, accumulate, out, 1, ldc);
      } else {
        kernel.gemm(m, n, k, alpha, a, 3, lda, b, 2, strideK, strideN, accumulate, out, 1, ldc);
      }
      return out;
    }

    @Override
    public String toString() {
      return "m "
          + m
          + " n "
          + n
          + " k "
          + k
          + " lda "
          + lda
          + " B strides "
          + strideK
          + ", "
          + strideN
          + (accumulate ? " accumulating" : " alpha " + alpha);
    }
  }

  private static double[] random(Random rnd, int size) {
    double[] x = new double[size];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextGaussian();
    }
    return x;
  }
}
