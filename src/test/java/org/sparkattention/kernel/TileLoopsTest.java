package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Both exp implementations against Math.exp, on lengths that end at a fraction of a vector. */
class TileLoopsTest {
  /** Vector EXP is within a few ulps of Math.exp; the sums add such values. */
  private static final double EXP_RELATIVE = 1e-14;

  @Test
  void testsRunWithTheVectorImplementation() {
    // Surefire's argLine adds jdk.incubator.vector: the fast path is what the tests exercise.
    assertEquals("vector", TileLoops.implementation());
  }

  @Test
  void atLeastNamesEveryValueThatReachesX() {
    TileLoops.Kernel[] impls = {new VectorTileLoops(), new TileLoops.ScalarTileLoops()};
    Random rnd = new Random(3);
    for (TileLoops.Kernel impl : impls) {
      int run = impl.atLeastRun();
      assertTrue(run >= 1 && run <= 52, impl.name() + " run " + run);
      double[] a = new double[run + 5];
      for (int trial = 0; trial < 2000; trial++) {
        for (int i = 0; i < a.length; i++) {
          // Ties with x and masked keys too; every lane, the last of the run included.
          a[i] = rnd.nextInt(7) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(12);
        }
        int off = rnd.nextInt(6);
        // Whole runs mostly, and a row's last values past them (fewer than a run).
        int n = trial % 3 == 0 ? rnd.nextInt(run + 1) : run;
        double x = rnd.nextInt(14) - 1;
        long expected = 0;
        for (int i = 0; i < n; i++) {
          expected |= (a[off + i] >= x ? 1L : 0L) << i;
        }
        assertEquals(
            expected,
            impl.atLeast(a, off, n, x),
            impl.name() + " off " + off + " n " + n + " x " + x);
      }
      assertEquals(0, impl.atLeast(a, 0, run, Double.POSITIVE_INFINITY), impl.name());
      Arrays.fill(a, 1.0);
      assertEquals((1L << run) - 1, impl.atLeast(a, 0, run, 1.0), impl.name());
    }
  }

  @Test
  void listSetBitsListsEveryBitsPositionInOrderWithAndWithoutVectors() {
    for (boolean vectors : new boolean[] {true, false}) {
      for (int eight = 0; eight < 256; eight++) {
        int[] found = new int[3 + 8];
        found[0] = -7;
        int count = VectorTileLoops.listSetBits(eight, 40, found, 1, vectors);
        assertEquals(1 + Integer.bitCount(eight), count, "count for " + eight);
        assertEquals(-7, found[0], "the list before it");
        int at = 1;
        for (int i = 0; i < 8; i++) {
          if ((eight & 1 << i) != 0) {
            assertEquals(40 + i, found[at++], "vectors " + vectors + " bits " + eight);
          }
        }
      }
    }
  }

  @Test
  void offerTopKeepsTheTopKOfEveryValueOfferedInRankOrder() {
    // Rows offered a tile at a time, keys increasing, against a stable sort of all the row's
    // values (the lower key first on ties); ties, masked keys and tiles that end mid-run included.
    TileLoops.Kernel[] impls = {new VectorTileLoops(), new TileLoops.ScalarTileLoops()};
    Random rnd = new Random(5);
    for (TileLoops.Kernel impl : impls) {
      for (int k : new int[] {1, 3, 8, 9, 16, 21, 70}) {
        int slots = impl.topSlots(k);
        assertTrue(slots >= k, impl.name() + " slots " + slots + " for k " + k);
        for (int trial = 0; trial < 60; trial++) {
          int len = 1 + rnd.nextInt(300);
          int tile = 1 + rnd.nextInt(len);
          double[] row = new double[len];
          for (int j = 0; j < len; j++) {
            row[j] = rnd.nextInt(9) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(40);
          }
          // One top among others in the arrays, as the per-query slots are.
          int slot = slots * rnd.nextInt(3);
          double[] scores = new double[3 * slots];
          double[] keys = new double[3 * slots];
          Arrays.fill(scores, Double.NEGATIVE_INFINITY);
          for (int k0 = 0; k0 < len; k0 += tile) {
            int n = Math.min(tile, len - k0);
            double[] t = new double[n + 3];
            System.arraycopy(row, k0, t, 2, n);
            // A floor the tile's own top k reaches: its k-th largest (or none) ...
            double[] sorted = Arrays.copyOfRange(row, k0, k0 + n);
            Arrays.sort(sorted);
            double floor = trial % 2 == 0 && n >= k ? sorted[n - k] : Double.NEGATIVE_INFINITY;
            impl.offerTop(
                t, 2, n, k0, floor, scores, keys, slot, slots, k, new int[impl.offerScratch(k)]);
          }
          Integer[] order = new Integer[len];
          for (int j = 0; j < len; j++) {
            order[j] = j;
          }
          Arrays.sort(order, (a, b) -> Double.compare(row[b], row[a]));
          String where = impl.name() + " k " + k + " len " + len + " tile " + tile;
          for (int r = 0; r < k; r++) {
            boolean kept = r < len && row[order[r]] > Double.NEGATIVE_INFINITY;
            assertEquals(
                kept ? row[order[r]] : Double.NEGATIVE_INFINITY,
                scores[slot + r],
                where + " rank " + r);
            if (kept) {
              assertEquals(order[r], (int) keys[slot + r], where + " rank " + r);
            }
          }
          // ... and the neighbouring tops untouched.
          for (int j = 0; j < scores.length; j++) {
            if (j < slot || j >= slot + slots) {
              assertEquals(Double.NEGATIVE_INFINITY, scores[j], where + " slot " + j);
            }
          }
        }
      }
    }
  }

