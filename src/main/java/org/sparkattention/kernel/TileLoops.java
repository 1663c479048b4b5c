package org.sparkattention.kernel;

import java.util.Arrays;

/**
 * The loops over contiguous runs of a score tile: the softmax's exp (one per query-key pair, as
 * many as the FLOPs of a head-width dot product) and the scans the per-query statistics add to it.
 * Uses the Vector API (lanewise EXP is an intrinsic, about 4x faster than {@link Math#exp} here)
 * when the JVM runs with {@code --add-modules jdk.incubator.vector}, plain loops otherwise.
 */
final class TileLoops {
  private static final Kernel IMPL = choose();

  interface Kernel {
    /** dst[dstOff + i] = exp(src[srcOff + i] - shift) for i < n; returns their sum. */
    double expShifted(double[] src, int srcOff, double[] dst, int dstOff, int n, double shift);

    /**
     * A row's running statistics {@code sums[at .. at + 3)}, with {@code s_i = s[sOff + i]} and
     * {@code p_i = p[pOff + i]} for i < n: adds {@code sum p_i s_i} to {@code sums[at]} (a masked
     * score, -infinity, whose p is 0, counts as 0) and {@code sum p_i |distance0 + i|} to {@code
     * sums[at + 1]}, and raises the largest score so far, {@code sums[at + 2]}, to the largest s_i
     * when that is above it. p_i then replaces s_i: one pass, without a copy of either.
     *
     * @return the first i whose s_i became the largest score, or -1 when none is above it
     */
    int momentsReplacingScores(
        double[] s, int sOff, double[] p, int pOff, int n, int distance0, double[] sums, int at);

    /** dst[dstOff + i] += exp(src[srcOff + i] - shift) for i < n. */
    void expShiftedAdd(double[] src, int srcOff, double[] dst, int dstOff, int n, double shift);

    /** max of a[off .. off + n), -infinity when empty. */
    double max(double[] a, int off, int n);

    /** How many values {@link #atLeast} tests at once at most: at most 52. */
    int atLeastRun();

    /**
     * Which of {@code a[off .. off + n)} reach x, {@code n <= atLeastRun()}: bit i for {@code a[off
     * + i] >= x}; 0 (at once, for a whole run) when none does.
     */
    long atLeast(double[] a, int off, int n, double x);

    /**
     * A floor for the k largest of a[off .. off + n), {@code n >= 8 k}: a value that at least k of
     * them reach (the k-th largest of the maxima of disjoint subsets), in {@code scratch} of {@link
     * #floorScratch} values.
     */
    double topFloor(double[] a, int off, int n, int k, double[] scratch);

    /** Room {@link #topFloor} needs for k. */
    int floorScratch(int k);

    /**
     * Slots a top k is kept in ({@link #offerTop}): k or more, the ones past k holding entries that
     * left it.
     */
    int topSlots(int k);

    /**
     * Enters into a top k the values of {@code a[off .. off + n)} that rank in it, value i as key
     * {@code key0 + i}. The top is kept in rank order in {@code scores[slot .. slot + slots)}
     * (highest first, -infinity in a free slot) with its {@code keys} (as doubles); keys come in
     * increasing order, so a value that ties a kept one ranks below it, and one that ties the k-th
     * does not enter. Values below {@code floor} are known not to rank (the caller's floor for the
     * values' own top k, or -infinity). {@code found} is scratch of {@link #offerScratch} ints.
     */
    void offerTop(
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
        int[] found);

    /** Room {@link #offerTop} needs for k. */
    int offerScratch(int k);

    String name();
  }

  private TileLoops() {}

  static double expShifted(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    return IMPL.expShifted(src, srcOff, dst, dstOff, n, shift);
  }

  static int momentsReplacingScores(
      double[] s, int sOff, double[] p, int pOff, int n, int distance0, double[] sums, int at) {
    return IMPL.momentsReplacingScores(s, sOff, p, pOff, n, distance0, sums, at);
  }

  static void expShiftedAdd(
      double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
    IMPL.expShiftedAdd(src, srcOff, dst, dstOff, n, shift);
  }

