package org.sparkattention.bench;

import dev.ludovic.netlib.blas.BLAS;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's dgemm GFLOP/s with one single-threaded dgemm per core at once, as Spark runs tasks:
 * {@code DgemmBaseline THREADS}. Prints the median of 5 rounds of the summed rate.
 */
public final class DgemmBaseline {
  private DgemmBaseline() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int n = 1024;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    double[] rounds = new double[5];
    for (int round = -1; round < rounds.length; round++) {
      List<Callable<Double>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        work.add(
            () -> {
              Random rnd = new Random(1);
              double[] a = new double[n * n];
              double[] b = new double[n * n];
              double[] c = new double[n * n];
              for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextGaussian();
                b[i] = rnd.nextGaussian();
              }
              long t0 = System.nanoTime();
              int reps = 8;
              for (int r = 0; r < reps; r++) {
                BLAS.getInstance().dgemm("N", "N", n, n, n, 1.0, a, n, b, n, 0.0, c, n);
              }
              return reps * 2.0 * n * n * n / (System.nanoTime() - t0);
            });
      }
      double sum = 0;
      for (Future<Double> f : pool.invokeAll(work)) {
        sum += f.get();
      }
      if (round >= 0) {
        rounds[round] = sum;
      }
    }
    pool.shutdown();
    Arrays.sort(rounds);
    System.out.printf(
        "{\"threads\": %d, \"dgemm_gflops_per_second\": %.1f, \"blas\": \"%s\"}%n",
        threads, rounds[rounds.length / 2], BLAS.getInstance().getClass().getSimpleName());
  }
}
