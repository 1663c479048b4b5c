package org.sparkattention.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Random;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;

/**
 * One long self-attention sequence (default L = S = 32768, E = 256, H = 8, maps off) in whatever
 * heap the JVM was given: {@code jobs/kernel-benchmark.sh --memory} runs it with {@code -Xmx2g}.
 * Dense attention would need L x S x 8 bytes = 8 GiB for one head's scores alone.
 */
public final class KernelMemoryCheck {
  private KernelMemoryCheck() {}

  public static void main(String[] args) {
    int len = args.length > 0 ? Integer.parseInt(args[0]) : 32768;
    int e = KernelBenchmark.EMBED_DIM;
    Random rnd = new Random(42);
    BlockedAttentionKernel kernel =
        new BlockedAttentionKernel(
            KernelBenchmark.randomWeights(rnd, e), AttentionOptions.of(KernelBenchmark.HEADS));
    DenseMatrix x = KernelBenchmark.randomMatrix(rnd, len, e);
    AttentionWorkspace ws = kernel.newWorkspace();
    long t0 = System.nanoTime();
    DenseMatrix out = kernel.selfAttention(ws, x, null);
    double seconds = (System.nanoTime() - t0) / 1e9;
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    double finite = 0;
    for (double v : out.values()) {
      finite += Double.isFinite(v) ? 1 : 0;
    }
    System.out.printf(
        "L = S = %d, E = %d, H = %d, maps off: %.1f s, %.1f GFLOP/s, max heap %d MiB,"
            + " peak heap used %d MiB (sum of pool peaks), workspace %d MiB, dense L x S"
            + " scores for one head would be %d MiB; finite outputs %.0f of %d; products %s, exp %s%n",
        len,
        e,
        KernelBenchmark.HEADS,
        seconds,
        kernel.flops(len, len, false) / seconds / 1e9,
        Runtime.getRuntime().maxMemory() >> 20,
        peak >> 20,
        ws.bufferedDoubles() * 8 >> 20,
        (long) len * len * 8 >> 20,
        finite,
        out.values().length,
        BlockedAttentionKernel.productImplementation(),
        BlockedAttentionKernel.expImplementation());
  }
}
