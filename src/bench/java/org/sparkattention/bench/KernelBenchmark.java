package org.sparkattention.bench;

import dev.ludovic.netlib.blas.BLAS;
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
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.AttentionWorkspace;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.QueryStatistics;
import org.sparkattention.model.AttentionWeights;

/**
 * The kernel's speed on one sequence (self-attention, E = 256, H = 8), beside plain dgemm on the
 * same thread. Run with {@code jobs/kernel-benchmark.sh}, which turns times into GFLOP/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KernelBenchmark {
  public static final int EMBED_DIM = 256;
  public static final int HEADS = 8;

  /** One sequence of attention. */
  @State(Scope.Thread)
  public static class AttentionState {
    @Param({"128", "1024", "4096"})
    public int seqLen;

    /** none, heads (every head's map computed again), summary or topk (statistics, K = 8). */
    @Param({"none", "heads"})
    public String maps;

    @Param({"256"})
    public int blockSize;

    BlockedAttentionKernel kernel;
    AttentionWorkspace ws;
    DenseMatrix x;
    QueryStatistics stats;

    @Setup(Level.Trial)
    public void setUp() {
      Random rnd = new Random(42);
      kernel =
          new BlockedAttentionKernel(
              randomWeights(rnd, EMBED_DIM), AttentionOptions.of(HEADS).withBlockSize(blockSize));
      ws = kernel.newWorkspace();
      x = randomMatrix(rnd, seqLen, EMBED_DIM);
      if (maps.equals("summary") || maps.equals("topk")) {
        stats = maps.equals("topk") ? new QueryStatistics(8, false) : new QueryStatistics(0);
      }
    }
  }

  /** Square dgemm of edge n, the yardstick. */
  @State(Scope.Thread)
  public static class GemmState {
    @Param({"1024"})
    public int n;

    double[] a;
    double[] b;
    double[] c;

    @Setup(Level.Trial)
    public void setUp() {
      Random rnd = new Random(1);
      a = randomMatrix(rnd, n, n).values();
      b = randomMatrix(rnd, n, n).values();
      c = new double[n * n];
    }
  }

  @Benchmark
  public void attention(AttentionState s, Blackhole bh) {
    DenseMatrix out =
        s.stats == null
            ? s.kernel.selfAttention(s.ws, s.x, null)
            : s.kernel.forward(s.ws, s.x, s.x, s.x, null, null, s.stats);
    bh.consume(out);
    if (s.maps.equals("heads")) {
      for (int h = 0; h < s.kernel.numHeads(); h++) {
        s.kernel.headMap(s.ws, h, (q0, qn, kn, rows) -> bh.consume(rows[0]));
      }
    }
  }

  @Benchmark
  public void dgemm(GemmState s) {
    BLAS.getInstance()
        .dgemm("N", "N", s.n, s.n, s.n, 1.0, s.a, 0, s.n, s.b, 0, s.n, 0.0, s.c, 0, s.n);
  }

  static AttentionWeights randomWeights(Random rnd, int e) {
    double s = 1.0 / Math.sqrt(e);
    return new AttentionWeights(
        scaled(randomMatrix(rnd, e, e), s),
        scaled(randomMatrix(rnd, e, e), s),
        scaled(randomMatrix(rnd, e, e), s),
        new double[e],
        new double[e],
        new double[e],
        scaled(randomMatrix(rnd, e, e), s),
        new double[e],
        null,
        null);
  }

  static DenseMatrix randomMatrix(Random rnd, int rows, int cols) {
    double[] v = new double[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian();
    }
    return new DenseMatrix(rows, cols, v, true);
  }

  private static DenseMatrix scaled(DenseMatrix m, double s) {
    double[] v = m.values();
    for (int i = 0; i < v.length; i++) {
      v[i] *= s;
    }
    return m;
  }
}
