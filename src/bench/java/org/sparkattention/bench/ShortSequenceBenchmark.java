package org.sparkattention.bench;

import java.util.Collection;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.ml.linalg.DenseMatrix;
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
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;

/**
 * The kernel on many short sequences of random lengths, one thread, self-attention: time per
 * sequence and GFLOP/s, for the shapes of {@code jobs/benchmark.sh}'s short and tiny workloads. Run
 * with {@code jobs/kernel-benchmark.sh --short}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ShortSequenceBenchmark {
  /** Sequences per invocation: every length of the shape's range many times. */
  static final int BATCH = 512;

  @State(Scope.Thread)
  public static class Batch {
    /** E/H/Lmin-Lmax. */
    @Param({"4/1/1-2", "64/4/4-64", "128/4/4-48", "256/8/8-64"})
    public String shape;

    BlockedAttentionKernel kernel;
    AttentionWorkspace ws;
    DenseMatrix[] xs;
    double flops;

    @Setup(Level.Trial)
    public void setUp() {
      Shape s = Shape.parse(shape);
      Random rnd = new Random(7);
      kernel =
          new BlockedAttentionKernel(
              KernelBenchmark.randomWeights(rnd, s.embedDim), AttentionOptions.of(s.heads));
      ws = kernel.newWorkspace();
      xs = new DenseMatrix[BATCH];
      for (int i = 0; i < BATCH; i++) {
        int len = s.minLen + rnd.nextInt(s.maxLen - s.minLen + 1);
        xs[i] = KernelBenchmark.randomMatrix(rnd, len, s.embedDim);
        flops += kernel.flops(len, len, false);
      }
    }
  }

  record Shape(int embedDim, int heads, int minLen, int maxLen) {
    static Shape parse(String s) {
      String[] p = s.split("[/-]");
      return new Shape(
          Integer.parseInt(p[0]),
          Integer.parseInt(p[1]),
          Integer.parseInt(p[2]),
          Integer.parseInt(p[3]));
    }
  }

  /** The whole batch, one sequence at a time. */
  @Benchmark
  public void sequences(Batch b, Blackhole bh) {
    for (DenseMatrix x : b.xs) {
      bh.consume(b.kernel.selfAttention(b.ws, x, null));
    }
  }

  /** Runs the shapes and prints microseconds per sequence and GFLOP/s. Arguments are JMH's. */
  public static void main(String[] args) throws Exception {
    OptionsBuilder opts = new OptionsBuilder();
    opts.parent(new CommandLineOptions(args));
    opts.include(ShortSequenceBenchmark.class.getSimpleName());
    Collection<RunResult> results = new Runner(opts.build()).run();
    System.out.printf(
        "%nkernel products: %s, exp: %s; one thread, %d sequences an invocation%n",
        BlockedAttentionKernel.productImplementation(),
        BlockedAttentionKernel.expImplementation(),
        BATCH);
    System.out.printf("%-14s %12s %9s%n", "E/H/L", "us/sequence", "GFLOP/s");
    for (RunResult r : results) {
      Batch b = new Batch();
      b.shape = r.getParams().getParam("shape");
      b.setUp();
      double us = r.getPrimaryResult().getScore();
      System.out.printf("%-14s %12.2f %9.1f%n", b.shape, us / BATCH, b.flops / (us * 1e3));
    }
  }
}
