package org.sparkattention.io.spark;

import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.execution.datasources.OutputWriterFactory;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.parquet.ParquetOutputWriter;
import org.apache.spark.sql.execution.datasources.parquet.ParquetWriteSupport;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SparkRows;

/**
 * Spark's Parquet data source, except that a dataset with float matrices ({@code
 * array<array<float>>} without nulls) is written by {@link MatrixParquetWriter}, which encodes
 * their pages in bulk. Spark's writer goes through Parquet's record API, a handful of calls per
 * float: most of the time the job spent writing. The files are ordinary Parquet, the layout and
 * footer metadata Spark's own; reading, partitioning and the commit protocol are Spark's. Use it
 * with {@code df.write().format(MatrixParquetFormat.class.getName())}.
 *
 * <p>With the option {@link #OUTPUT_AND_MAPS} set to {@code true}, the rows are outputs and maps
 * together ({@link OutputRows#outputAndMapSchema}): each task writes its output rows to the file
 * Spark names and its map rows to a second file beside it, {@link #MAPS_PREFIX} before the same
 * name. Both are inside the task attempt's directory, so Spark's commit protocol commits them
 * together, once per task; the job then moves the map files into the map dataset.
 */
public class MatrixParquetFormat extends ParquetFileFormat {
  private static final long serialVersionUID = 1L;

  /**
   * Write option: the rows are {@link OutputRows#computedSchema} rows. Lower case: options may
   * reach the format with their keys lower-cased.
   */
  public static final String OUTPUT_AND_MAPS = "spark_attention.output_and_maps";

  /**
   * Write option of an {@link #OUTPUT_AND_MAPS} write: the comma-separated columns its map rows add
   * ({@link OutputRows#mapColumns}); none without maps.
   */
  public static final String MAP_COLUMNS = "spark_attention.map_columns";

  /** How the map files of an {@link #OUTPUT_AND_MAPS} write begin; readers skip such files. */
  public static final String MAPS_PREFIX = "_maps.";

  /**
   * How the bad-row files of an {@link #OUTPUT_AND_MAPS} write begin (rows whose computation
   * overflowed, with {@code bad.rows=quarantine}); written only when a task has one.
   */
  public static final String BAD_ROWS_PREFIX = "_bad.";

  @Override
  public OutputWriterFactory prepareWrite(
      SparkSession session,
      Job job,
      scala.collection.immutable.Map<String, String> options,
      StructType dataSchema) {
    boolean outputAndMaps = options.get(OUTPUT_AND_MAPS).contains("true");
    String mapColumns = options.get(MAP_COLUMNS).getOrElse(() -> "");
    return new Factory(
        super.prepareWrite(session, job, options, dataSchema),
        outputAndMaps,
        mapColumns.isEmpty() ? List.of() : List.of(mapColumns.split(",")));
  }

  /**
   * A file of {@code schema} rows: the bulk writer when it takes them, else Spark's own Parquet
   * writer, given {@code schema} in place of the write's (an {@link #OUTPUT_AND_MAPS} write has
   * two).
   */
  static OutputWriter newWriter(String path, StructType schema, TaskAttemptContext context) {
    return newWriter(path, schema, new int[0], context);
  }

  /**
   * As {@link #newWriter(String, StructType, TaskAttemptContext)}, for rows whose columns at {@code
   * perElement} are arrays of their type: each such row is one file row per element.
   */
  static OutputWriter newWriter(
      String path, StructType schema, int[] perElement, TaskAttemptContext context) {
    if (MatrixParquetWriter.handles(schema, context.getConfiguration())) {
      return new MatrixParquetWriter(path, schema, perElement, context.getConfiguration());
    }
    Configuration conf = new Configuration(context.getConfiguration());
    ParquetWriteSupport.setSchema(schema, conf);
    OutputWriter spark =
        new ParquetOutputWriter(path, new TaskAttemptContextImpl(conf, context.getTaskAttemptID()));
    return perElement.length == 0 ? spark : new RowPerElement(spark, schema, perElement);
  }

  /** Spark's writer given one row per element of the arrays at {@code perElement}. */
  private static final class RowPerElement extends OutputWriter {
    private final OutputWriter writer;
    private final SparkRows columns;
    private final int[] perElement;
    private final DataType[] elementTypes;

    RowPerElement(OutputWriter writer, StructType schema, int[] perElement) {
      this.writer = writer;
      this.perElement = perElement.clone();
      // The rows as they come: the per-element columns hold arrays.
      StructField[] fields = schema.fields().clone();
      elementTypes = new DataType[perElement.length];
      for (int c = 0; c < perElement.length; c++) {
        StructField f = fields[perElement[c]];
        elementTypes[c] = f.dataType();
        fields[perElement[c]] =
            DataTypes.createStructField(
                f.name(), DataTypes.createArrayType(f.dataType(), false), f.nullable());
      }
      int[] all = new int[fields.length];
      Arrays.setAll(all, i -> i);
      columns = new SparkRows(DataTypes.createStructType(fields), all);
    }

    @Override
    public void write(InternalRow row) {
      Object[] values = columns.values(row);
      ArrayData[] arrays = new ArrayData[perElement.length];
      for (int c = 0; c < arrays.length; c++) {
        arrays[c] = row.getArray(perElement[c]);
      }
      for (int i = 0; i < arrays[0].numElements(); i++) {
        Object[] one = values.clone();
        for (int c = 0; c < arrays.length; c++) {
          one[perElement[c]] = arrays[c].get(i, elementTypes[c]);
        }
        writer.write(new GenericInternalRow(one));
      }
    }

    @Override
    public void close() {
      writer.close();
    }

    @Override
    public String path() {
      return writer.path();
    }
  }

  /** Spark's Parquet writer factory (its file names), matrix datasets to the bulk writer. */
  private static final class Factory extends OutputWriterFactory {
    private static final long serialVersionUID = 1L;
    private final OutputWriterFactory parquet;
    private final boolean outputAndMaps;
    private final List<String> mapColumns;

    Factory(OutputWriterFactory parquet, boolean outputAndMaps, List<String> mapColumns) {
      this.parquet = parquet;
      this.outputAndMaps = outputAndMaps;
      this.mapColumns = mapColumns;
    }

    @Override
    public String getFileExtension(TaskAttemptContext context) {
      return parquet.getFileExtension(context);
    }

    @Override
    public OutputWriter newInstance(String path, StructType schema, TaskAttemptContext context) {
      return outputAndMaps
          ? new OutputAndMapsWriter(path, schema, mapColumns, context)
          : newWriter(path, schema, context);
    }
  }
}
