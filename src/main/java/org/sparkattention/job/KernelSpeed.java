package org.sparkattention.job;

import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.model.AttentionWeights;

/**
 * The kernel's speed on this JVM, measured for a dry run's time estimate: the run's own weights and
 * options on one random sequence of a typical length, repeated for about a second after a warm-up,
 * on one thread. Measured on the driver, whose cores may differ from the executors'.
 */
final class KernelSpeed {
  private static final long MEASURE_NANOS = 1_000_000_000L;

  private KernelSpeed() {}

  /** GFLOP per second of one thread, at {@code queryLen} queries over {@code keyLen} keys. */
  static double gflopsPerCore(
      AttentionWeights weights, AttentionOptions options, int queryLen, int keyLen) {
    BlockedAttentionKernel kernel = new BlockedAttentionKernel(weights, options);
    AttentionWorkspace ws = kernel.newWorkspace();
    SplittableRandom random = new SplittableRandom(1);
    DenseMatrix query = random(queryLen, weights.embedDim(), random);
    DenseMatrix key = random(keyLen, weights.kdim(), random);
    DenseMatrix value = random(keyLen, weights.vdim(), random);
    double flops = kernel.flops(queryLen, keyLen, false);
    kernel.forward(ws, query, key, value, null); // warm-up: buffers and first compilation
    long start = System.nanoTime();
    long runs = 0;
    do {
      kernel.forward(ws, query, key, value, null);
      runs++;
    } while (System.nanoTime() - start < MEASURE_NANOS);
    return runs * flops / ((System.nanoTime() - start) / 1e9) / 1e9;
  }

  private static DenseMatrix random(int rows, int cols, SplittableRandom random) {
    double[] values = new double[rows * cols];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble(-1, 1);
    }
    return new DenseMatrix(rows, cols, values);
  }
}
