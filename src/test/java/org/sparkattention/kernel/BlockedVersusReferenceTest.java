package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkattention.kernel.Tolerances.assertClose;

import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkattention.model.AttentionWeights;

/**
 * The blocked kernel against the plain reference on random, asymmetric shapes (L != S, kdim != vdim
 * != E, lengths that end at a fraction of a tile) and every tile size from 1 to larger than the
 * sequence.
 */
class BlockedVersusReferenceTest {

  static Stream<Arguments> seeds() {
    return IntStream.range(0, 40).mapToObj(Arguments::of);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void blockedEqualsReference(int seed) {
    Random rnd = new Random(seed);
    int heads = 1 + rnd.nextInt(4);
    int e = heads * (1 + rnd.nextInt(6));
    boolean cross = rnd.nextBoolean();
    int kdim = cross ? 1 + rnd.nextInt(12) : e;
    int vdim = cross ? 1 + rnd.nextInt(12) : e;
    int queryLen = 1 + rnd.nextInt(40);
    int keyLen = cross ? 1 + rnd.nextInt(40) : queryLen;
    AttentionWeights w =
        RandomAttention.weights(rnd, e, kdim, vdim, rnd.nextBoolean(), rnd.nextInt(3) == 0);
    DenseMatrix query = RandomAttention.matrix(rnd, queryLen, e, rnd.nextBoolean());
    DenseMatrix key = cross ? RandomAttention.matrix(rnd, keyLen, kdim, rnd.nextBoolean()) : query;
    DenseMatrix value =
        cross ? RandomAttention.matrix(rnd, keyLen, vdim, rnd.nextBoolean()) : query;
    boolean[] padding = rnd.nextBoolean() ? RandomAttention.mask(rnd, keyLen, 0.3) : null;
    AttentionOptions base =
        new AttentionOptions(
            heads,
            rnd.nextBoolean(),
            rnd.nextInt(3) == 0,
            rnd.nextBoolean()
                ? SoftmaxScale.pytorchDefault()
                : SoftmaxScale.of(0.1 + rnd.nextDouble()),
            1);
    ReferenceAttention.Result expected =
        ReferenceAttention.compute(w, base, query, key, value, padding);
    double[] expectedOut = ReferenceAttention.flatten(expected.output());
    double[] expectedMaps = ReferenceAttention.flatten(expected.maps());
    int keyCount = expected.maps()[0][0].length;

    int maxLen = Math.max(queryLen, keyLen);
    for (int block : new int[] {1, 2, 3, 5, 7, 8, 16, maxLen - 1, maxLen, maxLen + 1, 64, 200}) {
      if (block < 1) {
        continue;
      }
      String what = "seed " + seed + " block " + block;
      BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, base.withBlockSize(block));
      AttentionWorkspace ws = kernel.newWorkspace();
      DenseMatrix out = kernel.forward(ws, query, key, value, padding);
      assertClose(out.values(), expectedOut, what + " output");
      assertEquals(expected.fullyMasked(), ws.fullyMaskedQueries(), what + " fully masked");
      MapCollector maps = MapCollector.collect(kernel, ws, queryLen, keyCount);
      assertClose(maps.heads, expectedMaps, what + " maps");
      double[] expectedMean = meanOverHeads(expectedMaps, heads);
      assertClose(maps.mean, expectedMean, what + " mean map");

      // The mean map from the forward pass itself, with the output.
      MapCollector fused = new MapCollector(heads, queryLen, keyCount);
      DenseMatrix withMap =
          kernel.forward(kernel.newWorkspace(), query, key, value, padding, fused.meanConsumer());
      assertClose(withMap.values(), expectedOut, what + " output with the map");
      assertClose(fused.mean, expectedMean, what + " mean map of the forward pass");
    }
  }

  /** The mean over heads of heads x rest maps. */
  static double[] meanOverHeads(double[] heads, int numHeads) {
    int n = heads.length / numHeads;
    double[] mean = new double[n];
    for (int h = 0; h < numHeads; h++) {
      for (int i = 0; i < n; i++) {
        mean[i] += heads[h * n + i] / numHeads;
      }
    }
    return mean;
  }

