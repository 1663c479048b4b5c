package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both exp implementations against Math.exp, on lengths that end at a fraction of a vector. */
class ExpFunctionsTest {
  /** Vector EXP is within a few ulps of Math.exp; the sums add such values. */
  private static final double EXP_RELATIVE = 1e-14;

  @Test
  void testsRunWithTheVectorImplementation() {
    // Surefire's argLine adds jdk.incubator.vector: the fast path is what the tests exercise.
    assertEquals("vector", ExpFunctions.implementation());
  }

  @Test
  void vectorAndScalarAgreeWithMathExp() {
    Random rnd = new Random(17);
    ExpFunctions.Kernel[] impls = {new VectorExp(), new ExpFunctions.ScalarExp()};
    for (int n = 0; n < 40; n++) {
      double[] src = new double[n + 3];
      for (int i = 0; i < src.length; i++) {
        src[i] = rnd.nextInt(5) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextGaussian() * 30;
      }
      double shift = rnd.nextGaussian();
      for (ExpFunctions.Kernel impl : impls) {
        double[] dst = new double[n + 5];
        double sum = impl.expShifted(src, 3, dst, 2, n, shift);
        double expectedSum = 0;
        double expectedMax = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
          double expected = Math.exp(src[3 + i] - shift);
          assertEquals(expected, dst[2 + i], expected * EXP_RELATIVE, impl.name() + " exp");
          expectedSum += expected;
          expectedMax = Math.max(expectedMax, src[3 + i]);
        }
        assertEquals(expectedSum, sum, expectedSum * EXP_RELATIVE, impl.name() + " sum");
        assertEquals(expectedMax, impl.max(src, 3, n), 0.0, impl.name() + " max");
      }
    }
  }
}
