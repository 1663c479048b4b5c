package org.sparkattention.io;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * One task's file of {@link OutputRows#outputAndMapSchema} rows, written as two Parquet files:
 * the output rows to {@code path}, the map rows to {@link MatrixParquetFormat#MAPS_PREFIX} +
 * its name in the same directory, each with its own dataset's schema. A row with a null {@code
 * output} is a map row.
 */
final class OutputAndMapsWriter extends OutputWriter {
  private final String path;
  private final int outputOrdinal;
  private final Part outputs;
  private final Part maps;

  OutputAndMapsWriter(String path, StructType schema, TaskAttemptContext context) {
    this.path = path;
    outputOrdinal = schema.fieldIndex(OutputRows.OUTPUT);
    outputs = new Part(path, schema, OutputRows.outputPart(schema), context);
    Path p = new Path(path);
    String mapsPath =
        new Path(p.getParent(), MatrixParquetFormat.MAPS_PREFIX + p.getName()).toString();
    Part m;
    try {
      m = new Part(mapsPath, schema, OutputRows.mapPart(schema), context);
    } catch (RuntimeException | Error e) {
      outputs.writer.close();
      throw e;
    }
    maps = m;
  }

  @Override
  public void write(InternalRow row) {
    (row.isNullAt(outputOrdinal) ? maps : outputs).write(row);
  }

  @Override
  public void close() {
    try {
      outputs.writer.close();
    } finally {
      maps.writer.close();
    }
  }

  @Override
  public String path() {
    return path;
  }

  /** One of the two files: its writer, and where its columns are in the combined rows. */
  private static final class Part {
    final OutputWriter writer;
    final int[] sourceOrdinals;
    final DataType[] types;

    Part(String path, StructType combined, StructType schema, TaskAttemptContext context) {
      String[] names = schema.fieldNames();
      sourceOrdinals = new int[names.length];
      types = new DataType[names.length];
      for (int i = 0; i < names.length; i++) {
        sourceOrdinals[i] = combined.fieldIndex(names[i]);
        types[i] = schema.fields()[i].dataType();
      }
      writer = MatrixParquetFormat.newWriter(path, schema, context);
    }

    /** The row's columns of this file, by reference (no values are copied). */
    void write(InternalRow row) {
      Object[] values = new Object[sourceOrdinals.length];
      for (int i = 0; i < values.length; i++) {
        int ord = sourceOrdinals[i];
        values[i] = row.isNullAt(ord) ? null : row.get(ord, types[i]);
      }
      writer.write(new GenericInternalRow(values));
    }
  }
}
