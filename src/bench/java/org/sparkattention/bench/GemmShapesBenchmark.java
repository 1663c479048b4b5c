package org.sparkattention.bench;

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
 * The dgemm calls the kernel makes for one L = 1024 sequence (E = 256, H = 8, tile 256), each alone
 * on one thread, beside {@code dgemm} 1024^3: how fast OpenBLAS runs the kernel's shapes. Run with
 * {@code jobs/kernel-benchmark.sh --shapes}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GemmShapesBenchmark {

  /** One dgemm shape with the transposes and beta the kernel uses. */
  @State(Scope.Thread)
  public static class Shape {
    /** square: dgemm 1024^3; projection: W x^T; scores: K_tile Q_tile^T; context: V_tile P. */
    @Param({"square", "projection", "scores", "context"})
    public String shape;

    String transA;
    String transB;
    int m;
    int n;
    int k;
    int lda;
    int ldb;
    double beta;
    double[] a;
    double[] b;
    double[] c;

    @Setup(Level.Trial)
    public void setUp() {
      configure();
      Random rnd = new Random(1);
      a = KernelBenchmark.randomMatrix(rnd, m, k).values();
      b = KernelBenchmark.randomMatrix(rnd, k, n).values();
      c = new double[m * n];
    }

    /** The shape's dimensions, transposes and beta, from {@link #shape}; no matrices. */
    void configure() {
      int e = KernelBenchmark.EMBED_DIM;
      int headDim = e / KernelBenchmark.HEADS;
      int tile = 256;
      switch (shape) {
        case "square" -> set("N", "N", 1024, 1024, 1024, 1024, 1024, 0.0);
        case "projection" -> set("N", "T", e, 1024, e, e, 1024, 1.0);
        case "scores" -> set("T", "N", tile, tile, headDim, headDim, headDim, 0.0);
        case "context" -> set("N", "N", headDim, tile, tile, headDim, tile, 1.0);
        default -> throw new IllegalArgumentException("shape " + shape);
      }
    }

    private void set(String ta, String tb, int m, int n, int k, int lda, int ldb, double beta) {
      this.transA = ta;
      this.transB = tb;
      this.m = m;
      this.n = n;
      this.k = k;
      this.lda = lda;
      this.ldb = ldb;
      this.beta = beta;
    }

    double flops() {
      return 2.0 * m * n * k;
    }
  }

  @Benchmark
  public void gemm(Shape s) {
    BLAS.getInstance()
        .dgemm(
            s.transA, s.transB, s.m, s.n, s.k, 1.0, s.a, 0, s.lda, s.b, 0, s.ldb, s.beta, s.c, 0,
            s.m);
  }

  /** Runs the shapes and prints each as GFLOP/s. Arguments are JMH's. */
  public static void main(String[] args) throws Exception {
    OptionsBuilder opts = new OptionsBuilder();
    opts.parent(new CommandLineOptions(args));
    opts.include(GemmShapesBenchmark.class.getSimpleName());
    Collection<RunResult> results = new Runner(opts.build()).run();
    System.out.printf("%nBLAS: %s, one thread%n", BLAS.getInstance().getClass().getSimpleName());
    System.out.printf("%-11s %-22s %10s %9s%n", "shape", "m x n x k (op)", "us/call", "GFLOP/s");
    for (RunResult r : results) {
      Shape s = new Shape();
      s.shape = r.getParams().getParam("shape");
      s.configure();
      double us = r.getPrimaryResult().getScore();
      System.out.printf(
          "%-11s %-22s %10.1f %9.1f%n",
          s.shape,
          s.m + " x " + s.n + " x " + s.k + " (" + s.transA + s.transB + ")",
          us,
          s.flops() / (us * 1e3));
    }
  }
}
