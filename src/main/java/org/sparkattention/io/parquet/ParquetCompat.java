package org.sparkattention.io.parquet;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;

/**
 * What differs between the Parquet versions the Spark 4 lines ship (1.15 with Spark 4.0, 1.16 with
 * 4.1, 1.17 with 4.2), decided once at run time: the jar is built against one of them and must not
 * call a method another lacks ({@code NoSuchMethodError}).
 *
 * <ul>
 *   <li>A row-count limit per row group ({@code parquet.block.row.count.limit}) exists from 1.16:
 *       with 1.15 the writer keeps its own limit and Parquet's builder is not told.
 * </ul>
 */
public final class ParquetCompat {
  /** The configuration key of the row-group row limit (1.16's {@code BLOCK_ROW_COUNT_LIMIT}). */
  public static final String BLOCK_ROW_COUNT_LIMIT = "parquet.block.row.count.limit";

  /** 1.16's {@code DEFAULT_ROW_GROUP_ROW_COUNT_LIMIT}: no limit below int's range. */
  static final int DEFAULT_ROW_GROUP_ROW_COUNT_LIMIT = Integer.MAX_VALUE;

  /** {@code Builder.withRowGroupRowCountLimit(int)}, or null on Parquet before 1.16. */
  private static final MethodHandle WITH_ROW_GROUP_ROW_COUNT_LIMIT =
      find(
          ParquetProperties.Builder.class,
          "withRowGroupRowCountLimit",
          MethodType.methodType(ParquetProperties.Builder.class, int.class));

  private ParquetCompat() {}

  static MethodHandle find(Class<?> owner, String name, MethodType type) {
    try {
      return MethodHandles.publicLookup().findVirtual(owner, name, type);
    } catch (NoSuchMethodException | IllegalAccessException e) {
      return null;
    }
  }

  /** The row-group row limit the configuration asks for. */
  public static int rowGroupRowCountLimit(Configuration conf) {
    return conf.getInt(BLOCK_ROW_COUNT_LIMIT, DEFAULT_ROW_GROUP_ROW_COUNT_LIMIT);
  }

  /** {@code builder} told the row-group row limit, where this Parquet has one. */
  public static ParquetProperties.Builder withRowGroupRowCountLimit(
      ParquetProperties.Builder builder, int limit) {
    return withRowGroupRowCountLimit(builder, limit, WITH_ROW_GROUP_ROW_COUNT_LIMIT);
  }

  /** As above, with the method handle given: null stands for a Parquet without the method. */
  static ParquetProperties.Builder withRowGroupRowCountLimit(
      ParquetProperties.Builder builder, int limit, MethodHandle method) {
    if (method == null) {
      return builder;
    }
    try {
      return (ParquetProperties.Builder) method.invoke(builder, limit);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("Parquet's withRowGroupRowCountLimit failed", e);
    }
  }
}
