package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.spark.SparkInternals;

/** Writing test inputs and reading written outputs and maps back as plain arrays. */
final class TestDatasets {
  private TestDatasets() {}

  static final DataType DOUBLE_MATRIX =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType, false), false);

  /** One input sequence: id, label (carried), query (and key, value for cross), mask or null. */
  record Sequence(
      long id,
      String label,
      DenseMatrix query,
      DenseMatrix key,
      DenseMatrix value,
      boolean[] mask) {}

  /** Writes sequences as Parquet: id, label, x or query/key/value (double), key_padding_mask. */
  static void write(SparkSession spark, List<Sequence> seqs, boolean cross, String path) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField("id", DataTypes.LongType, false));
    fields.add(DataTypes.createStructField("label", DataTypes.StringType, true));
    if (cross) {
      fields.add(DataTypes.createStructField("query", DOUBLE_MATRIX, false));
      fields.add(DataTypes.createStructField("key", DOUBLE_MATRIX, false));
      fields.add(DataTypes.createStructField("value", DOUBLE_MATRIX, false));
    } else {
      fields.add(DataTypes.createStructField("x", DOUBLE_MATRIX, false));
    }
    boolean hasMask = seqs.stream().anyMatch(s -> s.mask() != null);
    if (hasMask) {
      fields.add(
          DataTypes.createStructField(
              "key_padding_mask", DataTypes.createArrayType(DataTypes.BooleanType, false), true));
    }
    StructType schema = DataTypes.createStructType(fields);
    List<InternalRow> rows = new ArrayList<>();
    for (Sequence s : seqs) {
      List<Object> v = new ArrayList<>();
      v.add(s.id());
      v.add(UTF8String.fromString(s.label()));
      v.add(matrix(s.query()));
      if (cross) {
        v.add(matrix(s.key()));
        v.add(matrix(s.value()));
      }
      if (hasMask) {
        v.add(s.mask() == null ? null : UnsafeArrayData.fromPrimitiveArray(s.mask()));
      }
      rows.add(new GenericInternalRow(v.toArray()));
    }
    var rdd =
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(rows, Math.min(3, Math.max(1, rows.size())));
    SparkInternals.createDataFrame(spark, rdd.rdd(), schema)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(path);
  }

  static GenericArrayData matrix(DenseMatrix m) {
    Object[] rows = new Object[m.numRows()];
    for (int i = 0; i < m.numRows(); i++) {
      double[] r = new double[m.numCols()];
      for (int j = 0; j < r.length; j++) {
        r[j] = m.apply(i, j);
      }
      rows[i] = UnsafeArrayData.fromPrimitiveArray(r);
    }
    return new GenericArrayData(rows);
  }

  /** A row's {@code array<array<float>>} column as float[rows][cols]. */
  static float[][] floats(Row row, String column) {
    return OutputRows.readFloatMatrix(row, column);
  }

  /** Output rows by id. */
  static Map<Long, Row> byId(SparkSession spark, String path) {
    Map<Long, Row> m = new TreeMap<>();
    for (Row r : spark.read().parquet(path).collectAsList()) {
      m.put(((Number) r.getAs("id")).longValue(), r);
    }
    return m;
  }

  /** Map rows of one id, ordered by head (null, the mean, first). */
  static List<Row> mapRows(SparkSession spark, String path, long id) {
    List<Row> rows = new ArrayList<>();
    for (Row r : spark.read().parquet(path).collectAsList()) {
      if (((Number) r.getAs("id")).longValue() == id) {
        rows.add(r);
      }
    }
    rows.sort(
        Comparator.comparing(
            r -> r.isNullAt(r.fieldIndex("head")) ? -1 : r.<Integer>getAs("head")));
    return rows;
  }

  /** Both datasets hold the same ids with bitwise equal float matrices in {@code column}. */
  static void assertSameValues(Path a, Path b, String column) {
    assertSameValues(a.toString(), b.toString(), column);
  }

  /** As above, for datasets named by URI or path. */
  static void assertSameValues(String a, String b, String column) {
    SparkSession spark = SparkTestSession.get();
    Map<Long, Row> left = TestDatasets.byId(spark, a);
    Map<Long, Row> right = TestDatasets.byId(spark, b);
    assertEquals(right.keySet(), left.keySet());
    for (Long id : left.keySet()) {
      float[][] x = TestDatasets.floats(left.get(id), column);
      float[][] y = TestDatasets.floats(right.get(id), column);
      assertEquals(y.length, x.length);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(y[i], x[i], "id " + id + " row " + i);
      }
    }
  }
}
