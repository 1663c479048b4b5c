package org.sparkattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.sparkattention.errors.AttentionException;

/** The input schema checked against the columns and the weights, without a Spark session. */
class InputLayoutTest {
  static final DataType FLOATS =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType));
  static final DataType DOUBLES =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType));
  static final DataType MASK = DataTypes.createArrayType(DataTypes.BooleanType);

  static StructType schema(Object... nameTypePairs) {
    StructField[] f = new StructField[nameTypePairs.length / 2];
    for (int i = 0; i < f.length; i++) {
      f[i] =
          DataTypes.createStructField(
              (String) nameTypePairs[2 * i], (DataType) nameTypePairs[2 * i + 1], true);
    }
    return DataTypes.createStructType(f);
  }

  static InputLayout resolve(StructType schema, List<String> partitionBy, int e, int kdim) {
    return InputLayout.resolve(
        schema, "id", "x", "query", "key", "value", "key_padding_mask", partitionBy, e, kdim, e);
  }

  private static String refused(StructType schema, List<String> partitionBy, int kdim) {
    AttentionException ex =
        assertThrows(AttentionException.class, () -> resolve(schema, partitionBy, 8, kdim));
    assertEquals(4, ex.kind().exitCode());
    return ex.getMessage();
  }

  @Test
  void selfAttentionCarriesEveryOtherColumnInOrder() {
    InputLayout l =
        resolve(
            schema(
                "date", DataTypes.StringType,
                "x", FLOATS,
                "id", DataTypes.LongType,
                "key_padding_mask", MASK,
                "label", DataTypes.StringType),
            List.of("date"),
            8,
            8);
    assertTrue(l.selfAttention());
    assertTrue(l.hasMask());
    assertArrayEquals(
        new String[] {"date", "id", "label"},
        Arrays.stream(l.carriedFields()).map(StructField::name).toArray());
    assertArrayEquals(new int[] {0}, l.stringPartitionOrdinals);
  }

  @Test
  void crossAttentionUsesQueryKeyValue() {
    InputLayout l =
        resolve(
            schema("id", DataTypes.IntegerType, "query", FLOATS, "key", DOUBLES, "value", FLOATS),
            List.of(),
            8,
            8);
    assertFalse(l.selfAttention());
    assertFalse(l.hasMask());
    assertFalse(l.keyIsFloat, "double keys read as such");
    assertEquals(1, l.carriedFields().length);
  }

  @Test
  void refusalsNameTheColumnAndTheFix() {
    assertTrue(
        refused(schema("id", DataTypes.LongType, "tokens", FLOATS), List.of(), 8)
            .contains("neither a 'x' column"));
    assertTrue(
        refused(schema("id", DataTypes.LongType, "x", FLOATS), List.of(), 4).contains("kdim = 4"));
    assertTrue(
        refused(schema("id", MASK, "x", FLOATS), List.of(), 8)
            .contains("id column 'id' has type array<boolean>"));
    assertTrue(
        refused(
                schema("id", DataTypes.LongType, "x", FLOATS, "key_padding_mask", FLOATS),
                List.of(),
                8)
            .contains("expected array<boolean>"));
    assertTrue(
        refused(
                schema(
                    "id", DataTypes.LongType, "x", DataTypes.createArrayType(DataTypes.FloatType)),
                List.of(),
                8)
            .contains("expected array<array<float>> or array<array<double>>"));
    assertTrue(
        refused(
                schema("id", DataTypes.LongType, "x", FLOATS, "Weights", DataTypes.IntegerType),
                List.of(),
                8)
            .contains("input column 'Weights'"));
    assertTrue(
        refused(schema("id", DataTypes.LongType, "x", FLOATS), List.of("x"), 8)
            .contains("partition.by column 'x' is not a carried input column"));
    assertTrue(
        refused(schema("id", DataTypes.LongType, "x", FLOATS, "tags", MASK), List.of("tags"), 8)
            .contains("not a scalar column"));
  }
}