  static double max(double[] a, int off, int n) {
    return IMPL.max(a, off, n);
  }

  static double topFloor(double[] a, int off, int n, int k, double[] scratch) {
    return IMPL.topFloor(a, off, n, k, scratch);
  }

  static int floorScratch(int k) {
    return IMPL.floorScratch(k);
  }

  static int topSlots(int k) {
    return IMPL.topSlots(k);
  }

  static void offerTop(
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
    IMPL.offerTop(a, off, n, key0, floor, scores, keys, slot, slots, k, found);
  }

  static int offerScratch(int k) {
    return IMPL.offerScratch(k);
  }

  /** "vector" or "scalar": which implementation this JVM uses. */
  static String implementation() {
    return IMPL.name();
  }

  private static Kernel choose() {
    return ScalarOrVector.orScalar(
        Kernel.class,
        "org.sparkattention.kernel.VectorTileLoops",
        "sparkattention.scalarExp",
        ScalarTileLoops::new);
  }

  static final class ScalarTileLoops implements Kernel {
    @Override
    public double expShifted(
        double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        double p = Math.exp(src[srcOff + i] - shift);
        dst[dstOff + i] = p;
        sum += p;
      }
      return sum;
    }

    @Override
    public int momentsReplacingScores(
        double[] s, int sOff, double[] p, int pOff, int n, int distance0, double[] sums, int at) {
      double scoreSum = 0;
      double distanceSum = 0;
      double max = sums[at + 2];
      int first = -1;
      for (int i = 0; i < n; i++) {
        double score = s[sOff + i];
        double weight = p[pOff + i];
        scoreSum += score == Double.NEGATIVE_INFINITY ? 0.0 : weight * score;
        distanceSum += weight * Math.abs(distance0 + i);
        if (score > max) { // strictly: a later key that ties an earlier one does not beat it
          max = score;
          first = i;
        }
        s[sOff + i] = weight;
      }
      sums[at] += scoreSum;
      sums[at + 1] += distanceSum;
      sums[at + 2] = max;
      return first;
    }

    @Override
    public void expShiftedAdd(
        double[] src, int srcOff, double[] dst, int dstOff, int n, double shift) {
      for (int i = 0; i < n; i++) {
        dst[dstOff + i] += Math.exp(src[srcOff + i] - shift);
      }
    }

    @Override
    public double max(double[] a, int off, int n) {
      double m = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        m = Math.max(m, a[off + i]);
      }
      return m;
    }

    @Override
    public int atLeastRun() {
      return 8;
    }

    @Override
    public long atLeast(double[] a, int off, int n, double x) {
      long bits = 0;
      for (int i = 0; i < n; i++) {
        bits |= (a[off + i] >= x ? 1L : 0L) << i;
      }
      return bits;
    }

    /** The k-th largest of the maxima of 2k runs. */
    @Override
    public double topFloor(double[] a, int off, int n, int k, double[] scratch) {
      int chunks = 2 * k;
      int chunk = n / chunks;
      for (int j = 0; j < chunks; j++) {
        scratch[j] = max(a, off + j * chunk, chunk);
      }
      Arrays.sort(scratch, 0, chunks);
      return scratch[chunks - k];
    }

    @Override
    public int floorScratch(int k) {
      return 2 * k;
    }

    @Override
    public int topSlots(int k) {
      return k;
    }

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
      int last = slot + k - 1;
      double entry = Math.max(floor, Math.nextUp(scores[last]));
      for (int i = 0; i < n; i++) {
        double s = a[off + i];
        if (s >= entry) {
          int at = slot + slots - 1;
          while (at > slot && scores[at - 1] < s) {
            scores[at] = scores[at - 1];
            keys[at] = keys[at - 1];
            at--;
          }
          scores[at] = s;
          keys[at] = key0 + i;
          entry = Math.max(floor, Math.nextUp(scores[last]));
        }
      }
    }

    @Override
    public int offerScratch(int k) {
      return 0;
    }

    @Override
    public String name() {
      return "scalar";
    }
  }
}
