package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Written values are float: they must equal PyTorch's float64 result rounded to float, up to one
 * float ulp (the job's float64 result and PyTorch's differ by ~1e-15, which can cross a rounding
 * boundary), plus 1e-12 of the largest value for results that are themselves ~0.
 */
final class FloatTolerance {
  private FloatTolerance() {}

  static void assertMatches(float[][] written, double[] expectedRowMajor, String what) {
    int cols = written.length == 0 ? 0 : written[0].length;
    assertEquals(expectedRowMajor.length, written.length * cols, what + ": size");
    double maxAbs = 0;
    for (double v : expectedRowMajor) {
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    for (int i = 0; i < written.length; i++) {
      for (int j = 0; j < cols; j++) {
        double e = expectedRowMajor[i * cols + j];
        float w = written[i][j];
        double tol = Math.ulp((float) e) + 1e-12 * maxAbs;
        if (!(Math.abs(w - e) <= tol)) {
          fail(what + " [" + i + "][" + j + "]: written " + w + ", PyTorch " + e + ", tol " + tol);
        }
      }
    }
  }
}