  @Test
  void vectorAndScalarAgreeWithMathExp() {
    Random rnd = new Random(17);
    TileLoops.Kernel[] impls = {new VectorTileLoops(), new TileLoops.ScalarTileLoops()};
    for (int n = 0; n < 40; n++) {
      double[] src = new double[n + 3];
      for (int i = 0; i < src.length; i++) {
        src[i] = rnd.nextInt(5) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextGaussian() * 30;
      }
      double shift = rnd.nextGaussian();
      for (TileLoops.Kernel impl : impls) {
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

        // The moments of those weights: sum p s (masked scores as 0) and sum p |d0 + i|.
        // The weights then replace the scores, and nothing around them; the largest score so far
        // (slot 3) rises to the run's first largest above it, whose index comes back.
        double before = rnd.nextBoolean() ? Double.NEGATIVE_INFINITY : rnd.nextGaussian() * 30;
        double[] sums = {1.5, -2.5, 7, before};
        int distance0 = rnd.nextInt(20) - 10;
        double[] scores = src.clone();
        int first = impl.momentsReplacingScores(scores, 3, dst, 2, n, distance0, sums, 1);
        for (int i = 0; i < scores.length; i++) {
          double expected = i >= 3 && i < 3 + n ? dst[i - 1] : src[i];
          assertEquals(expected, scores[i], 0.0, impl.name() + " replaced at " + i);
        }
        double expectedScores = 0;
        double expectedDistances = 0;
        double scale = 0;
        double largest = before;
        int expectedFirst = -1;
        for (int i = 0; i < n; i++) {
          double s = src[3 + i];
          if (s != Double.NEGATIVE_INFINITY) {
            expectedScores += dst[2 + i] * s;
            scale += dst[2 + i] * Math.abs(s);
          }
          expectedDistances += dst[2 + i] * Math.abs(distance0 + i);
          if (s > largest) {
            largest = s;
            expectedFirst = i;
          }
        }
        assertEquals(1.5, sums[0], 0.0, impl.name() + " sums before at");
        assertEquals(-2.5 + expectedScores, sums[1], scale * EXP_RELATIVE + 1e-15, impl.name());
        assertEquals(
            7 + expectedDistances, sums[2], (7 + expectedDistances) * EXP_RELATIVE, impl.name());
        assertEquals(largest, sums[3], 0.0, impl.name() + " largest score");
        assertEquals(expectedFirst, first, impl.name() + " its first index");
      }
    }
  }

  /** Ties keep the first: in one lane, across lanes, and against the largest before the run. */
  @Test
  void theLargestScoreIsTheFirstOfTies() {
    TileLoops.Kernel[] impls = {new VectorTileLoops(), new TileLoops.ScalarTileLoops()};
    for (TileLoops.Kernel impl : impls) {
      for (int n : new int[] {1, 7, 8, 9, 16, 33, 64}) {
        for (int at = 0; at < n; at++) {
          for (int tie = at; tie < n; tie++) {
            double[] s = new double[n];
            Arrays.fill(s, -1.0);
            s[at] = 2.0;
            s[tie] = 2.0;
            double[] sums = {0, 0, Double.NEGATIVE_INFINITY};
            int first = impl.momentsReplacingScores(s, 0, new double[n], 0, n, 5, sums, 0);
            assertEquals(at, first, impl.name() + " n " + n + ", ties at " + at + ", " + tie);
            assertEquals(2.0, sums[2], 0.0);
            s = new double[n];
            Arrays.fill(s, 2.0);
            sums[2] = 2.0;
            assertEquals(
                -1,
                impl.momentsReplacingScores(s, 0, new double[n], 0, n, 5, sums, 0),
                impl.name() + " a tie with the largest before the run");
          }
        }
      }
    }
  }

