package org.sparkattention.kernel;

import java.util.Arrays;

/**
 * Arrays of exactly the size asked for, reused from call to call: MLlib's {@code DenseMatrix} takes
 * a values array only of exactly rows x cols, so a buffer cannot simply grow. The last array of
 * each small size is kept, up to a budget: short sequences of varying lengths otherwise allocate a
 * fresh array per sequence (6.6 GB of a 17.5 GB run of 30,000 sequences of L 4..48, E 128, for the
 * decoded inputs and the outputs). Of the sizes above {@link #SMALL}, only the last one is kept. An
 * array is valid until the next {@link #take} of its size. Not thread-safe.
 */
public final class ExactSizeArrays {
  /** Sizes up to this (64 KB of doubles) are kept one array per size. */
  static final int SMALL = 8192;

  /** Doubles kept in small arrays at most (4 MB): past it the small ones are dropped. */
  static final long SMALL_BUDGET = 1 << 19;

  private final double[][] small = new double[SMALL + 1][];
  private long smallDoubles;
  private double[] large = new double[0];

  /** An array of {@code size} values; its contents are overwritten by its user. */
  public double[] take(int size) {
    if (size > SMALL) {
      if (large.length != size) {
        large = new double[size];
      }
      return large;
    }
    double[] kept = small[size];
    if (kept == null) {
      if (smallDoubles + size > SMALL_BUDGET) {
        Arrays.fill(small, null);
        smallDoubles = 0;
      }
      kept = new double[size];
      small[size] = kept;
      smallDoubles += size;
    }
    return kept;
  }

  /** Doubles held in kept arrays. */
  public long keptDoubles() {
    return smallDoubles + large.length;
  }
}
