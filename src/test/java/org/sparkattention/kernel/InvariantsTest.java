package org.sparkattention.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.junit.jupiter.api.Test;
import org.sparkattention.model.AttentionWeights;

/** Properties every result has, whatever the weights: rows of probabilities, no NaN. */
class InvariantsTest {

  /**
   * Under the causal mask the tiles wholly above the diagonal are skipped, not computed and then
   * masked: L = S = 37 in tiles of 8 is 15 of the 25 tiles per head (query blocks see 1 to 5 key
   * tiles), plus one extra-key tile per block with add_zero_attn.
   */
  @Test
  void causalMaskSkipsTheTilesAboveTheDiagonal() {
    Random rnd = new Random(11);
    int heads = 2;
    int e = 8;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, false);
    DenseMatrix x = RandomAttention.matrix(rnd, 37, e, true);
    long[] expected = {2 * 25, 2 * 15, 2 * (15 + 5)};
    AttentionOptions[] options = {
      AttentionOptions.of(heads).withBlockSize(8),
      AttentionOptions.of(heads).withCausal(true).withBlockSize(8),
      AttentionOptions.of(heads).withCausal(true).withAddZeroAttn(true).withBlockSize(8)
    };
    for (int c = 0; c < options.length; c++) {
      BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, options[c]);
      AttentionWorkspace ws = kernel.newWorkspace();
      kernel.selfAttention(ws, x, null);
      assertEquals(expected[c], ws.keyTilesVisited(), "case " + c);
    }
  }

  /**
   * With reuseOutputs, outputs of one shape share the workspace's array for that shape and equal a
   * fresh workspace's bit for bit; without it every output is its own.
   */
  @Test
  void reusedOutputsAreTheWorkspacesAndExact() {
    Random rnd = new Random(23);
    int e = 8;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, false);
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, AttentionOptions.of(2));
    AttentionWorkspace reusing = kernel.newWorkspace().reuseOutputs();
    AttentionWorkspace fresh = kernel.newWorkspace();
    DenseMatrix a = RandomAttention.matrix(rnd, 5, e, true);
    DenseMatrix b = RandomAttention.matrix(rnd, 5, e, true);
    DenseMatrix c = RandomAttention.matrix(rnd, 7, e, true);
    double[] first = kernel.selfAttention(reusing, a, null).values();
    assertArrayEquals(kernel.selfAttention(fresh, a, null).values(), first);
    DenseMatrix second = kernel.selfAttention(reusing, b, null);
    assertSame(first, second.values());
    assertArrayEquals(kernel.selfAttention(fresh, b, null).values(), second.values());
    DenseMatrix third = kernel.selfAttention(reusing, c, null);
    assertNotSame(first, third.values());
    assertArrayEquals(kernel.selfAttention(fresh, c, null).values(), third.values());
    // Back to the first shape: its array again (one is kept per size).
    DenseMatrix fourth = kernel.selfAttention(reusing, a, null);
    assertSame(first, fourth.values());
    assertArrayEquals(kernel.selfAttention(fresh, a, null).values(), fourth.values());
    assertNotSame(
        kernel.selfAttention(fresh, a, null).values(),
        kernel.selfAttention(fresh, a, null).values());
  }

  @Test
  void mapRowsSumToOneOrAreZeroAndMeanIsMeanOfHeads() {
    Random rnd = new Random(3);
    int heads = 4;
    int e = 16;
    int queryLen = 37;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, true);
    boolean[] padding = RandomAttention.mask(rnd, queryLen, 0.5);
    padding[0] = true; // query 0 sees only key 0 under the causal mask: masked here
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            w, AttentionOptions.of(heads).withCausal(true).withAddZeroAttn(true).withBlockSize(8));
    AttentionWorkspace ws = kernel.newWorkspace();
    DenseMatrix x = RandomAttention.matrix(rnd, queryLen, e, true);
    DenseMatrix out = kernel.selfAttention(ws, x, padding);
    for (double v : out.values()) {
      assertTrue(Double.isFinite(v), "output is finite");
    }
    int keyCount = queryLen + 2;
    MapCollector maps = MapCollector.collect(kernel, ws, queryLen, keyCount);
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < queryLen; i++) {
        double sum = 0;
        for (int j = 0; j < keyCount; j++) {
          double p = maps.heads[(h * queryLen + i) * keyCount + j];
          assertTrue(p >= 0 && p <= 1 && Double.isFinite(p), "probability");
          sum += p;
        }
        assertEquals(1.0, sum, Tolerances.ROW_SUM, "row sum, head " + h + " query " + i);
      }
    }
    for (int i = 0; i < queryLen * keyCount; i++) {
      double mean = 0;
      for (int h = 0; h < heads; h++) {
        mean += maps.heads[h * queryLen * keyCount + i];
      }
      assertEquals(mean / heads, maps.mean[i], 1e-15, "mean map = mean of head maps");
    }
  }

  @Test
  void fullyMaskedQueryGetsZeroRowAndOutProjBias() {
    Random rnd = new Random(5);
    int e = 8;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, true, false);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(w, AttentionOptions.of(2).withCausal(true).withBlockSize(2));
    AttentionWorkspace ws = kernel.newWorkspace();
    int len = 6;
    boolean[] padding = {true, true, false, false, true, false};
    DenseMatrix out = kernel.selfAttention(ws, RandomAttention.matrix(rnd, len, e, false), padding);
    // Queries 0 and 1 see only keys 0..1 (both padded): nothing.
    assertEquals(2, ws.fullyMaskedQueries());
    double[] bias = w.outBias();
    for (int i = 0; i < 2; i++) {
      for (int c = 0; c < e; c++) {
        assertEquals(bias[c], out.apply(i, c), 0.0, "fully masked output is out_proj.bias");
      }
    }
    MapCollector maps = MapCollector.collect(kernel, ws, len, len);
    for (int j = 0; j < 2 * len; j++) {
      assertEquals(0.0, maps.mean[j], 0.0, "fully masked map row is zero");
    }
  }

  @Test
  void fullyMaskedRowsAreZeroOnAWorkspaceThatHeldOtherMaps() {
    // Map buffers are reused: a row the map pass skips must still come out zero, not as the
    // previous sequence's values (no causal mask here, so only the fully masked rows are skipped).
    Random rnd = new Random(6);
    int e = 8;
    int len = 6;
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            RandomAttention.weights(rnd, e, e, e, true, false),
            AttentionOptions.of(2).withBlockSize(4));
    AttentionWorkspace ws = kernel.newWorkspace();
    kernel.selfAttention(ws, RandomAttention.matrix(rnd, len, e, true), null);
    MapCollector before = MapCollector.collect(kernel, ws, len, len);
    assertTrue(before.heads[0] > 0, "the first sequence's maps fill the buffers");
    boolean[] allPadded = new boolean[len];
    java.util.Arrays.fill(allPadded, true);
    kernel.selfAttention(ws, RandomAttention.matrix(rnd, len, e, true), allPadded);
    assertEquals(len, ws.fullyMaskedQueries());
    MapCollector maps = MapCollector.collect(kernel, ws, len, len);
    for (double v : maps.heads) {
      assertEquals(0.0, v, 0.0, "fully masked head map rows are zero");
    }
    for (double v : maps.mean) {
      assertEquals(0.0, v, 0.0, "fully masked mean map rows are zero");
    }
  }

  @Test
  void workingMemoryGrowsWithLengthNotWithLTimesS() {
    Random rnd = new Random(2);
    int e = 16;
    int len = 3000;
    int block = 64;
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            RandomAttention.weights(rnd, e, e, e, true, false),
            AttentionOptions.of(4).withBlockSize(block));
    AttentionWorkspace ws = kernel.newWorkspace();
    kernel.selfAttention(ws, RandomAttention.matrix(rnd, len, e, true), null);
    // Q, K, V, context and one token-major scratch (5 x E x L), log-sum-exp (H x L), one tile
    // and its row state, one key norm per head.
    long bound = 5L * e * len + 4L * len + (long) block * block + 2L * block + 4;
    assertTrue(ws.bufferedDoubles() <= bound, ws.bufferedDoubles() + " > " + bound);
    assertTrue(bound < (long) len * len / 10, "far below one L x S score matrix");
    kernel.meanMap(ws, (q0, qn, kn, rows) -> {});
    // Map rows for one query block and their mean over heads: 2 x block x S'.
    assertTrue(ws.bufferedDoubles() <= bound + 2L * block * len);
  }

  @Test
  void extremeScoresDoNotOverflow() {
    Random rnd = new Random(9);
    int e = 4;
    AttentionWeights w = RandomAttention.weights(rnd, e, e, e, false, false);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            w, AttentionOptions.of(1).withScale(SoftmaxScale.of(1e6)).withBlockSize(3));
    AttentionWorkspace ws = kernel.newWorkspace();
    DenseMatrix out = kernel.selfAttention(ws, RandomAttention.matrix(rnd, 10, e, true), null);
    for (double v : out.values()) {
      assertTrue(Double.isFinite(v), "a huge scale saturates the softmax, never overflows");
    }
  }

  @Test
  void workspaceIsThreadConfined() throws Exception {
    Random rnd = new Random(1);
    AttentionWeights w = RandomAttention.weights(rnd, 4, 4, 4, true, false);
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, AttentionOptions.of(1));
    AttentionWorkspace ws = kernel.newWorkspace();
    DenseMatrix x = RandomAttention.matrix(rnd, 3, 4, true);
    Throwable[] failure = new Throwable[1];
    Thread other =
        new Thread(() -> failure[0] = catchThrowable(() -> kernel.selfAttention(ws, x, null)));
    other.start();
    other.join();
    assertTrue(failure[0] instanceof IllegalStateException, "used from another thread");
  }

  @Test
  void mapsNeedAForwardPass() {
    Random rnd = new Random(1);
    AttentionWeights w = RandomAttention.weights(rnd, 4, 4, 4, true, false);
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(w, AttentionOptions.of(2));
    assertThrows(
        IllegalStateException.class,
        () -> kernel.meanMap(kernel.newWorkspace(), (q, n, k, rows) -> {}));
  }

  @Test
  void headsMustDivideEmbedDim() {
    Random rnd = new Random(1);
    AttentionWeights w = RandomAttention.weights(rnd, 6, 6, 6, true, false);
    IllegalArgumentException ex =
        assertThrows(
            IllegalArgumentException.class,
            () -> new BlockedAttentionKernel(w, AttentionOptions.of(4)));
    assertTrue(ex.getMessage().contains("not divisible by heads = 4"), ex.getMessage());
  }

  private static Throwable catchThrowable(Runnable r) {
    try {
      r.run();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }
}
