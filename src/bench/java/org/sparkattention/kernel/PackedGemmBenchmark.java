package org.sparkattention.kernel;

import dev.ludovic.netlib.blas.BLAS;
import java.util.Collection;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * A projection of {@code tokens} token rows, {@code W x^T + b} with W E x E, by the fixed-order
 * (batch-invariant) product and by the BLAS's {@code dgemm}, one thread. Run with {@code
 * jobs/kernel-benchmark.sh --packed}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class PackedGemmBenchmark {

  @State(Scope.Thread)
  public static class Projection {
    @Param({"64", "128", "256"})
    public int embedDim;

    @Param({"4", "16", "32", "48", "64", "1024"})
    public int tokens;

    double[] w;
    double[] x;
    double[] c;

    @Setup(Level.Trial)
    public void setUp() {
      Random rnd = new Random(1);
      w = random(rnd, embedDim * embedDim);
      x = random(rnd, tokens * embedDim);
      c = new double[embedDim * tokens];
    }
  }

  @Benchmark
  public void fixedOrder(Projection s) {
    int e = s.embedDim;
    FixedOrderGemm.gemm(e, s.tokens, e, 1.0, s.w, 0, e, s.x, 0, 1, e, false, s.c, 0, e);
  }

  @Benchmark
  public void dgemm(Projection s) {
    int e = s.embedDim;
    BLAS.getInstance().dgemm("N", "N", e, s.tokens, e, 1.0, s.w, 0, e, s.x, 0, e, 0.0, s.c, 0, e);
  }

  /** Runs the shapes and prints each as GFLOP/s. Arguments are JMH's. */
  public static void main(String[] args) throws Exception {
    OptionsBuilder opts = new OptionsBuilder();
    opts.parent(new CommandLineOptions(args));
    opts.include(PackedGemmBenchmark.class.getSimpleName());
    Collection<RunResult> results = new Runner(opts.build()).run();
    System.out.printf(
        "%nBLAS: %s; fixed-order kernel: %s; one thread%n",
        BLAS.getInstance().getClass().getSimpleName(), FixedOrderGemm.implementation());
    System.out.printf("%-11s %5s %7s %10s %9s%n", "product", "E", "tokens", "us/call", "GFLOP/s");
    for (RunResult r : results) {
      int e = Integer.parseInt(r.getParams().getParam("embedDim"));
      int n = Integer.parseInt(r.getParams().getParam("tokens"));
      double us = r.getPrimaryResult().getScore();
      String name = r.getParams().getBenchmark();
      System.out.printf(
          "%-11s %5d %7d %10.3f %9.1f%n",
          name.substring(name.lastIndexOf('.') + 1), e, n, us, 2.0 * e * e * n / (us * 1e3));
    }
  }

  /** {@code size} standard normal values. */
  static double[] random(Random rnd, int size) {
    double[] v = new double[size];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian();
    }
    return v;
  }
}
