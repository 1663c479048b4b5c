package org.sparkattention.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.spark.MatrixParquetFormat;
import org.sparkattention.io.spark.SparkInternals;

/**
 * The layout of the datasets a run adds to or creates: an existing dataset that {@code append} or
 * {@code overwrite-partitions} writes into must have the run's partition columns and columns (a mix
 * would read differently in each engine), and a run without rows still writes a file that holds the
 * schema.
 */
final class DatasetLayouts {
  /** The directory name Spark and Hive give a null partition value. */
  static final String NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__";

  private DatasetLayouts() {}

  /**
   * Refuses to add to an existing dataset of another layout: its partition columns (from its
   * directories) and its columns (names without case, types) must be the run's.
   *
   * @param schema the dataset's columns as the run writes them, partition columns included
   * @throws AttentionException (OUTPUT) naming the path, both layouts and the fixes
   */
  static void requireCompatible(
      SparkSession spark, StagedDataset d, StructType schema, List<String> partitionBy) {
    if (!d.mode().addsToExisting() || !d.targetExists()) {
      return;
    }
    List<String> existingPartitions = d.existingPartitionColumns();
    if (existingPartitions == null) {
      return; // no data file yet: nothing to mix with
    }
    String found;
    try {
      StructType existing = spark.read().parquet(d.targetPath()).schema();
      found = describe(existing, existingPartitions);
    } catch (Exception e) { // Spark's AnalysisException is checked in Java
      throw UserErrors.existingDatasetUnreadable(
          d.what(), String.valueOf(d.targetPath()), InputScan.firstLine(e), d.mode().configName());
    }
    String expected = describe(schema, partitionBy);
    if (!found.equals(expected)) {
      throw UserErrors.existingLayoutDiffers(
          d.what(), String.valueOf(d.targetPath()), found, expected, d.mode().configName());
    }
  }

  /** "partitioned by [..] with columns [name type, ..]", names lower case, partitions last. */
  private static String describe(StructType schema, List<String> partitions) {
    List<String> parts = partitions.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
    List<String> columns = new ArrayList<>();
    for (StructField f : schema.fields()) {
      String name = f.name().toLowerCase(Locale.ROOT);
      if (!parts.contains(name)) {
        columns.add(name + " " + f.dataType().catalogString());
      }
    }
    return (parts.isEmpty() ? "not partitioned" : "partitioned by " + parts)
        + " with columns "
        + columns;
  }

  /**
   * Writes one empty Parquet file of {@code schema} into {@code d}'s staging when the run wrote no
   * data file there and the dataset will hold nothing else: a dataset without files has no schema,
   * and readers refuse it. A partitioned dataset gets it under the null partition ({@code
   * col=__HIVE_DEFAULT_PARTITION__}), so that its layout stays the partitioned one.
   */
  static void writeEmptyWhereNeeded(
      SparkSession spark,
      StagedDataset d,
      StructType schema,
      List<String> partitionBy,
      String fileToken) {
    boolean addsToExisting = d.targetExists() && d.mode().addsToExisting();
    if (d.hasDataFiles() || addsToExisting) {
      return;
    }
    List<StructField> data = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (!partitionBy.contains(f.name())) {
        data.add(f);
      }
    }
    StringBuilder dir = new StringBuilder(d.stagingPath());
    for (String p : partitionBy) {
      dir.append('/').append(p).append('=').append(NULL_PARTITION);
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<InternalRow> none = sc.parallelize(List.<InternalRow>of(), 1);
    FileNames.save(
        spark,
        SparkInternals.createDataFrame(
                spark, none.rdd(), new StructType(data.toArray(new StructField[0])))
            .write()
            .mode(partitionBy.isEmpty() ? SaveMode.Append : SaveMode.ErrorIfExists)
            .format(MatrixParquetFormat.class.getName()),
        fileToken,
        dir.toString());
    if (!partitionBy.isEmpty()) {
      // The write's own marker inside the partition directory: the dataset has one at its top.
      try {
        Path marker = new Path(dir.toString(), "_SUCCESS");
        marker.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(marker, false);
      } catch (IOException e) {
        // A marker inside a partition directory is harmless to readers.
      }
    }
  }
}
