package org.sparkattention.bench;

import java.util.Arrays;
import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.QueryStatistics;

/**
 * What {@code maps=summary} and {@code maps=topk} add to the kernel, measured where a noisy machine
 * cancels out: one thread, the forward pass without statistics and with them on the same sequence
 * one right after the other, the median of the differences over eight random sequences in turn.
 * JMH's separate runs of each mode drifted by more than the difference on this machine.
 *
 * <p>{@code jobs/kernel-benchmark.sh --map-cost [L [warm-up passes [measured passes]]]}: E = 256, H
 * = 8, K = 8, as the headline.
 */
public final class MapStatisticsCost {
  private MapStatisticsCost() {}

  public static void main(String[] args) {
    int seqLen = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int measured = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    Random rnd = new Random(42);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            KernelBenchmark.randomWeights(rnd, KernelBenchmark.EMBED_DIM),
            AttentionOptions.of(KernelBenchmark.HEADS));
    AttentionWorkspace ws = kernel.newWorkspace();
    DenseMatrix[] sequences = new DenseMatrix[8];
    for (int i = 0; i < sequences.length; i++) {
      sequences[i] = KernelBenchmark.randomMatrix(rnd, seqLen, KernelBenchmark.EMBED_DIM);
    }
    System.out.printf("L %d, E %d, H %d, one thread%n", seqLen, KernelBenchmark.EMBED_DIM, 8);
    for (String mode : new String[] {"summary", "topk"}) {
      QueryStatistics stats =
          mode.equals("topk") ? new QueryStatistics(8, false) : new QueryStatistics(0);
      double[] plain = new double[measured];
      double[] added = new double[measured];
      for (int pass = 0; pass < warmUp + measured; pass++) {
        DenseMatrix x = sequences[pass % sequences.length];
        long t0 = System.nanoTime();
        kernel.forward(ws, x, x, x, null, null, null);
        long t1 = System.nanoTime();
        kernel.forward(ws, x, x, x, null, null, stats);
        long t2 = System.nanoTime();
        if (pass >= warmUp) {
          plain[pass - warmUp] = (t1 - t0) / 1e6;
          added[pass - warmUp] = ((t2 - t1) - (t1 - t0)) / 1e6;
        }
      }
      Arrays.sort(plain);
      Arrays.sort(added);
      System.out.printf(
          "%-8s none %.2f ms a sequence, %s adds %.2f ms (%.0f%%; quartiles %.2f, %.2f)%n",
          mode,
          plain[measured / 2],
          mode,
          added[measured / 2],
          100 * added[measured / 2] / plain[measured / 2],
          added[measured / 4],
          added[3 * measured / 4]);
    }
  }
}
