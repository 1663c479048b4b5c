package org.sparkattention.job;

import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import scala.Tuple2;

/**
 * Routing each input row by the cost plan: to its planned task (a shuffle), in place (the input
 * partitions are the tasks), or, for the rows the plan skips, to the bad rows.
 */
final class RowRouting {
  private RowRouting() {}

  static Iterator<Tuple2<Integer, InternalRow>> assign(
      Iterator<InternalRow> rows, int[] taskOf, StructType schema) {
    UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
    return new PlannedRows<>(rows, taskOf, false) {
      @Override
      Tuple2<Integer, InternalRow> emit(InternalRow row, int task) {
        // Scans reuse row objects: the ones that travel are copied, as compact unsafe rows.
        return new Tuple2<>(task, toUnsafe.apply(row).copy());
      }
    };
  }

  static Iterator<InternalRow> inPlace(Iterator<InternalRow> rows, int[] taskOf) {
    return new PlannedRows<>(rows, taskOf, false) {
      @Override
      InternalRow emit(InternalRow row, int task) {
        // A reused row view: AttentionTask copies a row it holds across pulls.
        return row;
      }
    };
  }

  static Iterator<InternalRow> badRows(
      Iterator<InternalRow> rows, int[] taskOf, SequenceCodec codec, OutputRows outputRows) {
    return new PlannedRows<>(rows, taskOf, true) {
      @Override
      InternalRow emit(InternalRow row, int task) {
        return outputRows.badRow(row, codec.badRowReason(row)).copy();
      }
    };
  }

  /** Lazily walks one input partition, emitting the planned rows (or only the skipped ones). */
  private abstract static class PlannedRows<T> implements Iterator<T> {
    private final Iterator<InternalRow> rows;
    private final int[] taskOf;
    private final boolean skipped;
    private int index;
    private T next;

    PlannedRows(Iterator<InternalRow> rows, int[] taskOf, boolean skipped) {
      this.rows = rows;
      this.taskOf = taskOf;
      this.skipped = skipped;
    }

    abstract T emit(InternalRow row, int task);

    @Override
    public boolean hasNext() {
      while (next == null && rows.hasNext()) {
        InternalRow row = rows.next();
        int task = taskOf[index++];
        if ((task == CostPlan.SKIP) == skipped) {
          next = emit(row, task);
        }
      }
      return next != null;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      T t = next;
      next = null;
      return t;
    }
  }
}
