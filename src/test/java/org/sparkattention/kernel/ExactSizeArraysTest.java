package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ExactSizeArraysTest {
  @Test
  void smallArraysAreKeptPerSizeWithinTheBudget() {
    ExactSizeArrays arrays = new ExactSizeArrays();
    double[] four = arrays.take(4);
    double[] five = arrays.take(5);
    assertEquals(4, four.length);
    assertEquals(5, five.length);
    assertSame(four, arrays.take(4));
    assertSame(five, arrays.take(5));
    assertEquals(9, arrays.keptDoubles());
    // Filling the budget with other sizes drops the kept ones, then starts keeping again.
    long kept = 9;
    int size = ExactSizeArrays.SMALL;
    while (kept + size <= ExactSizeArrays.SMALL_BUDGET) {
      arrays.take(size);
      kept += size;
      size--;
    }
    assertEquals(kept, arrays.keptDoubles());
    assertSame(four, arrays.take(4));
    double[] over = arrays.take(size);
    assertEquals(size, arrays.keptDoubles());
    assertNotSame(four, arrays.take(4));
    assertSame(over, arrays.take(size));
  }

  @Test
  void onlyTheLastLargeArrayIsKept() {
    ExactSizeArrays arrays = new ExactSizeArrays();
    int large = ExactSizeArrays.SMALL + 1;
    double[] first = arrays.take(large);
    assertSame(first, arrays.take(large));
    double[] other = arrays.take(large + 7);
    assertEquals(large + 7, other.length);
    assertNotSame(first, arrays.take(large));
    assertEquals(large, arrays.keptDoubles());
  }
}
