package org.sparkattention.bench;

import dev.ludovic.netlib.blas.BLAS;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.CostModel;

/**
 * Runs {@link KernelBenchmark} and prints each result as GFLOP/s beside single-thread dgemm's,
 * measured in the same run. Arguments are JMH's (for example {@code -p seqLen=1024}).
 */
public final class KernelBenchmarkReport {
  private KernelBenchmarkReport() {}

  public static void main(String[] args) throws Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    List<String> include = new ArrayList<>(cli.getIncludes());
    OptionsBuilder opts = new OptionsBuilder();
    opts.parent(cli);
    if (include.isEmpty()) {
      opts.include(KernelBenchmark.class.getSimpleName());
    }
    Collection<RunResult> results = new Runner(opts.build()).run();

    double gemmGflops = Double.NaN;
    for (RunResult r : results) {
      if (r.getParams().getBenchmark().endsWith(".dgemm")) {
        double n = Double.parseDouble(r.getParams().getParam("n"));
        gemmGflops = 2 * n * n * n / (r.getPrimaryResult().getScore() * 1e6);
      }
    }
    System.out.printf(
        "%nkernel products: %s; dgemm on %s, threads: 1 (OPENBLAS_NUM_THREADS=%s)%n",
        BlockedAttentionKernel.productImplementation(),
        BLAS.getInstance().getClass().getSimpleName(),
        System.getenv("OPENBLAS_NUM_THREADS"));
    System.out.printf("dgemm 1024^3: %.1f GFLOP/s%n", gemmGflops);
    System.out.printf(
        "%-6s %-6s %-6s %12s %10s %12s%n", "L", "maps", "block", "ms/seq", "GFLOP/s", "of dgemm");
    for (RunResult r : results) {
      if (!r.getParams().getBenchmark().endsWith(".attention")) {
        continue;
      }
      int len = Integer.parseInt(r.getParams().getParam("seqLen"));
      // Only heads maps cost a second QK^T; statistics come from the forward pass.
      boolean maps = r.getParams().getParam("maps").equals("heads");
      double ms = r.getPrimaryResult().getScore();
      double flops =
          new CostModel(
                  KernelBenchmark.EMBED_DIM,
                  KernelBenchmark.EMBED_DIM,
                  KernelBenchmark.EMBED_DIM,
                  0,
                  false)
              .flops(len, len, maps);
      double gflops = flops / (ms * 1e6);
      System.out.printf(
          "%-6d %-6s %-6s %12.2f %10.1f %11.0f%%%n",
          len,
          r.getParams().getParam("maps"),
          r.getParams().getParam("blockSize"),
          ms,
          gflops,
          100 * gflops / gemmGflops);
    }
  }
}
