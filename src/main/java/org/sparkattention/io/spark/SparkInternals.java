package org.sparkattention.io.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.Partition;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.sparkattention.io.InputSplits;

/**
 * Every use of Spark's internal (non-public, unstable) API outside the Parquet writer, in one
 * place: data frames of internal rows, the rows of a scan's column batches, the file a task reads.
 * Their signatures may move between Spark releases; this class is where to adapt.
 */
public final class SparkInternals {
  private SparkInternals() {}

  /** A data frame of {@code rows}, which must be of {@code schema} (not checked, not copied). */
  public static Dataset<Row> createDataFrame(
      SparkSession spark, RDD<InternalRow> rows, StructType schema) {
    return ((org.apache.spark.sql.classic.SparkSession) spark)
        .internalCreateDataFrame(rows, schema, false);
  }

  /**
   * The file ranges each partition of a file scan's rows reads, in partition order, or null when
   * its partitions are not file scan partitions (Spark plans them before any task runs).
   */
  public static List<InputSplits> inputSplits(JavaRDD<?> scan) {
    List<InputSplits> splits = new ArrayList<>();
    for (Partition p : scan.rdd().partitions()) {
      if (!(p instanceof FilePartition fp)) {
        return null;
      }
      PartitionedFile[] files = fp.files();
      String[] paths = new String[files.length];
      long[] starts = new long[files.length];
      long[] lengths = new long[files.length];
      for (int i = 0; i < files.length; i++) {
        paths[i] = files[i].toPath().toString();
        starts[i] = files[i].start();
        lengths[i] = files[i].length();
      }
      splits.add(new InputSplits(fp.index(), paths, starts, lengths));
    }
    return splits;
  }

  /** The input file the current task is reading, or "" when unknown. */
  public static String currentInputFile() {
    return InputFileBlockHolder.getInputFilePath().toString();
  }

  /**
   * The input's rows. A columnar scan (Parquet's and ORC's vectorized readers) is read batch by
   * batch, its rows viewed in place: the plan's ColumnarToRow would copy every float of a sequence
   * into an UnsafeRow first. The rows are reused, valid until the next one is read.
   */
  @SuppressWarnings("unchecked")
  public static JavaRDD<InternalRow> internalRows(Dataset<Row> df) {
    QueryExecution qe = ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution();
    SparkPlan scan = columnarScan(qe.executedPlan());
    if (scan == null) {
      return qe.toRdd().toJavaRDD();
    }
    return scan.executeColumnar()
        .toJavaRDD()
        .mapPartitions(batches -> new BatchRows(batches), true);
  }

  /**
   * The columnar leaf of a plan that is only a scan converted to rows (whole-stage codegen,
   * ColumnarToRow, input adapter around it), or null for any other plan.
   */
  public static SparkPlan columnarScan(SparkPlan plan) {
    SparkPlan p = plan;
    while (true) {
      if (p instanceof WholeStageCodegenExec w) {
        p = w.child();
      } else if (p instanceof ColumnarToRowExec c) {
        p = c.child();
      } else if (p instanceof InputAdapter a) {
        p = a.child();
      } else {
        break;
      }
    }
    return p != plan && p.supportsColumnar() && p.children().isEmpty() ? p : null;
  }

  /** The rows of a partition's column batches, one reused row view at a time. */
  private static final class BatchRows implements Iterator<InternalRow> {
    private final Iterator<ColumnarBatch> batches;
    private Iterator<InternalRow> rows = Collections.emptyIterator();

    BatchRows(Iterator<ColumnarBatch> batches) {
      this.batches = batches;
    }

    @Override
    public boolean hasNext() {
      while (!rows.hasNext() && batches.hasNext()) {
        rows = batches.next().rowIterator();
      }
      return rows.hasNext();
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return rows.next();
    }
  }
}
