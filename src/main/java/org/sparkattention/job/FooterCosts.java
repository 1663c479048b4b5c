package org.sparkattention.job;

import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.SerializableConfiguration;
import org.sparkattention.io.InputSplits;
import org.sparkattention.io.parquet.RowGroupSizes;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.kernel.CostModel;

/**
 * Each input partition's cost estimated from its Parquet files' footers, before any row is read: a
 * row group's footer gives its rows and the values of its query and key columns (L x E a row), so
 * its mean lengths, and the cost of that many rows of those lengths. A mean length underestimates a
 * row group whose lengths vary (the {@code L x S} term grows with the square), so the estimate only
 * decides whether the input partitions look balanced enough to be the tasks; the run then reports
 * what they really cost.
 */
final class FooterCosts {
  private FooterCosts() {}

  /**
   * The estimated summaries of {@code input}'s partitions, in partition order (rows and cost; no
   * heavy rows, no bad rows), or null when its partitions are not file splits or a footer cannot be
   * read (the checking scan then reports why).
   */
  static List<PartitionSummary> estimate(
      JavaSparkContext sc,
      JavaRDD<InternalRow> input,
      Configuration hadoopConf,
      String queryColumn,
      String keyColumn,
      CostModel costModel,
      boolean headMaps) {
    List<InputSplits> splits = SparkInternals.inputSplits(input);
    if (splits == null || splits.isEmpty()) {
      return splits == null ? null : List.of();
    }
    SerializableConfiguration conf = new SerializableConfiguration(hadoopConf);
    int slices = Math.min(splits.size(), Math.max(1, sc.defaultParallelism()) * 4);
    List<PartitionSummary> estimated =
        sc.parallelize(splits, slices)
            .map(s -> estimate(s, conf.value(), queryColumn, keyColumn, costModel, headMaps))
            .collect();
    return estimated.contains(null) ? null : estimated;
  }

  /** One partition's estimated summary, or null when a footer cannot be read. */
  static PartitionSummary estimate(
      InputSplits s,
      Configuration conf,
      String queryColumn,
      String keyColumn,
      CostModel costModel,
      boolean headMaps) {
    long rows = 0;
    double cost = 0;
    for (int f = 0; f < s.files(); f++) {
      List<long[]> groups;
      try {
        groups =
            RowGroupSizes.read(conf, s.path(f), s.start(f), s.length(f), queryColumn, keyColumn);
      } catch (Exception e) { // an unreadable footer: the scan reports it
        return null;
      }
      for (long[] g : groups) {
        long n = g[0];
        if (n > 0) {
          double queryLen = g[1] / ((double) n * costModel.embedDim());
          double keyLen = g[2] / ((double) n * costModel.kdim());
          rows += n;
          cost += n * costModel.flops(queryLen, keyLen, headMaps);
        }
      }
    }
    return PartitionSummary.of(s.partition(), rows, cost, new int[0], new double[0]);
  }
}
