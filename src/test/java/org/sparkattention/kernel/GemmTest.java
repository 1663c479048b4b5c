package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checked gemm against the formula computed by loops, every transpose, offsets and padding. */
class GemmTest {
  @Test
  void matchesTheFormulaForEveryTranspose() {
    Random rnd = new Random(2);
    int m = 5;
    int n = 3;
    int k = 4;
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        int lda = (ta ? k : m) + 2;
        int ldb = (tb ? n : k) + 1;
        int ldc = m + 3;
        double[] a = random(rnd, 7 + lda * (ta ? m : k));
        double[] b = random(rnd, 5 + ldb * (tb ? k : n));
        double[] c = random(rnd, 2 + ldc * n);
        double[] expected = c.clone();
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            double sum = 0;
            for (int p = 0; p < k; p++) {
              double aip = ta ? a[7 + p + i * lda] : a[7 + i + p * lda];
              double bpj = tb ? b[5 + j + p * ldb] : b[5 + p + j * ldb];
              sum += aip * bpj;
            }
            expected[2 + i + j * ldc] = 0.5 * sum + 2.0 * c[2 + i + j * ldc];
          }
        }
        Gemm.gemm(ta, tb, m, n, k, 0.5, a, 7, lda, b, 5, ldb, 2.0, c, 2, ldc);
        for (int x = 0; x < c.length; x++) {
          assertEquals(expected[x], c[x], 1e-12, "ta " + ta + " tb " + tb + " at " + x);
        }
      }
    }
  }

  @Test
  void aSliceOutsideItsBufferIsRefusedNamingIt() {
    double[] a = new double[12];
    double[] b = new double[12];
    double[] c = new double[8];
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gemm.gemm(false, false, 3, 3, 4, 1, a, 0, 3, b, 0, 4, 0, c, 0, 3));
    assertEquals(
        "gemm: C (3 x 3, leading dimension 3, from 0) needs 9 elements, its buffer has 8",
        e.getMessage());
    assertEquals(
        "gemm: A has 3 rows but leading dimension 2",
        assertThrows(
                IllegalArgumentException.class,
                () -> Gemm.gemm(false, false, 3, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 3))
            .getMessage());
  }

  private static double[] random(Random rnd, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }
}
