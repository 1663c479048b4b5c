package org.sparkattention.job;

import java.io.Serializable;
import org.apache.spark.SparkContext;
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

  JobMetrics(SparkContext sc) {
    sequences = sc.longAccumulator("attention.sequences");
    mapRows = sc.longAccumulator("attention.mapRows");
    fullyMaskedQueries = sc.longAccumulator("attention.fullyMaskedQueries");
    overflowRows = sc.longAccumulator("attention.overflowRows");
    flops = sc.doubleAccumulator("attention.flops");
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
}
