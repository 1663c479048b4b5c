package org.sparkattention.kernel;

import java.util.Arrays;
import java.util.Random;

/**
 * The top-k statistics alone ({@link QueryStatistics#scores} for K keys a query, no summaries) on
 * the score tiles of an L x L self-attention sequence, H heads, tiles of 256: the part of {@code
 * maps=topk} that depends on the scan, without the forward pass around it. The tiles cycle through
 * 24 distinct ones of random scores (12 MB), so that the branch predictor cannot learn where the
 * keys it keeps are: a harness that reused one tile reported half the cost. Steadier than {@code
 * --map-cost}'s difference of two forward passes (a tenth of a millisecond from run to run here
 * against one or two), and its figure agrees with it. Run with {@code jobs/kernel-benchmark.sh
 * --topk-scan [L [K [rounds]]]}.
 */
public final class TopKScanCost {
  private static final int TILE = 256;
  private static final int HEADS = 8;
  private static final int DISTINCT_TILES = 24;
  private static final int SEQUENCES_A_ROUND = 20;

  private TopKScanCost() {}

  public static void main(String[] args) {
    int len = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int topK = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 40;
    if (len % TILE != 0) {
      throw new IllegalArgumentException("L must be a multiple of " + TILE + ", got " + len);
    }
    Random rnd = new Random(1);
    double[][] tiles = new double[DISTINCT_TILES][TILE * TILE];
    for (double[] tile : tiles) {
      for (int i = 0; i < tile.length; i++) {
        tile[i] = 2 * rnd.nextGaussian(); // scaled scores of a few units, as attention's are
      }
    }
    QueryStatistics stats = new QueryStatistics(topK, false);
    double[] perSequence = new double[rounds];
    int next = 0;
    for (int round = 0; round < rounds; round++) {
      long t0 = System.nanoTime();
      for (int s = 0; s < SEQUENCES_A_ROUND; s++) {
        stats.start(HEADS, len, TILE);
        for (int h = 0; h < HEADS; h++) {
          for (int q0 = 0; q0 < len; q0 += TILE) {
            for (int k0 = 0; k0 < len; k0 += TILE) {
              for (int r = 0; r < TILE; r++) {
                stats.scores(tiles[next], r * TILE, TILE, h, q0 + r, k0);
              }
              next = (next + 1) % DISTINCT_TILES;
            }
          }
        }
      }
      perSequence[round] = (System.nanoTime() - t0) / 1e6 / SEQUENCES_A_ROUND;
    }
    // The first half warms the JIT up; the median of the second half.
    double[] measured = Arrays.copyOfRange(perSequence, rounds / 2, rounds);
    Arrays.sort(measured);
    System.out.printf(
        "top-k scan, L %d, H %d, K %d, tiles of %d, one thread (%s tile loops): %.2f ms a"
            + " sequence (median of %d rounds of %d sequences; quartiles %.2f, %.2f)%n",
        len,
        HEADS,
        topK,
        TILE,
        TileLoops.implementation(),
        measured[measured.length / 2],
        measured.length,
        SEQUENCES_A_ROUND,
        measured[measured.length / 4],
        measured[3 * measured.length / 4]);
  }
}