  @Test
  void topFloorIsReachedByAtLeastKValuesAndRulesOutMost() {
    Random rnd = new Random(5);
    TileLoops.Kernel[] impls = {new VectorTileLoops(), new TileLoops.ScalarTileLoops()};
    long above = 0;
    long runs = 0;
    for (int k = 1; k <= 12; k++) {
      for (int n = 8 * k; n <= 8 * k + 70; n += 7) {
        double[] a = new double[n + 3];
        for (int i = 0; i < a.length; i++) {
          // Ties and masked keys too: a floor counts positions, not distinct values.
          a[i] = rnd.nextInt(6) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(40);
        }
        for (TileLoops.Kernel impl : impls) {
          double floor = impl.topFloor(a, 3, n, k, new double[impl.floorScratch(k)]);
          int reach = 0;
          for (int i = 0; i < n; i++) {
            reach += a[3 + i] >= floor ? 1 : 0;
          }
          String where = impl.name() + " k " + k + " n " + n;
          assertTrue(reach >= k, where + ": " + reach + " values reach " + floor);
          above += reach;
          runs += n;
        }
      }
    }
    // A useful floor, not -infinity: on these values it lets through well under half of them.
    assertTrue(above < runs / 2, above + " of " + runs + " values reach their floors");
  }

  @Test
  void sortingNetworksSortEveryInput() {
    // The 0-1 principle: a comparator network that sorts every 0/1 input sorts every input.
    for (int n = 2; n <= 16; n *= 2) {
      int[] network = VectorTileLoops.sortingNetwork(n);
      for (int bits = 0; bits < 1 << n; bits++) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
          x[i] = bits >>> i & 1;
        }
        sort(network, x);
        for (int i = 1; i < n; i++) {
          assertTrue(x[i - 1] <= x[i], "n " + n + " input " + Integer.toBinaryString(bits));
        }
      }
    }
    Random rnd = new Random(3);
    for (int n = 32; n <= 64; n *= 2) {
      int[] network = VectorTileLoops.sortingNetwork(n);
      for (int round = 0; round < 20000; round++) {
        int[] x = new int[n];
        for (int i = 0; i < n; i++) {
          x[i] = rnd.nextInt(1 + round % 50);
        }
        int[] expected = x.clone();
        java.util.Arrays.sort(expected);
        sort(network, x);
        assertArrayEquals(expected, x, "n " + n);
      }
    }
  }

  private static void sort(int[] network, int[] x) {
    for (int c = 0; c < network.length; c += 2) {
      int lo = Math.min(x[network[c]], x[network[c + 1]]);
      x[network[c + 1]] = Math.max(x[network[c]], x[network[c + 1]]);
      x[network[c]] = lo;
    }
  }

  @Test
  void vectorTopFloorIsTheKthLargestOfItsLanewiseMaxima() {
    // As VectorTileLoops.topFloor defines its subsets: two vectors of maxima for k up to a vector's
    // lanes (sorted in the registers), else at least 2k maxima in whole vectors (sorted by a
    // network up to 64, by Arrays.sort beyond); group g of them the lanewise maxima of vectors g, g
    // + groups, ..
    int lanes = VectorTileLoops.lanes();
    Random rnd = new Random(8);
    VectorTileLoops impl = new VectorTileLoops();
    for (int k : new int[] {1, 2, 3, 5, 8, 12, 16, 31, 40}) {
      int groups = k <= lanes ? 2 : (2 * k + lanes - 1) / lanes;
      for (int n = groups * lanes; n <= groups * lanes + 90; n += 11) {
        double[] a = new double[n + 2];
        for (int i = 0; i < a.length; i++) {
          a[i] = rnd.nextInt(9) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(60);
        }
        double[] maxima = new double[groups * lanes];
        Arrays.fill(maxima, Double.NEGATIVE_INFINITY);
        for (int v = 0; v < n / lanes; v++) {
          for (int l = 0; l < lanes; l++) {
            int m = (v % groups) * lanes + l;
            maxima[m] = Math.max(maxima[m], a[2 + v * lanes + l]);
          }
        }
        Arrays.sort(maxima);
        assertEquals(
            maxima[maxima.length - k],
            impl.topFloor(a, 2, n, k, new double[impl.floorScratch(k)]),
            "k " + k + " n " + n);
      }
    }
  }
}
