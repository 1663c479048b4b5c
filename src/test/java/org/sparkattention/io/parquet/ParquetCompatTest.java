package org.sparkattention.io.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.invoke.MethodType;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.junit.jupiter.api.Test;

/**
 * Both paths of the Parquet-version fallback: with Parquet 1.16+ (the build's) the builder gets the
 * row-group row limit; without the method (Parquet 1.15, Spark 4.0) it is left as it is and nothing
 * throws.
 */
class ParquetCompatTest {
  @Test
  void theLimitComesFromTheConfiguration() {
    Configuration conf = new Configuration(false);
    assertEquals(Integer.MAX_VALUE, ParquetCompat.rowGroupRowCountLimit(conf));
    conf.setInt(ParquetCompat.BLOCK_ROW_COUNT_LIMIT, 1000);
    assertEquals(1000, ParquetCompat.rowGroupRowCountLimit(conf));
  }

  @Test
  void withTheMethodTheBuilderIsToldTheLimit() {
    ParquetProperties props =
        ParquetCompat.withRowGroupRowCountLimit(ParquetProperties.builder(), 1234).build();
    assertEquals(1234, props.getRowGroupRowCountLimit());
  }

  @Test
  void withoutTheMethodTheBuilderIsLeftAsItIs() {
    ParquetProperties.Builder builder = ParquetProperties.builder();
    ParquetProperties props = ParquetCompat.withRowGroupRowCountLimit(builder, 1234, null).build();
    assertEquals(
        ParquetProperties.DEFAULT_ROW_GROUP_ROW_COUNT_LIMIT, props.getRowGroupRowCountLimit());
  }

  @Test
  void aMissingMethodIsFoundAsNull() {
    assertNull(
        ParquetCompat.find(
            ParquetProperties.Builder.class,
            "withSomethingParquetNeverHad",
            MethodType.methodType(ParquetProperties.Builder.class, int.class)));
    assertNotNull(
        ParquetCompat.find(
            ParquetProperties.Builder.class,
            "withRowGroupRowCountLimit",
            MethodType.methodType(ParquetProperties.Builder.class, int.class)));
  }
}
