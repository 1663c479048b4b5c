package org.sparkattention.io.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.execution.datasources.OutputWriter;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SparkRows;

/**
 * One task's file of {@link OutputRows#computedSchema} rows, written as up to three Parquet files,
 * each with its own dataset's schema: the output rows to {@code path}, the map rows to {@link
 * MatrixParquetFormat#MAPS_PREFIX} + its name in the same directory, the bad rows (a non-null
 * {@code reason}) to {@link MatrixParquetFormat#BAD_ROWS_PREFIX} + its name, made at the first one.
 * A row with a null {@code output} and no reason is a map row.
 */
final class OutputAndMapsWriter extends OutputWriter {
  private final String path;
  private final StructType schema;
  private final List<String> mapColumns;
  private final TaskAttemptContext context;
  private final int outputOrdinal;

  /** -1 without bad rows. */
  private final int reasonOrdinal;

  private final Part outputs;

  /** null without maps. */
  private final Part maps;

  /** null until the task's first bad row. */
  private Part badRows;

  OutputAndMapsWriter(
      String path, StructType schema, List<String> mapColumns, TaskAttemptContext context) {
    this.path = path;
    this.schema = schema;
    this.mapColumns = mapColumns;
    this.context = context;
    outputOrdinal = schema.fieldIndex(OutputRows.OUTPUT);
    reasonOrdinal = Arrays.asList(schema.fieldNames()).indexOf(OutputRows.REASON);
    outputs = new Part(path, schema, OutputRows.outputPart(schema, mapColumns), context);
    Part m = null;
    if (!mapColumns.isEmpty()) {
      try {
        m =
            new Part(
                beside(MatrixParquetFormat.MAPS_PREFIX),
                schema,
                OutputRows.mapPart(schema, mapColumns),
                context);
      } catch (RuntimeException | Error e) {
        outputs.writer.close();
        throw e;
      }
    }
    maps = m;
  }

  private String beside(String prefix) {
    Path p = new Path(path);
    return new Path(p.getParent(), prefix + p.getName()).toString();
  }

  @Override
  public void write(InternalRow row) {
    if (reasonOrdinal >= 0 && !row.isNullAt(reasonOrdinal)) {
      if (badRows == null) {
        badRows =
            new Part(
                beside(MatrixParquetFormat.BAD_ROWS_PREFIX),
                schema,
                OutputRows.badRowPart(schema, mapColumns),
                context);
      }
      badRows.write(row);
    } else {
      (row.isNullAt(outputOrdinal) ? maps : outputs).write(row);
    }
  }

  @Override
  public void close() {
    try {
      outputs.writer.close();
    } finally {
      try {
        if (maps != null) {
          maps.writer.close();
        }
      } finally {
        if (badRows != null) {
          badRows.writer.close();
        }
      }
    }
  }

  @Override
  public String path() {
    return path;
  }

  /** One of the files: its writer, and where its columns are in the combined rows. */
  private static final class Part {
    final OutputWriter writer;
    final SparkRows columns;

    Part(String path, StructType combined, StructType schema, TaskAttemptContext context) {
      String[] names = schema.fieldNames();
      int[] sourceOrdinals = new int[names.length];
      // Columns this file has as single values and the combined rows as arrays
      // (OutputRows.PER_KEY): a combined row is one file row per element.
      List<Integer> perElement = new ArrayList<>();
      for (int i = 0; i < names.length; i++) {
        sourceOrdinals[i] = combined.fieldIndex(names[i]);
        DataType own = schema.fields()[i].dataType();
        if (combined.fields()[sourceOrdinals[i]].dataType() instanceof ArrayType a
            && a.elementType().equals(own)
            && !(own instanceof ArrayType)) {
          perElement.add(i);
        }
      }
      columns = new SparkRows(combined, sourceOrdinals);
      writer =
          MatrixParquetFormat.newWriter(
              path, schema, perElement.stream().mapToInt(Integer::intValue).toArray(), context);
    }

    /** The row's columns of this file, by reference (no values are copied). */
    void write(InternalRow row) {
      writer.write(new GenericInternalRow(columns.values(row)));
    }
  }
}
