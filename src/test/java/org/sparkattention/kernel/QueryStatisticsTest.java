package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkattention.model.AttentionWeights;

/**
 * The per-query statistics of the forward pass against the same statistics computed from full maps:
 * PyTorch's ({@code need_weights=True, average_attn_weights=False}, the golden cases) and the plain
 * reference's (random shapes whose blocks take both softmax paths, fixed shift and running max).
 * The log-sum-exp is checked by recomputing the map rows from it.
 */
class QueryStatisticsTest {
  /** Statistics derived from map values: absolute error bound, a weight being at most 1. */
  static final double TOLERANCE = 1e-12;

  static Stream<Arguments> casesAndBlocks() {
    return GoldenCase.all().stream()
        .flatMap(c -> Stream.of(1, 3, 128).map(b -> Arguments.of(c, b)));
  }

  @ParameterizedTest(name = "{0} block {1}")
  @MethodSource("casesAndBlocks")
  void matchPyTorchsMaps(GoldenCase c, int blockSize) {
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(c.weights(), c.options(blockSize));
    QueryStatistics stats = new QueryStatistics(3);
    forward(kernel, c, stats);
    int width = c.meta().get("map_width").asInt();
    double[] maps = c.values("maps_heads");
    int queryLen = maps.length / c.heads() / width;
    assertAgainstMaps(stats, maps, c.heads(), queryLen, width, c.name());

    // The top keys alone (maps=topk) are the same keys, and the same weights up to the last bits
    // of the log-sum-exp: the JIT may compile the Vector API's exp between the two passes, and its
    // interpreted fallback can differ from the compiled one in the last bit (the README's caveat on
    // reruns).
    QueryStatistics topOnly = new QueryStatistics(3, false);
    forward(kernel, c, topOnly);
    for (int h = 0; h < c.heads(); h++) {
      for (int q = 0; q < queryLen; q++) {
        assertEquals(stats.topCount(h, q), topOnly.topCount(h, q));
        for (int rank = 0; rank < stats.topCount(h, q); rank++) {
          assertEquals(stats.topKey(h, q, rank), topOnly.topKey(h, q, rank));
          double w = stats.topWeight(h, q, rank);
          assertEquals(w, topOnly.topWeight(h, q, rank), 4 * Math.ulp(w));
        }
      }
    }
    assertThrows(IllegalStateException.class, () -> topOnly.entropy(0, 0));
  }

  private static void forward(BlockedAttentionKernel kernel, GoldenCase c, QueryStatistics stats) {
    kernel.forward(
        kernel.newWorkspace(),
        c.matrix("query"),
        c.matrix("key"),
        c.matrix("value"),
        c.keyPaddingMask(),
        null,
        stats);
  }

