package org.sparkattention.job;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/** What the tasks measure, summed on the driver through accumulators. */
final class JobMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  final LongAccumulator sequences;
  final LongAccumulator mapRows;
  final LongAccumulator fullyMaskedQueries;

  /** Rows whose outputs overflowed (bad rows found in the compute stage). */
  final LongAccumulator overflowRows;

  final DoubleAccumulator flops;
  final LongAccumulator decodeNanos;
  final LongAccumulator computeNanos;
  final LongAccumulator encodeNanos;

  // When the input is read once, the compute tasks check the rows: rows and bad rows read, the
  // first few bad rows of each task (partition, position, id, reason), each task's FLOPs
  // (partition, flops). A few entries per task, none per row.
  final LongAccumulator inputRows;
  final LongAccumulator badInputRows;
  final CollectionAccumulator<String[]> firstBadRows;
  final CollectionAccumulator<double[]> taskFlops;

  JobMetrics(SparkContext sc) {
    sequences = sc.longAccumulator("attention.sequences");
    mapRows = sc.longAccumulator("attention.mapRows");
    fullyMaskedQueries = sc.longAccumulator("attention.fullyMaskedQueries");
    overflowRows = sc.longAccumulator("attention.overflowRows");
    flops = sc.doubleAccumulator("attention.flops");
    inputRows = sc.longAccumulator("attention.inputRows");
    badInputRows = sc.longAccumulator("attention.badInputRows");
    firstBadRows = sc.collectionAccumulator("attention.firstBadRows");
    taskFlops = sc.collectionAccumulator("attention.taskFlops");
    decodeNanos = sc.longAccumulator("attention.decodeNanos");
    computeNanos = sc.longAccumulator("attention.computeNanos");
    encodeNanos = sc.longAccumulator("attention.encodeNanos");
  }

  void sequence(double seqFlops, int fullyMasked, long decode, long compute, long encode) {
    sequences.add(1);
    flops.add(seqFlops);
    fullyMaskedQueries.add(fullyMasked);
    decodeNanos.add(decode);
    computeNanos.add(compute);
    encodeNanos.add(encode);
  }

  /** Map rows of the map dataset made at once (a top-k row holds a head's keys). */
  void mapRows(long rows, long compute, long encode) {
    mapRows.add(rows);
    computeNanos.add(compute);
    encodeNanos.add(encode);
  }

  /** The first {@code n} bad rows the tasks found, in input order, as {id, reason}. */
  List<String[]> firstBadRows(int n) {
    return firstBadRows.value().stream()
        .sorted(
            Comparator.<String[]>comparingInt(r -> Integer.parseInt(r[0]))
                .thenComparingInt(r -> Integer.parseInt(r[1])))
        .limit(n)
        .map(r -> new String[] {r[2], r[3]})
        .toList();
  }

  /** Each task's FLOPs, by task (input partition) index. */
  double[] taskFlops(int tasks) {
    double[] costs = new double[tasks];
    for (double[] t : taskFlops.value()) {
      costs[(int) t[0]] += t[1];
    }
    return costs;
  }
}
