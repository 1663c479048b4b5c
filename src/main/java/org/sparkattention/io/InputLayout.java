package org.sparkattention.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;

/**
 * Where the job finds each part of a sequence in the input schema, checked against the weights on
 * the driver: self-attention ({@code x}) or cross-attention ({@code query}, {@code key}, {@code
 * value}), the optional {@code key_padding_mask}, the id, and the carried columns (every other
 * column, in input order, the id among them).
 */
public final class InputLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Column names the outputs add; a carried column must not use them. */
  static final List<String> RESERVED =
      List.of(OutputRows.OUTPUT, OutputRows.HEAD, OutputRows.WEIGHTS);

  final StructType schema;
  final boolean selfAttention;
  final String idColumn;
  final int idOrdinal;

  /** Ordinals of query, key and value (all the same for self-attention). */
  final int queryOrdinal;

  final int keyOrdinal;
  final int valueOrdinal;
  final String queryColumn;
  final String keyColumn;
  final String valueColumn;

  /** -1 without a mask column. */
  final int maskOrdinal;

  final String maskColumn;
  final boolean queryIsFloat;
  final boolean keyIsFloat;
  final boolean valueIsFloat;
  final int[] carriedOrdinals;
  final int embedDim;
  final int kdim;
  final int vdim;

  /** Ordinals of the string-typed partition.by columns, whose values become directory names. */
  final int[] stringPartitionOrdinals;

  private InputLayout(
      StructType schema,
      boolean selfAttention,
      String idColumn,
      String queryColumn,
      String keyColumn,
      String valueColumn,
      String maskColumn,
      int[] carriedOrdinals,
      int embedDim,
      int kdim,
      int vdim,
      int[] stringPartitionOrdinals) {
    this.schema = schema;
    this.selfAttention = selfAttention;
    this.idColumn = idColumn;
    this.idOrdinal = schema.fieldIndex(idColumn);
    this.queryColumn = queryColumn;
    this.keyColumn = keyColumn;
    this.valueColumn = valueColumn;
    this.queryOrdinal = schema.fieldIndex(queryColumn);
    this.keyOrdinal = schema.fieldIndex(keyColumn);
    this.valueOrdinal = schema.fieldIndex(valueColumn);
    this.maskColumn = maskColumn;
    this.maskOrdinal = maskColumn == null ? -1 : schema.fieldIndex(maskColumn);
    this.queryIsFloat = isFloatMatrix(schema.apply(queryColumn).dataType());
    this.keyIsFloat = isFloatMatrix(schema.apply(keyColumn).dataType());
    this.valueIsFloat = isFloatMatrix(schema.apply(valueColumn).dataType());
    this.carriedOrdinals = carriedOrdinals;
    this.embedDim = embedDim;
    this.kdim = kdim;
    this.vdim = vdim;
    this.stringPartitionOrdinals = stringPartitionOrdinals;
  }

  /**
   * Checks {@code schema} against the column names and the weights' dimensions.
   *
   * @param partitionBy output partition columns, which must be carried scalar columns
   * @throws AttentionException (INPUT) naming the column, what was expected and what was found
   */
  public static InputLayout resolve(
      StructType schema,
      String idColumn,
      String xColumn,
      String queryColumn,
      String keyColumn,
      String valueColumn,
      String maskColumn,
      List<String> partitionBy,
      int embedDim,
      int kdim,
      int vdim) {
    List<String> names = Arrays.asList(schema.fieldNames());
    boolean self = names.contains(xColumn);
    if (!self
        && !(names.contains(queryColumn)
            || names.contains(keyColumn)
            || names.contains(valueColumn))) {
      throw UserErrors.noSequenceColumns(xColumn, queryColumn, keyColumn, valueColumn, names);
    }
    if (self) {
      requireMatrix(schema, xColumn);
      if (kdim != embedDim || vdim != embedDim) {
        throw UserErrors.selfAttentionNeedsEqualDims(xColumn, kdim, vdim, embedDim);
      }
      queryColumn = xColumn;
      keyColumn = xColumn;
      valueColumn = xColumn;
    } else {
      for (String c : List.of(queryColumn, keyColumn, valueColumn)) {
        requireColumn(names, c, "cross-attention needs query, key and value columns");
        requireMatrix(schema, c);
      }
    }
    requireColumn(names, idColumn, "every row needs an id; set columns.id to the id column");
    DataType idType = schema.apply(idColumn).dataType();
    if (!isScalar(idType)) {
      throw UserErrors.idNotScalar(idColumn, idType.simpleString());
    }
    String mask = names.contains(maskColumn) ? maskColumn : null;
    if (mask != null) {
      DataType t = schema.apply(mask).dataType();
      if (!(t instanceof ArrayType a && a.elementType() instanceof BooleanType)) {
        throw UserErrors.maskType(mask, t.simpleString());
      }
    }
    List<String> sequenceColumns = new ArrayList<>(List.of(queryColumn, keyColumn, valueColumn));
    if (mask != null) {
      sequenceColumns.add(mask);
    }
    List<Integer> carried = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      if (sequenceColumns.contains(n)) {
        continue;
      }
      if (RESERVED.stream().anyMatch(r -> r.equalsIgnoreCase(n))) {
        throw UserErrors.carriedColumnCollides(n, RESERVED);
      }
      carried.add(i);
    }
    for (String p : partitionBy) {
      if (!names.contains(p) || sequenceColumns.contains(p)) {
        throw UserErrors.partitionColumnNotCarried(p, carried.stream().map(names::get).toList());
      }
      if (!isScalar(schema.apply(p).dataType())) {
        throw UserErrors.partitionColumnNotScalar(p);
      }
    }
    int[] stringPartitions =
        partitionBy.stream()
            .filter(p -> schema.apply(p).dataType() instanceof StringType)
            .mapToInt(schema::fieldIndex)
            .toArray();
    return new InputLayout(
        schema,
        self,
        idColumn,
        queryColumn,
        keyColumn,
        valueColumn,
        mask,
        carried.stream().mapToInt(Integer::intValue).toArray(),
        embedDim,
        kdim,
        vdim,
        stringPartitions);
  }

  private static void requireColumn(List<String> names, String column, String why) {
    if (!names.contains(column)) {
      throw UserErrors.columnMissing(column, why, names);
    }
  }

  private static void requireMatrix(StructType schema, String column) {
    DataType t = schema.apply(column).dataType();
    if (!(t instanceof ArrayType outer
        && outer.elementType() instanceof ArrayType inner
        && (inner.elementType() instanceof FloatType
            || inner.elementType() instanceof DoubleType))) {
      throw UserErrors.sequenceType(column, t.simpleString());
    }
  }

  private static boolean isFloatMatrix(DataType t) {
    return ((ArrayType) ((ArrayType) t).elementType()).elementType() instanceof FloatType;
  }

  private static boolean isScalar(DataType t) {
    return !(t instanceof ArrayType || t instanceof StructType || t instanceof MapType);
  }

  public boolean selfAttention() {
    return selfAttention;
  }

  public StructType schema() {
    return schema;
  }

  /** The column of the queries (x for self-attention). */
  public String queryColumn() {
    return queryColumn;
  }

  /** The column of the keys (x for self-attention). */
  public String keyColumn() {
    return keyColumn;
  }

  /** The carried columns' fields, in input order. */
  public StructField[] carriedFields() {
    StructField[] f = new StructField[carriedOrdinals.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = schema.fields()[carriedOrdinals[i]];
    }
    return f;
  }

  public boolean hasMask() {
    return maskOrdinal >= 0;
  }
}
