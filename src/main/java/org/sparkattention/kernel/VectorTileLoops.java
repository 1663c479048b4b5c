package org.sparkattention.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link TileLoops}; loaded by reflection only when the {@code
 * jdk.incubator.vector} module is present.
 */
final class VectorTileLoops implements TileLoops.Kernel {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;

  /** For what is left after the last whole vector, and where vectors do not pay. */
  private static final TileLoops.ScalarTileLoops SCALAR = new TileLoops.ScalarTileLoops();

  /** Sorting networks on 2, 4, .. 64 values ({@link #sortingNetwork}), for {@link #topFloor}. */
  private static final int[][] NETWORKS = new int[6][];

  /** 0, 1, .. one vector's lane indices. */
  private static final double[] LANES = new double[SPECIES.length()];

  static {
    for (int i = 0; i < LANES.length; i++) {
      LANES[i] = i;
    }
    for (int i = 0; i < NETWORKS.length; i++) {
      NETWORKS[i] = sortingNetwork(2 << i);
    }
  }

  @Override
  public double expShifted(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    DoubleVector acc = DoubleVector.zero(SPECIES);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector p =
          DoubleVector.fromArray(SPECIES, src, srcOff + i).sub(shift).lanewise(VectorOperators.EXP);
      p.intoArray(dst, dstOff + i);
      acc = acc.add(p);
    }
    double sum = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double p = Math.exp(src[srcOff + i] - shift);
      dst[dstOff + i] = p;
      sum += p;
    }
    return sum;
  }

  /**
   * Apart from the exp: its intrinsic is a call, around which live vectors are spilled. Each lane
   * keeps its own first largest score and where it was (as its distance, exact in a double); the
   * lanes' largest, at the least distance, is the row's first largest. (Separate scans for the
   * largest score cost 3.5 ms of an L = 1024 sequence's 6.6 ms of summaries, `--map-cost`.)
   */
  @Override
  public int momentsReplacingScores(
      double[] s, int sOff, double[] p, int pOff, int n, int distance0, double[] sums, int at) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    DoubleVector scoreAcc = DoubleVector.zero(SPECIES);
    DoubleVector distanceAcc = DoubleVector.zero(SPECIES);
    DoubleVector distance = DoubleVector.fromArray(SPECIES, LANES, 0).add(distance0);
    DoubleVector max = DoubleVector.broadcast(SPECIES, sums[at + 2]);
    DoubleVector maxDistance = DoubleVector.broadcast(SPECIES, Double.POSITIVE_INFINITY);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector score = DoubleVector.fromArray(SPECIES, s, sOff + i);
      DoubleVector weight = DoubleVector.fromArray(SPECIES, p, pOff + i);
      // A masked score's p is 0, and 0 x -infinity would be NaN.
      DoubleVector visible =
          score.blend(0.0, score.compare(VectorOperators.EQ, Double.NEGATIVE_INFINITY));
      scoreAcc = weight.fma(visible, scoreAcc);
      distanceAcc = weight.fma(distance.abs(), distanceAcc);
      VectorMask<Double> above = score.compare(VectorOperators.GT, max);
      max = max.blend(score, above);
      maxDistance = maxDistance.blend(distance, above);
      distance = distance.add(SPECIES.length());
      weight.intoArray(s, sOff + i);
    }
    sums[at] += scoreAcc.reduceLanes(VectorOperators.ADD);
    sums[at + 1] += distanceAcc.reduceLanes(VectorOperators.ADD);
    int first = -1;
    double largest = max.reduceLanes(VectorOperators.MAX);
    if (largest > sums[at + 2]) {
      // Lanes that never rose keep an infinite distance; -0.0 and 0.0 tie, as in the scalar loop.
      VectorMask<Double> atLargest = max.compare(VectorOperators.EQ, largest);
      double least =
          maxDistance
              .blend(Double.POSITIVE_INFINITY, atLargest.not())
              .reduceLanes(VectorOperators.MIN);
      first = (int) (least - distance0);
      sums[at + 2] = largest;
    }
    int tail =
        SCALAR.momentsReplacingScores(s, sOff + i, p, pOff + i, n - i, distance0 + i, sums, at);
    return tail >= 0 ? i + tail : first;
  }

  @Override
  public void expShiftedAdd(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    for (; i < bound; i += SPECIES.length()) {
      DoubleVector p =
          DoubleVector.fromArray(SPECIES, src, srcOff + i).sub(shift).lanewise(VectorOperators.EXP);
      p.add(DoubleVector.fromArray(SPECIES, dst, dstOff + i)).intoArray(dst, dstOff + i);
    }
    for (; i < n; i++) {
      dst[dstOff + i] += Math.exp(src[srcOff + i] - shift);
    }
  }

  @Override
  public double max(double[] a, int off, int n) {
    int i = 0;
    int bound = SPECIES.loopBound(n);
    double m = Double.NEGATIVE_INFINITY;
    if (bound > 0) {
      DoubleVector acc = DoubleVector.broadcast(SPECIES, Double.NEGATIVE_INFINITY);
      for (; i < bound; i += SPECIES.length()) {
        acc = acc.max(DoubleVector.fromArray(SPECIES, a, off + i));
      }
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) {
      m = Math.max(m, a[off + i]);
    }
    return m;
  }

  /**
   * Four vectors at a time, their comparisons with x joined into one test: most runs of a score row
   * lie below x (the top K's entry score), so the scalar loop only looks inside a block that does
   * not. About twice as fast as a lanewise max reduced per block (Java's max is not one
   * instruction) and as eight scalar comparisons per branch. A run that ends inside a block tests
   * the run's last block instead, overlapping what already passed (below x): the top K's scan
   * restarts after every key it keeps, and a scalar tail after each restart cost a third of it.
   */
  @Override
  public int firstAtLeast(double[] a, int off, int n, double x) {
    int block = 4 * SPECIES.length();
    int i = 0;
    for (; i + block <= n; i += block) {
      if (anyAtLeast(a, off + i, x)) {
        return i + SCALAR.firstAtLeast(a, off + i, block, x);
      }
    }
    if (i == n || n < block) {
      return i + SCALAR.firstAtLeast(a, off + i, n - i, x);
    }
    int last = n - block;
    return anyAtLeast(a, off + last, x) ? last + SCALAR.firstAtLeast(a, off + last, block, x) : n;
  }

  /** Whether one of the four vectors from a[at] reaches x. */
  private static boolean anyAtLeast(double[] a, int at, double x) {
    int lanes = SPECIES.length();
    VectorMask<Double> any =
        DoubleVector.fromArray(SPECIES, a, at)
            .compare(VectorOperators.GE, x)
            .or(DoubleVector.fromArray(SPECIES, a, at + lanes).compare(VectorOperators.GE, x))
            .or(DoubleVector.fromArray(SPECIES, a, at + 2 * lanes).compare(VectorOperators.GE, x))
            .or(DoubleVector.fromArray(SPECIES, a, at + 3 * lanes).compare(VectorOperators.GE, x));
    return any.anyTrue();
  }

  /**
   * Lanewise maxima of interleaved vectors: group g takes vectors g, g + groups, .. of the run, so
   * each lane of a group's maximum is the largest of its own strided subset, with no reduction
   * across lanes. The k-th largest of them comes from a sorting network (padded with -infinity to a
   * power of two): fresh maxima sorted by {@link Arrays#sort} mispredict most of their branches
   * (the sort was 270 ns of an L = 1024 row's 1.7 us top-k scan, the network is 80).
   */
  @Override
  public double topFloor(double[] a, int off, int n, int k, double[] scratch) {
    int lanes = SPECIES.length();
    int maxima = maxima(k);
    int groups = maxima / lanes;
    int vectors = n / lanes;
    if (vectors < groups) {
      return SCALAR.topFloor(a, off, n, k, scratch);
    }
    for (int g = 0; g < groups; g++) {
      DoubleVector m = DoubleVector.fromArray(SPECIES, a, off + g * lanes);
      for (int v = g + groups; v < vectors; v += groups) {
        m = m.max(DoubleVector.fromArray(SPECIES, a, off + v * lanes));
      }
      m.intoArray(scratch, g * lanes);
    }
    int padded = padded(maxima);
    if (padded > 1 << NETWORKS.length) {
      Arrays.sort(scratch, 0, maxima);
      return scratch[maxima - k];
    }
    Arrays.fill(scratch, maxima, padded, Double.NEGATIVE_INFINITY);
    int[] network = NETWORKS[Integer.numberOfTrailingZeros(padded) - 1];
    for (int c = 0; c < network.length; c += 2) {
      double x = scratch[network[c]];
      double y = scratch[network[c + 1]];
      scratch[network[c]] = Math.min(x, y);
      scratch[network[c + 1]] = Math.max(x, y);
    }
    return scratch[padded - k];
  }

  @Override
  public int floorScratch(int k) {
    return Math.max(2 * k, padded(maxima(k)));
  }

  /** Subset maxima {@link #topFloor} takes for k: at least 2k, whole vectors. */
  private static int maxima(int k) {
    int lanes = SPECIES.length();
    return (2 * k + lanes - 1) / lanes * lanes;
  }

  /** The power of two a sorting network on {@code maxima} values works on. */
  private static int padded(int maxima) {
    return Integer.highestOneBit(maxima - 1) << 1;
  }

  /**
   * Batcher's odd-even merge sort on n values, n a power of two: pairs (lower, upper) of positions
   * to order, in turn.
   */
  static int[] sortingNetwork(int n) {
    List<Integer> pairs = new ArrayList<>();
    for (int p = 1; p < n; p <<= 1) {
      for (int k = p; k >= 1; k >>= 1) {
        for (int j = k % p; j + k < n; j += 2 * k) {
          for (int i = 0; i < Math.min(k, n - j - k); i++) {
            if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
              pairs.add(i + j);
              pairs.add(i + j + k);
            }
          }
        }
      }
    }
    return pairs.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public String name() {
    return "vector";
  }
}
