package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Named tolerances and the relative-error check the kernel tests share. */
public final class Tolerances {
  /**
   * Against PyTorch float64 and against the plain reference: max |a - b| / max |b|. Observed over
   * the 2724 comparisons of the golden and random-shape tests: at most 1.4e-15, and 2.1e-14 with
   * tokens of norm 60 (scores in the thousands); this leaves about 50 times that.
   */
  public static final double RELATIVE = 1e-12;

  /** Map rows sum to 1 up to this. */
  public static final double ROW_SUM = 1e-12;

  private Tolerances() {}

  /** max |actual - expected| / max(max |expected|, 1e-300). */
  public static double relativeError(double[] actual, double[] expected) {
    assertEquals(expected.length, actual.length, "length");
    double diff = 0;
    double scale = 0;
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Double.isFinite(actual[i]), () -> "non-finite value in actual");
      diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    return diff / Math.max(scale, 1e-300);
  }

  public static void assertClose(double[] actual, double[] expected, String what) {
    double err = relativeError(actual, expected);
    assertTrue(err < RELATIVE, () -> what + ": relative error " + err + " >= " + RELATIVE);
  }
}