  @Test
  void bothSoftmaxPathsMatchTheReference() {
    Random rnd = new Random(11);
    int e = 8;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, true);
    for (double norm : new double[] {1, 60}) { // fixed shift, running max
      DenseMatrix x = RandomAttention.matrix(rnd, 21, e, true);
      double[] v = x.values();
      for (int i = 0; i < v.length; i++) {
        v[i] *= norm;
      }
      boolean[] padding = RandomAttention.mask(rnd, 21, 0.2);
      for (boolean causal : new boolean[] {false, true}) {
        AttentionOptions o = AttentionOptions.of(2).withCausal(causal).withBlockSize(4);
        ReferenceAttention.Result expected = ReferenceAttention.compute(w, o, x, x, x, padding);
        BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, o);
        AttentionWorkspace ws = kernel.newWorkspace();
        QueryStatistics stats = new QueryStatistics(5);
        kernel.forward(ws, x, x, x, padding, null, stats);
        assertEquals(norm > 1, ws.runningMaxBlocks > 0, "the softmax path of norm " + norm);
        int width = expected.maps()[0][0].length;
        assertAgainstMaps(
            stats,
            ReferenceAttention.flatten(expected.maps()),
            2,
            21,
            width,
            "norm " + norm + " causal " + causal);
      }
    }
  }

  /** Every statistic of every head and query against its map row {@code maps[h][q]}. */
  static void assertAgainstMaps(
      QueryStatistics stats, double[] maps, int heads, int queryLen, int width, String what) {
    for (int h = 0; h < heads; h++) {
      for (int q = 0; q < queryLen; q++) {
        int at = (h * queryLen + q) * width;
        String where = what + " head " + h + " query " + q;
        double sum = 0;
        double entropy = 0;
        double distance = 0;
        int argmax = -1;
        for (int j = 0; j < width; j++) {
          double p = maps[at + j];
          if (Double.isNaN(p)) { // PyTorch's fully masked row
            p = 0;
          }
          sum += p;
          if (p > 0) {
            entropy -= p * Math.log(p);
            distance += p * Math.abs(q - j);
          }
          if (p > 0 && (argmax < 0 || p > maps[at + argmax] + TOLERANCE)) {
            argmax = j;
          }
        }
        if (sum == 0) {
          assertTrue(!stats.seesKeys(h, q), where + " sees no key");
          assertEquals(0.0, stats.entropy(h, q), where);
          assertEquals(-1, stats.argmaxKey(h, q), where);
          assertEquals(Double.NEGATIVE_INFINITY, stats.lse(h, q), where);
          assertEquals(0, stats.topCount(h, q), where);
          continue;
        }
        assertEquals(entropy, stats.entropy(h, q), TOLERANCE, where + " entropy");
        assertEquals(maps[at + argmax], stats.maxWeight(h, q), TOLERANCE, where + " max weight");
        assertEquals(
            maps[at + argmax],
            maps[at + stats.argmaxKey(h, q)],
            TOLERANCE,
            where + " argmax key " + stats.argmaxKey(h, q));
        assertTrue(stats.argmaxKey(h, q) <= argmax, where + ": the lowest index on ties");
        assertEquals(maps[at], stats.firstKeyWeight(h, q), TOLERANCE, where + " key 0");
        assertEquals(distance, stats.meanDistance(h, q), 1e-10 * Math.max(1, distance), where);
        // Top K: the K largest weights, in order, each the map's value at its key.
        int visible = 0;
        for (int j = 0; j < width; j++) {
          visible += maps[at + j] > 0 ? 1 : 0;
        }
        int k = Math.min(stats.topK(), visible);
        assertTrue(stats.topCount(h, q) >= k && stats.topCount(h, q) <= stats.topK(), where);
        double previous = Double.POSITIVE_INFINITY;
        for (int rank = 0; rank < k; rank++) {
          int key = stats.topKey(h, q, rank);
          double weight = stats.topWeight(h, q, rank);
          assertEquals(maps[at + key], weight, TOLERANCE, where + " rank " + rank);
          assertTrue(weight <= previous + TOLERANCE, where + " ranks in order");
          previous = weight;
          int larger = 0;
          for (int j = 0; j < width; j++) {
            larger += maps[at + j] > weight + TOLERANCE ? 1 : 0;
          }
          assertTrue(larger <= rank, where + " rank " + rank + ": " + larger + " keys weigh more");
        }
      }
    }
  }

  @Test
  void tiesGoToTheLowerKey() {
    // Identical keys give identical scores: every weight ties, and the lowest keys rank first.
    Random rnd = new Random(3);
    int e = 4;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, false, false);
    DenseMatrix query = RandomAttention.matrix(rnd, 2, e, true);
    double[] same = new double[6 * e];
    for (int i = 0; i < same.length; i++) {
      same[i] = 0.5 + (i % e);
    }
    DenseMatrix key = new DenseMatrix(6, e, same, true);
    QueryStatistics stats = new QueryStatistics(3);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(w, AttentionOptions.of(1).withBlockSize(2));
    kernel.forward(kernel.newWorkspace(), query, key, key, null, null, stats);
    for (int q = 0; q < 2; q++) {
      assertEquals(0, stats.argmaxKey(0, q));
      assertEquals(1.0 / 6, stats.maxWeight(0, q), 1e-15);
      assertEquals(Math.log(6), stats.entropy(0, q), 1e-14);
      for (int rank = 0; rank < 3; rank++) {
        assertEquals(rank, stats.topKey(0, q, rank));
      }
    }
  }

  /**
   * The top K straight from score tiles against a full sort (score descending, lower key first):
   * tiles wide and narrow (the chunk-maxima floor of a first tile, the four-at-a-time scan and its
   * tail), scores drawn from a few values (ties everywhere) with masked keys (-infinity), K from 1
   * to more than a row's keys.
   */
  @Test
  void topKeysAreExactOnAnyTiles() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 300; trial++) {
      int topK = 1 + rnd.nextInt(trial % 3 == 0 ? 3 : 12);
      int rows = 1 + rnd.nextInt(4);
      int tiles = 1 + rnd.nextInt(5);
      int values = 1 + rnd.nextInt(trial % 2 == 0 ? 4 : 1000);
      int[] widths = new int[tiles];
      int keys = 0;
      for (int t = 0; t < tiles; t++) {
        widths[t] = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300);
        keys += widths[t];
      }
      double[][] scores = new double[rows][keys];
      for (double[] row : scores) {
        for (int j = 0; j < keys; j++) {
          row[j] = rnd.nextInt(8) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextInt(values) - 2.5;
        }
      }
      QueryStatistics stats = new QueryStatistics(topK);
      stats.start(1, rows, 300);
      int k0 = 0;
      for (int t = 0; t < tiles; t++) {
        int kn = widths[t];
        double[] tile = new double[rows * kn];
        for (int r = 0; r < rows; r++) {
          System.arraycopy(scores[r], k0, tile, r * kn, kn);
          stats.scores(tile, r * kn, kn, 0, r, k0);
        }
        k0 += kn;
      }
      for (int r = 0; r < rows; r++) {
        double[] row = scores[r];
        Integer[] order =
            java.util.stream.IntStream.range(0, keys)
                .filter(j -> row[j] > Double.NEGATIVE_INFINITY)
                .boxed()
                .sorted((a, b) -> row[a] != row[b] ? Double.compare(row[b], row[a]) : a - b)
                .toArray(Integer[]::new);
        String where = "trial " + trial + " row " + r + " K " + topK;
        assertEquals(Math.min(topK, order.length), stats.topCount(0, r), where);
        for (int rank = 0; rank < stats.topCount(0, r); rank++) {
          assertEquals(order[rank], stats.topKey(0, r, rank), where + " rank " + rank);
        }
      }
    }
  }
}