  @Test
  void largeScoresTakeTheRunningMaxAndSmallOnesTheFixedShift() {
    // Tokens of very different norms: small ones let a query block shift its exps by a fixed
    // bound, large ones (bound above FIXED_SHIFT_LIMIT) need the running max. Both, and blocks of
    // either kind in one sequence, must agree with the reference.
    Random rnd = new Random(5);
    int e = 8;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, true);
    for (double[] norms : new double[][] {{1}, {60}, {1, 60}, {60, 1, 0.01}}) {
      DenseMatrix x = RandomAttention.matrix(rnd, 24, e, true);
      double[] v = x.values();
      for (int i = 0; i < 24; i++) {
        double factor = norms[(i / 8) % norms.length];
        for (int j = 0; j < e; j++) {
          v[i * e + j] *= factor;
        }
      }
      boolean[] padding = RandomAttention.mask(rnd, 24, 0.2);
      for (boolean causal : new boolean[] {false, true}) {
        AttentionOptions o = AttentionOptions.of(2).withCausal(causal).withBlockSize(8);
        ReferenceAttention.Result expected = ReferenceAttention.compute(w, o, x, x, x, padding);
        BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, o);
        AttentionWorkspace ws = kernel.newWorkspace();
        String what = "norms " + java.util.Arrays.toString(norms) + " causal " + causal;
        assertClose(
            kernel.forward(ws, x, x, x, padding).values(),
            ReferenceAttention.flatten(expected.output()),
            what + " output");
        int blocks = 2 * 3;
        int expectedRunningMax = norms.length == 1 ? (norms[0] > 1 ? blocks : 0) : -1;
        if (expectedRunningMax >= 0) {
          assertEquals(
              expectedRunningMax, ws.runningMaxBlocks, what + " blocks on the running max");
        } else {
          assertTrue(
              ws.runningMaxBlocks > 0 && ws.runningMaxBlocks < blocks,
              what + ": both kinds of block, got " + ws.runningMaxBlocks + " on the running max");
        }
        int keyCount = expected.maps()[0][0].length;
        MapCollector maps = MapCollector.collect(kernel, ws, 24, keyCount);
        double[] expectedMaps = ReferenceAttention.flatten(expected.maps());
        assertClose(maps.heads, expectedMaps, what + " maps");
        // The forward pass's own mean map: kept probabilities where bounded, recomputed blocks
        // where not.
        MapCollector fused = new MapCollector(2, 24, keyCount);
        kernel.forward(kernel.newWorkspace(), x, x, x, padding, fused.meanConsumer());
        assertClose(fused.mean, meanOverHeads(expectedMaps, 2), what + " mean map of the forward");
      }
    }
  }

  @Test
  void workspaceIsReusedAcrossSequencesOfDifferentLengths() {
    Random rnd = new Random(7);
    AttentionWeights w = RandomAttention.weights(rnd, 12, 12, 12, true, false);
    AttentionOptions o = AttentionOptions.of(3).withBlockSize(4);
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, o);
    AttentionWorkspace shared = kernel.newWorkspace();
    for (int len : new int[] {30, 3, 17, 1, 30, 9}) {
      DenseMatrix x = RandomAttention.matrix(rnd, len, 12, true);
      DenseMatrix reused = kernel.selfAttention(shared, x, null);
      DenseMatrix fresh = kernel.selfAttention(kernel.newWorkspace(), x, null);
      assertTrue(
          java.util.Arrays.equals(reused.values(), fresh.values()),
          "a reused workspace must give bitwise the same result, length " + len);
    }
  }

  @Test
  void causalSkipsTilesAboveTheDiagonal() {
    // Not a timing test: the cost model counts only visible pairs, and the kernel must agree with
    // the reference when whole tiles are skipped (L = 4 tiles of 8).
    Random rnd = new Random(11);
    AttentionWeights w = RandomAttention.weights(rnd, 8, 8, 8, true, false);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(w, AttentionOptions.of(2).withCausal(true).withBlockSize(8));
    double causal = kernel.flops(32, 32, false);
    double full =
        new BlockedAttentionKernel(w, AttentionOptions.of(2).withBlockSize(8)).flops(32, 32, false);
    assertTrue(causal < full, "causal attention costs less than full attention");
  }
}
