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
 * The products of one L = 1024 sequence (E = 256, H = 8, tile 256), each alone on one thread, by
 * the kernel's fixed-order product with the operands laid out as the kernel lays them out, and by
 * the BLAS's {@code dgemm} on the same shape (column-major, no transposes); {@code square} is
 * 1024^3. Which product is furthest from {@code dgemm}. Run with {@code jobs/kernel-benchmark.sh
 * --shapes}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProductShapesBenchmark {
  private static final int E = 256;
  private static final int HEAD_DIM = 32;
  private static final int TOKENS = 1024;
  private static final int TILE = 256;

  /** One product: its dimensions, and the fixed-order call's layout. */
  @State(Scope.Thread)
  public static class Shape {
    /**
     * square: 1024^3; projection: W x^T (W's columns E + 8 apart, as {@code Projections} keeps
     * them); scores: a key tile by a query tile, keys-major with the sequence's 1024 keys as the
     * leading dimension; context: V_tile^T P into a head's context.
     */
    @Param({"square", "projection", "scores", "context"})
    public String shape;

    int m;
    int n;
    int k;
    int lda;
    int bStrideK;
    int bStrideN;
    double alpha;
    boolean accumulate;
    double[] a;
    double[] b;
    double[] c;

    @Setup(Level.Trial)
    public void setUp() {
      configure();
      Random rnd = new Random(1);
      a = PackedGemmBenchmark.random(rnd, lda * k);
      b = PackedGemmBenchmark.random(rnd, Math.max(bStrideK, bStrideN) * Math.max(n, k));
      c = PackedGemmBenchmark.random(rnd, m * n);
    }

    /** The shape's dimensions and layout, from {@link #shape}; no operands. */
    void configure() {
      switch (shape) {
        case "square" -> set(1024, 1024, 1024, 1024, 1, 1024, 1.0, false);
        case "projection" -> set(E, TOKENS, E, E + 8, 1, E, 1.0, true);
        case "scores" -> set(TILE, TILE, HEAD_DIM, TOKENS, 1, HEAD_DIM, 0.17, false);
        case "context" -> set(HEAD_DIM, TILE, TILE, HEAD_DIM, 1, TILE, 1.0, true);
        default -> throw new IllegalArgumentException("shape " + shape);
      }
    }

    private void set(
        int m, int n, int k, int lda, int bStrideK, int bStrideN, double alpha, boolean acc) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.lda = lda;
      this.bStrideK = bStrideK;
      this.bStrideN = bStrideN;
      this.alpha = alpha;
      this.accumulate = acc;
    }

    double flops() {
      return 2.0 * m * n * k;
    }
  }

  @Benchmark
  public void fixedOrder(Shape s) {
    FixedOrderGemm.gemm(
        s.m,
        s.n,
        s.k,
        s.alpha,
        s.a,
        0,
        s.lda,
        s.b,
        0,
        s.bStrideK,
        s.bStrideN,
        s.accumulate,
        s.c,
        0,
        s.m);
  }

  /** The same product by {@code dgemm}: A m x k and B k x n column-major, C m x n. */
  @Benchmark
  public void dgemm(Shape s) {
    BLAS.getInstance()
        .dgemm(
            "N",
            "N",
            s.m,
            s.n,
            s.k,
            s.alpha,
            s.a,
            0,
            s.m,
            s.b,
            0,
            s.k,
            s.accumulate ? 1.0 : 0.0,
            s.c,
            0,
            s.m);
  }

  /** Runs the shapes and prints each as GFLOP/s. Arguments are JMH's. */
  public static void main(String[] args) throws Exception {
    OptionsBuilder opts = new OptionsBuilder();
    opts.parent(new CommandLineOptions(args));
    opts.include(ProductShapesBenchmark.class.getSimpleName());
    Collection<RunResult> results = new Runner(opts.build()).run();
    System.out.printf(
        "%nBLAS: %s; fixed-order kernel: %s; one thread%n",
        BLAS.getInstance().getClass().getSimpleName(), FixedOrderGemm.implementation());
    System.out.printf(
        "%-11s %-11s %-16s %10s %9s%n", "product", "shape", "m x n x k", "us/call", "GFLOP/s");
    for (RunResult r : results) {
      Shape s = new Shape();
      s.shape = r.getParams().getParam("shape");
      s.configure();
      double us = r.getPrimaryResult().getScore();
      String name = r.getParams().getBenchmark();
      System.out.printf(
          "%-11s %-11s %-16s %10.1f %9.1f%n",
          name.substring(name.lastIndexOf('.') + 1),
          s.shape,
          s.m + " x " + s.n + " x " + s.k,
          us,
          s.flops() / (us * 1e3));
    }
  }
}
