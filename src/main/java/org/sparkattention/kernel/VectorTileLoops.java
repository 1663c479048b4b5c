package org.sparkattention.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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

  /**
   * Vectors in a run of {@link #atLeast}: four, unless their lanes' bits would not fit a long
   * (vectors wider than 1024 bits).
   */
  private static final int RUN_VECTORS = 4 * SPECIES.length() <= 64 ? 4 : 1;

  /** Lane i of a run's vectors, in turn: the double whose bits are the long 1 << i. */
  private static final DoubleVector[] RUN_BITS = runBits();

  private static final DoubleVector BITS0 = RUN_BITS[0];
  private static final DoubleVector BITS1 = RUN_BITS[RUN_VECTORS > 1 ? 1 : 0];
  private static final DoubleVector BITS2 = RUN_BITS[RUN_VECTORS > 1 ? 2 : 0];
  private static final DoubleVector BITS3 = RUN_BITS[RUN_VECTORS > 1 ? 3 : 0];
  private static final DoubleVector ZERO = DoubleVector.zero(SPECIES);

  /** Lane i takes lane i - 1 (lane 0 the last): a vector of top-K slots moved down one. */
  private static final VectorShuffle<Double> DOWN_ONE = VectorShuffle.iota(SPECIES, -1, 1, true);

  private static final VectorMask<Double> LANE0 = VectorMask.fromLong(SPECIES, 1L);

  /**
   * For each 8 bits of a run, the positions of the set ones from the lowest (the rest 0): {@code
   * SET_BITS[8 b .. 8 b + bitCount(b))}.
   */
  private static final int[] SET_BITS = new int[256 * 8];

  /** Eight positions at a time, as one vector where a vector holds eight ints. */
  private static final VectorSpecies<Integer> EIGHT = IntVector.SPECIES_256;

  private static final boolean INDEX_VECTORS =
      IntVector.SPECIES_PREFERRED.vectorBitSize() >= EIGHT.vectorBitSize();

  private static final VectorShuffle<Double> REVERSE =
      VectorShuffle.iota(SPECIES, SPECIES.length() - 1, -1, true);

  /** Stages of a bitonic sort of one vector's lanes; the last MERGE_STAGES merge a bitonic one. */
  private static final int MERGE_STAGES = Integer.numberOfTrailingZeros(SPECIES.length());

  private static final int SORT_STAGES = MERGE_STAGES * (MERGE_STAGES + 1) / 2;

  /** Per stage: the lane each lane meets, and the lanes that keep the larger of the two. */
  @SuppressWarnings("unchecked")
  private static final VectorShuffle<Double>[] STAGE_PARTNER = new VectorShuffle[SORT_STAGES];

  @SuppressWarnings("unchecked")
  private static final VectorMask<Double>[] STAGE_TAKES_MAX = new VectorMask[SORT_STAGES];

  /** 0, 1, .. one vector's lane indices. */
  private static final double[] LANES = new double[SPECIES.length()];

  static {
    for (int i = 0; i < LANES.length; i++) {
      LANES[i] = i;
    }
    for (int i = 0; i < NETWORKS.length; i++) {
      NETWORKS[i] = sortingNetwork(2 << i);
    }
    int lanes = SPECIES.length();
    int stage = 0;
    for (int size = 2; size <= lanes; size <<= 1) {
      for (int stride = size / 2; stride >= 1; stride >>= 1, stage++) {
        int[] partner = new int[lanes];
        boolean[] takesMax = new boolean[lanes];
        for (int i = 0; i < lanes; i++) {
          partner[i] = i ^ stride;
          boolean lower = (i & stride) == 0;
          boolean ascending = (i & size) == 0 || size == lanes;
          takesMax[i] = lower != ascending;
        }
        STAGE_PARTNER[stage] = VectorShuffle.fromArray(SPECIES, partner, 0);
        STAGE_TAKES_MAX[stage] = VectorMask.fromArray(SPECIES, takesMax, 0);
      }
    }
    for (int b = 0; b < 256; b++) {
      int c = 0;
      for (int i = 0; i < 8; i++) {
        if ((b & 1 << i) != 0) {
          SET_BITS[8 * b + c++] = i;
        }
      }
    }
  }

  private static DoubleVector[] runBits() {
    int lanes = SPECIES.length();
    DoubleVector[] bits = new DoubleVector[RUN_VECTORS];
    double[] laneBits = new double[lanes];
    for (int v = 0; v < RUN_VECTORS; v++) {
      for (int i = 0; i < lanes; i++) {
        laneBits[i] = Double.longBitsToDouble(1L << (v * lanes + i));
      }
      bits[v] = DoubleVector.fromArray(SPECIES, laneBits, 0);
    }
    return bits;
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

  /** Whole vectors: the top k and the next entries up to a vector's end. */
  @Override
  public int topSlots(int k) {
    return (k + SPECIES.length() - 1) / SPECIES.length() * SPECIES.length();
  }

  /**
   * {@link #atLeast} a run at a time names the values that may enter, listed by their positions
   * ({@link #SET_BITS}, a few vector moves per run instead of a loop over its bits, whose exit
   * mispredicted), and the list enters at the end of the tile row, or once it holds {@link
   * #enterAt} values so that the entry score rises. A listed value that has fallen below the risen
   * entry score changes nothing: it ranks below the k-th. {@code --topk-scan}: 9.8 to 10.1 against
   * 11.2 ms a sequence entering the values of each run at once.
   */
  @Override
  public void offerTop(
      double[] a,
      int off,
      int n,
      int key0,
      double floor,
      double[] scores,
      double[] keys,
      int slot,
      int slots,
      int k,
      int[] found) {
    int run = RUN_VECTORS * SPECIES.length();
    int last = slot + k - 1;
    int enterAt = enterAt(k);
    double entry = Math.max(floor, Math.nextUp(scores[last]));
    int count = 0;
    for (int j = 0; j < n; j += run) {
      long bits = atLeast(a, off + j, Math.min(run, n - j), entry);
      if (bits != 0) {
        for (int b = 0; b < run; b += 8) {
          count = listSetBits((int) (bits >>> b) & 0xFF, j + b, found, count, INDEX_VECTORS);
        }
        if (count >= enterAt) {
          enter(a, off, key0, found, count, scores, keys, slot, slots);
          count = 0;
          entry = Math.max(floor, Math.nextUp(scores[last]));
        }
      }
    }
    enter(a, off, key0, found, count, scores, keys, slot, slots);
  }

  /**
   * Lists the positions {@code base + i} of the set bits i of {@code eight} (8 bits) at {@code
   * found[count ..]}, writing 8 ints, with one vector move or a loop; returns the new count.
   */
  static int listSetBits(int eight, int base, int[] found, int count, boolean vectors) {
    if (vectors) {
      IntVector.fromArray(EIGHT, SET_BITS, 8 * eight).add(base).intoArray(found, count);
    } else {
      for (int i = 0; i < 8; i++) {
        found[count + i] = SET_BITS[8 * eight + i] + base;
      }
    }
    return count + Integer.bitCount(eight);
  }

  /** Values listed before they enter: enough that a tile row's few usually enter at once. */
  private static int enterAt(int k) {
    return Math.max(k, 16);
  }

  @Override
  public int offerScratch(int k) {
    // A run's values and 8 positions written past the last.
    return enterAt(k) + RUN_VECTORS * SPECIES.length() + 8;
  }

  /**
   * Enters values {@code found[0 .. count)} (positions in a, in increasing order) into the top,
   * each without a branch on the scores, a vector of slots at a time from the last: slot j keeps
   * its entry when that reaches s, takes s when slot j - 1's entry does (or j is the first), else
   * slot j - 1's entry.
   */
  private static void enter(
      double[] a,
      int off,
      int key0,
      int[] found,
      int count,
      double[] scores,
      double[] keys,
      int slot,
      int slots) {
    int lanes = SPECIES.length();
    if (slots == lanes) {
      // One vector of slots, kept in registers from value to value.
      DoubleVector kept = DoubleVector.fromArray(SPECIES, scores, slot);
      DoubleVector keptKeys = DoubleVector.fromArray(SPECIES, keys, slot);
      for (int f = 0; f < count; f++) {
        int c = found[f];
        double s = a[off + c];
        double key = key0 + c;
        DoubleVector above = kept.rearrange(DOWN_ONE).blend(Double.POSITIVE_INFINITY, LANE0);
        VectorMask<Double> stays = kept.compare(VectorOperators.GE, s);
        VectorMask<Double> aboveReaches = above.compare(VectorOperators.GE, s);
        DoubleVector aboveKeys = keptKeys.rearrange(DOWN_ONE);
        kept = above.blend(s, aboveReaches).blend(kept, stays);
        keptKeys = aboveKeys.blend(key, aboveReaches).blend(keptKeys, stays);
      }
      kept.intoArray(scores, slot);
      keptKeys.intoArray(keys, slot);
      return;
    }
    if (slots == 2 * lanes) {
      // Two vectors, as K = 8 in 4 lanes: the second's lane 0 takes the first's last lane.
      DoubleVector kept0 = DoubleVector.fromArray(SPECIES, scores, slot);
      DoubleVector keys0 = DoubleVector.fromArray(SPECIES, keys, slot);
      DoubleVector kept1 = DoubleVector.fromArray(SPECIES, scores, slot + lanes);
      DoubleVector keys1 = DoubleVector.fromArray(SPECIES, keys, slot + lanes);
      for (int f = 0; f < count; f++) {
        int c = found[f];
        double s = a[off + c];
        double key = key0 + c;
        DoubleVector down0 = kept0.rearrange(DOWN_ONE);
        DoubleVector downKeys0 = keys0.rearrange(DOWN_ONE);
        DoubleVector above0 = down0.blend(Double.POSITIVE_INFINITY, LANE0);
        DoubleVector above1 = kept1.rearrange(DOWN_ONE).blend(down0, LANE0);
        DoubleVector aboveKeys1 = keys1.rearrange(DOWN_ONE).blend(downKeys0, LANE0);
        VectorMask<Double> stays0 = kept0.compare(VectorOperators.GE, s);
        VectorMask<Double> stays1 = kept1.compare(VectorOperators.GE, s);
        VectorMask<Double> reaches0 = above0.compare(VectorOperators.GE, s);
        VectorMask<Double> reaches1 = above1.compare(VectorOperators.GE, s);
        kept1 = above1.blend(s, reaches1).blend(kept1, stays1);
        keys1 = aboveKeys1.blend(key, reaches1).blend(keys1, stays1);
        kept0 = above0.blend(s, reaches0).blend(kept0, stays0);
        keys0 = downKeys0.blend(key, reaches0).blend(keys0, stays0);
      }
      kept0.intoArray(scores, slot);
      keys0.intoArray(keys, slot);
      kept1.intoArray(scores, slot + lanes);
      keys1.intoArray(keys, slot + lanes);
      return;
    }
    for (int f = 0; f < count; f++) {
      int c = found[f];
      double s = a[off + c];
      double key = key0 + c;
      for (int v = slot + slots - lanes; v >= slot; v -= lanes) {
        DoubleVector kept = DoubleVector.fromArray(SPECIES, scores, v);
        DoubleVector keptKeys = DoubleVector.fromArray(SPECIES, keys, v);
        double before = v == slot ? Double.POSITIVE_INFINITY : scores[v - 1];
        double keyBefore = v == slot ? key : keys[v - 1];
        DoubleVector above = kept.rearrange(DOWN_ONE).blend(before, LANE0);
        DoubleVector aboveKeys = keptKeys.rearrange(DOWN_ONE).blend(keyBefore, LANE0);
        VectorMask<Double> stays = kept.compare(VectorOperators.GE, s);
        VectorMask<Double> aboveReaches = above.compare(VectorOperators.GE, s);
        above.blend(s, aboveReaches).blend(kept, stays).intoArray(scores, v);
        aboveKeys.blend(key, aboveReaches).blend(keptKeys, stays).intoArray(keys, v);
      }
    }
  }

  @Override
  public int atLeastRun() {
    return RUN_VECTORS * SPECIES.length();
  }

  /**
   * Four vectors at a time, their comparisons with x joined into one test: most runs of a score row
   * lie below x (the top K's entry score). A run that has some turns its masks into bits, without a
   * scalar search for the lane and a restart of the scan after each key kept: each lane blends in
   * its bit ({@link #RUN_BITS}) and the lanes are OR-ed as longs, a reduction in a tree, where a
   * sum of doubles (powers of two, before) adds the lanes one after the other: {@code --topk-scan}
   * 7.85 to 7.99 against 8.12 to 8.25 ms at L = 1024. (Java 17 has no intrinsic for {@code
   * VectorMask.toLong}, which was slower still.)
   */
  @Override
  public long atLeast(double[] a, int off, int n, double x) {
    int lanes = SPECIES.length();
    if (n < RUN_VECTORS * lanes) {
      return SCALAR.atLeast(a, off, n, x); // a row's last values, past its whole runs
    }
    VectorMask<Double> m0 = DoubleVector.fromArray(SPECIES, a, off).compare(VectorOperators.GE, x);
    if (RUN_VECTORS == 1) {
      return m0.anyTrue()
          ? ZERO.blend(BITS0, m0).reinterpretAsLongs().reduceLanes(VectorOperators.OR)
          : 0;
    }
    VectorMask<Double> m1 =
        DoubleVector.fromArray(SPECIES, a, off + lanes).compare(VectorOperators.GE, x);
    VectorMask<Double> m2 =
        DoubleVector.fromArray(SPECIES, a, off + 2 * lanes).compare(VectorOperators.GE, x);
    VectorMask<Double> m3 =
        DoubleVector.fromArray(SPECIES, a, off + 3 * lanes).compare(VectorOperators.GE, x);
    if (!m0.or(m1).or(m2).or(m3).anyTrue()) {
      return 0;
    }
    return ZERO.blend(BITS0, m0)
        .reinterpretAsLongs()
        .or(ZERO.blend(BITS1, m1).reinterpretAsLongs())
        .or(
            ZERO.blend(BITS2, m2)
                .reinterpretAsLongs()
                .or(ZERO.blend(BITS3, m3).reinterpretAsLongs()))
        .reduceLanes(VectorOperators.OR);
  }

  /**
   * Lanewise maxima of interleaved vectors: group g takes vectors g, g + groups, .. of the run, so
   * each lane of a group's maximum is the largest of its own strided subset, with no reduction
   * across lanes. The k-th largest of them comes from a sorting network (padded with -infinity to a
   * power of two): fresh maxima sorted by {@link Arrays#sort} mispredict most of their branches
   * (the sort was 270 ns of an L = 1024 row's 1.7 us top-k scan, the network is 80). For k up to a
   * vector's lanes, two groups, sorted in the registers ({@link #registerFloor}).
   */
  @Override
  public double topFloor(double[] a, int off, int n, int k, double[] scratch) {
    int lanes = SPECIES.length();
    int vectors = n / lanes;
    if (k <= lanes && vectors >= 2) {
      return registerFloor(a, off, vectors, k);
    }
    int maxima = maxima(k);
    int groups = maxima / lanes;
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

  /**
   * The k-th largest of two vectors of strided maxima (even and odd vectors), k at most a vector's
   * lanes, without leaving the registers: both sorted by a bitonic network, the lanewise larger of
   * one and the other reversed are the top half of the two (a bitonic sequence), which one more
   * merge sorts. 122 against 290 ns for a row of 256 in L2 with the scalar network ({@link
   * #sortingNetwork}), whose loads and stores of each pair were the cost.
   */
  private static double registerFloor(double[] a, int off, int vectors, int k) {
    int lanes = SPECIES.length();
    DoubleVector m0 = DoubleVector.fromArray(SPECIES, a, off);
    DoubleVector m1 = DoubleVector.fromArray(SPECIES, a, off + lanes);
    for (int v = 2; v + 1 < vectors; v += 2) {
      m0 = m0.max(DoubleVector.fromArray(SPECIES, a, off + v * lanes));
      m1 = m1.max(DoubleVector.fromArray(SPECIES, a, off + (v + 1) * lanes));
    }
    if ((vectors & 1) != 0) {
      m0 = m0.max(DoubleVector.fromArray(SPECIES, a, off + (vectors - 1) * lanes));
    }
    DoubleVector top = sortAscending(m0, 0).max(sortAscending(m1, 0).rearrange(REVERSE));
    return k == lanes
        ? top.reduceLanes(VectorOperators.MIN)
        : sortAscending(top, SORT_STAGES - MERGE_STAGES).lane(lanes - k);
  }

  /** Bitonic stages from {@code first} on: lane i meets lane i ^ stride and keeps min or max. */
  private static DoubleVector sortAscending(DoubleVector v, int first) {
    for (int st = first; st < SORT_STAGES; st++) {
      DoubleVector partner = v.rearrange(STAGE_PARTNER[st]);
      v = v.min(partner).blend(v.max(partner), STAGE_TAKES_MAX[st]);
    }
    return v;
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

  /** Doubles in one vector. */
  static int lanes() {
    return SPECIES.length();
  }

  @Override
  public String name() {
    return "vector";
  }
}
