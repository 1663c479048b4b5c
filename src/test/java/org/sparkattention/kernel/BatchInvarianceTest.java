package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A sequence's results are the same bits whatever came before it on the workspace: computed alone
 * on a fresh workspace, or among sequences of other lengths (shorter and longer, with the buffers
 * they leave behind) in any order. Outputs, the mean map from the forward pass, every head's map
 * and the per-query statistics, for lengths that fill no vector or tile evenly.
 */
class BatchInvarianceTest {
  private static final int[] LENGTHS = {1, 2, 3, 7, 13, 16, 17, 31, 40, 65, 100};
  private static final int E = 24;
  private static final int KDIM = 20;

  @ParameterizedTest
  @ValueSource(strings = {"plain", "causal", "extra-keys"})
  void aSequencesBitsDoNotDependOnItsNeighbours(String variant) {
    Random rnd = new Random(11);
    AttentionOptions options = AttentionOptions.of(3).withBlockSize(16);
    boolean biasKv = false;
    switch (variant) {
      case "causal" -> options = options.withCausal(true);
      case "extra-keys" -> {
        options = options.withAddZeroAttn(true);
        biasKv = true;
      }
      default -> {}
    }
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            RandomAttention.weights(rnd, E, KDIM, KDIM, true, biasKv), options);
    List<Sequence> sequences = new ArrayList<>();
    for (int len : LENGTHS) {
      int keys = Math.max(1, len + rnd.nextInt(9) - 4);
      sequences.add(
          new Sequence(
              RandomAttention.matrix(rnd, len, E, rnd.nextBoolean()),
              RandomAttention.matrix(rnd, keys, KDIM, true),
              RandomAttention.matrix(rnd, keys, KDIM, false),
              rnd.nextBoolean() ? RandomAttention.mask(rnd, keys, 0.3) : null));
    }
    // The JIT first: the interpreter's exp and the compiled one can differ in the last bit (the
    // README's caveat under "Faults and reruns"), which is not what this test is about.
    AttentionWorkspace warm = kernel.newWorkspace();
    for (int round = 0; round < 300; round++) {
      for (Sequence s : sequences) {
        s.compute(kernel, warm);
      }
    }
    List<Results> alone = new ArrayList<>();
    for (Sequence s : sequences) {
      alone.add(s.compute(kernel, kernel.newWorkspace()));
    }
    for (long seed = 1; seed <= 3; seed++) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < sequences.size(); i++) {
        order.add(i);
      }
      Collections.shuffle(order, new Random(seed));
      AttentionWorkspace shared = kernel.newWorkspace();
      for (int i : order) {
        Results r = sequences.get(i).compute(kernel, shared);
        alone.get(i).assertSameBits(r, "length " + LENGTHS[i] + ", order " + order);
      }
    }
  }

  private record Sequence(DenseMatrix query, DenseMatrix key, DenseMatrix value, boolean[] mask) {
    Results compute(BlockedAttentionKernel kernel, AttentionWorkspace ws) {
      int keyCount = key.numRows() + kernel.extraKeys();
      QueryStatistics stats = new QueryStatistics(3, true);
      MapCollector forwardMean = new MapCollector(kernel.numHeads(), query.numRows(), keyCount);
      DenseMatrix out =
          kernel.forward(ws, query, key, value, mask, forwardMean.meanConsumer(), stats);
      MapCollector maps = MapCollector.collect(kernel, ws, query.numRows(), keyCount);
      int n = kernel.numHeads() * query.numRows();
      double[] statistics = new double[n * 6];
      for (int h = 0; h < kernel.numHeads(); h++) {
        for (int q = 0; q < query.numRows(); q++) {
          int at = (h * query.numRows() + q) * 6;
          statistics[at] = stats.entropy(h, q);
          statistics[at + 1] = stats.lse(h, q);
          statistics[at + 2] = stats.meanDistance(h, q);
          statistics[at + 3] = stats.topCount(h, q) > 0 ? stats.topWeight(h, q, 0) : -1;
          statistics[at + 4] = stats.topCount(h, q) > 0 ? stats.topKey(h, q, 0) : -1;
          statistics[at + 5] = stats.firstKeyWeight(h, q);
        }
      }
      return new Results(out.values().clone(), forwardMean.mean, maps.heads, maps.mean, statistics);
    }
  }

  private record Results(
      double[] output, double[] forwardMean, double[] heads, double[] mean, double[] statistics) {
    void assertSameBits(Results other, String what) {
      assertBits(output, other.output, "output, " + what);
      assertBits(forwardMean, other.forwardMean, "mean map from the forward pass, " + what);
      assertBits(heads, other.heads, "head maps, " + what);
      assertBits(mean, other.mean, "mean map, " + what);
      assertBits(statistics, other.statistics, "statistics, " + what);
    }

    private static void assertBits(double[] expected, double[] actual, String what) {
      assertEquals(expected.length, actual.length, what);
      long[] e = new long[expected.length];
      long[] a = new long[actual.length];
      for (int i = 0; i < e.length; i++) {
        e[i] = Double.doubleToRawLongBits(expected[i]);
        a[i] = Double.doubleToRawLongBits(actual[i]);
      }
      assertArrayEquals(e, a, what);
    }
  }
}
