package org.sparkattention.io;

import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.types.StructType;

/**
 * Spark's Parquet data source, except that a dataset with float matrices ({@code
 * array<array<float>>} without nulls) is written by {@link MatrixParquetWriter}, which encodes
 * their pages in bulk. Spark's writer goes through Parquet's record API, a handful of calls per
 * float: most of the time the job spent writing. The files are ordinary Parquet, the layout and
 * footer metadata Spark's own; reading, partitioning and the commit protocol are Spark's.
 * Use it with {@code df.write().format(MatrixParquetFormat.class.getName())}.
 */
public class MatrixParquetFormat extends ParquetFileFormat {
  private static final long serialVersionUID = 1L;

  @Override
  public OutputWriterFactory prepareWrite(
      SparkSession session,
      Job job,
      scala.collection.immutable.Map<String, String> options,
      StructType dataSchema) {
    return new Factory(super.prepareWrite(session, job, options, dataSchema));
  }

  /** Spark's Parquet writer factory, with matrix datasets going to the bulk writer. */
  private static final class Factory extends OutputWriterFactory {
    private static final long serialVersionUID = 1L;
    private final OutputWriterFactory parquet;

    Factory(OutputWriterFactory parquet) {
      this.parquet = parquet;
    }

    @Override
    public String getFileExtension(TaskAttemptContext context) {
      return parquet.getFileExtension(context);
    }

    @Override
    public OutputWriter newInstance(String path, StructType schema, TaskAttemptContext context) {
      if (MatrixParquetWriter.handles(schema, context.getConfiguration())) {
        return new MatrixParquetWriter(path, schema, context.getConfiguration());
      }
      return parquet.newInstance(path, schema, context);
    }
  }
}
