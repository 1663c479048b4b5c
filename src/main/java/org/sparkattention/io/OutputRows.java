package org.sparkattention.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The output, attention-map and bad-row schemas (README, "Output datasets") and their rows, built
 * as Spark internal rows from primitive arrays: carried columns first, in input order, then {@code
 * output}; or {@code head} and {@code weights}; or {@code reason}.
 */
public final class OutputRows implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String OUTPUT = "output";
  public static final String HEAD = "head";
  public static final String WEIGHTS = "weights";
  public static final String REASON = "reason";

  /** {@code array<array<float>>}: one row of values per token. */
  public static final org.apache.spark.sql.types.DataType FLOAT_MATRIX =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType, false), false);

  private final InputLayout layout;

  public OutputRows(InputLayout layout) {
    this.layout = layout;
  }

  public StructType outputSchema() {
    return withCarried(DataTypes.createStructField(OUTPUT, FLOAT_MATRIX, false));
  }

  public StructType mapSchema() {
    return withCarried(
        DataTypes.createStructField(HEAD, DataTypes.IntegerType, true),
        DataTypes.createStructField(WEIGHTS, FLOAT_MATRIX, false));
  }

  /**
   * Outputs and maps in one dataset, as the compute stage hands them to the writer ({@code
   * io.spark.MatrixParquetFormat.OUTPUT_AND_MAPS}): the carried columns, {@code output}, {@code
   * head} and {@code weights}, the columns of the other kind null in each row.
   */
  public StructType outputAndMapSchema() {
    return computedSchema(true, false);
  }

  /**
   * The rows of the compute stage when they are more than outputs ({@code
   * io.spark.MatrixParquetFormat.OUTPUT_AND_MAPS}): the carried columns, {@code output}, with maps
   * {@code head} and {@code weights}, with bad rows {@code reason}; in each row only its own kind's
   * columns are set.
   */
  public StructType computedSchema(boolean maps, boolean badRows) {
    List<StructField> added = new ArrayList<>();
    added.add(DataTypes.createStructField(OUTPUT, FLOAT_MATRIX, true));
    if (maps) {
      added.add(DataTypes.createStructField(HEAD, DataTypes.IntegerType, true));
      added.add(DataTypes.createStructField(WEIGHTS, FLOAT_MATRIX, true));
    }
    if (badRows) {
      added.add(DataTypes.createStructField(REASON, DataTypes.StringType, true));
    }
    return withCarried(added.toArray(new StructField[0]));
  }

  /**
   * The output rows' part of an {@link #outputAndMapSchema} (less any partition columns, as a
   * writer sees it): what {@link #outputSchema} is.
   */
  public static StructType outputPart(StructType outputAndMaps) {
    return part(outputAndMaps, OUTPUT, HEAD, WEIGHTS, REASON);
  }

  /** The map rows' part of an {@link #outputAndMapSchema}: what {@link #mapSchema} is. */
  public static StructType mapPart(StructType outputAndMaps) {
    return part(outputAndMaps, WEIGHTS, OUTPUT, REASON);
  }

  /** The bad rows' part of a {@link #computedSchema}: what {@link #badRowSchema} is. */
  public static StructType badRowPart(StructType computed) {
    return part(computed, REASON, OUTPUT, HEAD, WEIGHTS);
  }

  /** The fields without {@code dropped}, the {@code matrix} field not nullable. */
  private static StructType part(StructType schema, String matrix, String... dropped) {
    List<StructField> fields = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (f.name().equals(matrix)) {
        fields.add(DataTypes.createStructField(f.name(), f.dataType(), false));
      } else if (!Arrays.asList(dropped).contains(f.name())) {
        fields.add(f);
      }
    }
    return DataTypes.createStructType(fields);
  }

  public StructType badRowSchema() {
    return withCarried(DataTypes.createStructField(REASON, DataTypes.StringType, false));
  }

  private StructType withCarried(StructField... added) {
    List<StructField> fields = new ArrayList<>(Arrays.asList(layout.carriedFields()));
    fields.addAll(Arrays.asList(added));
    return DataTypes.createStructType(fields);
  }

  /** An output row: the carried columns of {@code in}, then {@code output} (L x E row-major). */
  public InternalRow output(InternalRow in, double[] rowMajor, int rows, int cols) {
    return row(in, floatMatrix(rowMajor, rows, cols));
  }

  /** An output row of {@link #outputAndMapSchema}: the map columns null. */
  public InternalRow outputWithMapColumns(InternalRow in, double[] rowMajor, int rows, int cols) {
    return row(in, floatMatrix(rowMajor, rows, cols), null, null);
  }

  /** An output row of {@link #computedSchema}: the other kinds' columns null. */
  public InternalRow computedOutput(
      InternalRow in, double[] rowMajor, int rows, int cols, boolean maps, boolean badRows) {
    return computed(in, floatMatrix(rowMajor, rows, cols), null, null, null, maps, badRows);
  }

  /**
   * A map row of {@link #computedSchema}: {@code output} null, {@code head} (null for the mean),
   * {@code weights}.
   */
  public InternalRow map(
      InternalRow in, Integer head, float[] rowMajor, int rows, int cols, boolean badRows) {
    return computed(in, null, head, floatMatrix(rowMajor, rows, cols), null, true, badRows);
  }

  /** A bad row of {@link #computedSchema}: only the carried columns and {@code reason}. */
  public InternalRow computedBadRow(InternalRow in, String reason, boolean maps) {
    return computed(in, null, null, null, UTF8String.fromString(reason), maps, true);
  }

  private InternalRow computed(
      InternalRow in,
      Object output,
      Integer head,
      Object weights,
      Object reason,
      boolean maps,
      boolean badRows) {
    List<Object> added = new ArrayList<>(4);
    added.add(output);
    if (maps) {
      added.add(head);
      added.add(weights);
    }
    if (badRows) {
      added.add(reason);
    }
    return row(in, added.toArray());
  }

  /**
   * A bad row: the carried columns and the reason. A partition value that cannot be a directory
   * name is written as null (its reason says so), else the bad rows could not be written.
   */
  public InternalRow badRow(InternalRow in, String reason) {
    InternalRow row = row(in, UTF8String.fromString(reason));
    int[] carried = layout.carriedOrdinals;
    for (int ord : layout.stringPartitionOrdinals) {
      if (!in.isNullAt(ord)
          && SequenceCodec.directoryNameBytes(
                  layout.schema.fields()[ord].name(), in.getUTF8String(ord))
              > SequenceCodec.MAX_NAME_BYTES) {
        for (int i = 0; i < carried.length; i++) {
          if (carried[i] == ord) {
            row.setNullAt(i);
          }
        }
      }
    }
    return row;
  }

  private InternalRow row(InternalRow in, Object... added) {
    int[] carried = layout.carriedOrdinals;
    Object[] values = new Object[carried.length + added.length];
    StructField[] fields = layout.schema.fields();
    for (int i = 0; i < carried.length; i++) {
      int ord = carried[i];
      values[i] = in.isNullAt(ord) ? null : in.get(ord, fields[ord].dataType());
    }
    System.arraycopy(added, 0, values, carried.length, added.length);
    return new GenericInternalRow(values);
  }

  static GenericArrayData floatMatrix(double[] rowMajor, int rows, int cols) {
    Object[] out = new Object[rows];
    float[] row = new float[cols];
    for (int i = 0; i < rows; i++) {
      int base = i * cols;
      for (int j = 0; j < cols; j++) {
        row[j] = (float) rowMajor[base + j];
      }
      out[i] = UnsafeArrayData.fromPrimitiveArray(row);
    }
    return new GenericArrayData(out);
  }

  static GenericArrayData floatMatrix(float[] rowMajor, int rows, int cols) {
    Object[] out = new Object[rows];
    for (int i = 0; i < rows; i++) {
      out[i] =
          UnsafeArrayData.fromPrimitiveArray(
              rowMajor, Math.toIntExact(Platform.FLOAT_ARRAY_OFFSET + 4L * i * cols), cols, 4);
    }
    return new GenericArrayData(out);
  }
}
