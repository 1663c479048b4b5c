package org.sparkattention.io;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.types.StructType;
import scala.Function2;

/**
 * Reads some columns of Spark internal rows, many rows over: {@code row.get(ordinal, type)} looks
 * the type up on every call (Spark 4 dispatches on its physical type each time), an accessor made
 * once per column does not. Map rows read their carried columns once per row written.
 */
public final class SparkRows {
  private final int[] ordinals;
  private final Object[] accessors;

  /** Reads {@code ordinals} of rows of {@code schema}. */
  public SparkRows(StructType schema, int[] ordinals) {
    this.ordinals = ordinals.clone();
    accessors = new Object[ordinals.length];
    for (int i = 0; i < ordinals.length; i++) {
      accessors[i] = InternalRow.getAccessor(schema.fields()[ordinals[i]].dataType(), true);
    }
  }

  /** The values of the columns in {@code row} (null for a null), by reference. */
  @SuppressWarnings("unchecked")
  public Object[] values(InternalRow row) {
    Object[] values = new Object[ordinals.length];
    for (int i = 0; i < ordinals.length; i++) {
      values[i] =
          ((Function2<SpecializedGetters, Object, Object>) accessors[i]).apply(row, ordinals[i]);
    }
    return values;
  }
}
