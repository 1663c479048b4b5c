package org.sparkattention.job;

import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.ShuffledRDD;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.io.OutputRows;
import scala.Tuple2;
import scala.math.Ordering$;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Routing each input row by the cost plan, its verdict computed again as the scan computed it: a
 * good row to its planned task (a shuffle) or where it is (the input partitions are the tasks); a
 * bad row to the bad rows. Without a scan ({@link CostPlan#asRead}), every row to the task the plan
 * gives it as it is read.
 */
final class RowRouting {
  private RowRouting() {}

  static Iterator<Tuple2<RowOrder, InternalRow>> assign(
      Iterator<InternalRow> rows,
      int partition,
      CostPlan.Router router,
      RowCheck check,
      StructType schema) {
    UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
    return new CheckedRows<>(rows, check, Rows.GOOD) {
      @Override
      Tuple2<RowOrder, InternalRow> emit(InternalRow row, int position, String reason) {
        int task = router.taskOf(position, check.cost(row));
        return travelling(toUnsafe, row, task, partition, position);
      }
    };
  }

  /**
   * Every row of one partition to its task as it is read ({@link CostPlan#asRead}): a bad row too,
   * at no cost, for its task's own check to fail the run or set it aside.
   */
  static Iterator<Tuple2<RowOrder, InternalRow>> asRead(
      Iterator<InternalRow> rows,
      int partition,
      CostPlan.Router router,
      RowCheck check,
      StructType schema) {
    UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
    return new CheckedRows<>(rows, check, Rows.ALL) {
      @Override
      Tuple2<RowOrder, InternalRow> emit(InternalRow row, int position, String reason) {
        int task = router.taskOf(position, reason == null ? check.cost(row) : 0);
        return travelling(toUnsafe, row, task, partition, position);
      }
    };
  }

  /**
   * A row on its way to {@code task}, keyed by its place in the input. Scans reuse row objects: the
   * ones that travel are copied, as compact unsafe rows.
   */
  private static Tuple2<RowOrder, InternalRow> travelling(
      UnsafeProjection toUnsafe, InternalRow row, int task, int partition, int position) {
    return new Tuple2<>(new RowOrder(task, partition, position), toUnsafe.apply(row).copy());
  }

  /**
   * The routed rows in their tasks, each task's rows in their input order ({@link RowOrder}): rows
   * from several executors arrive in the order the network delivers them, so without the sort a
   * rerun could write a task's rows, and so its files, in another order.
   */
  static JavaRDD<InternalRow> toTasks(JavaPairRDD<RowOrder, InternalRow> routed, int tasks) {
    ClassTag<RowOrder> keys = ClassTag$.MODULE$.apply(RowOrder.class);
    ClassTag<InternalRow> rows = ClassTag$.MODULE$.apply(InternalRow.class);
    ShuffledRDD<RowOrder, InternalRow, InternalRow> shuffled =
        new ShuffledRDD<>(routed.rdd(), new TaskPartitioner(tasks), keys, rows, rows);
    shuffled.setKeyOrdering(
        Ordering$.MODULE$.comparatorToOrdering(Comparator.<RowOrder>naturalOrder()));
    shuffled.setSerializer(shuffleSerializer(routed.context().getConf()));
    return new JavaPairRDD<>(shuffled, keys, rows).values();
  }

  /**
   * Kryo, whatever {@code spark.serializer} says: Java serialization reads a shuffled row from a
   * local block a few bytes per system call when the shuffle is not compressed (the job's default),
   * 35 us of task time per tiny row; Kryo reads through its own buffer. The rows are the job's own,
   * so a user's Kryo registration rules do not apply to them.
   */
  static Serializer shuffleSerializer(SparkConf conf) {
    return new KryoSerializer(conf.clone().set("spark.kryo.registrationRequired", "false"));
  }

  static Iterator<InternalRow> inPlace(Iterator<InternalRow> rows, RowCheck check) {
    return new CheckedRows<>(rows, check, Rows.GOOD) {
      @Override
      InternalRow emit(InternalRow row, int position, String reason) {
        // A reused row view: AttentionTask copies a row it holds across pulls.
        return row;
      }
    };
  }

  static Iterator<InternalRow> badRows(
      Iterator<InternalRow> rows, RowCheck check, OutputRows outputRows) {
    return new CheckedRows<>(rows, check, Rows.BAD) {
      @Override
      InternalRow emit(InternalRow row, int position, String reason) {
        return outputRows.badRow(row, reason).copy();
      }
    };
  }

  /** Which rows of a partition {@link CheckedRows} emits. */
  private enum Rows {
    GOOD,
    BAD,
    ALL
  }

  /** Lazily walks one input partition, emitting the rows its {@link Rows} names, checked. */
  private abstract static class CheckedRows<T> implements Iterator<T> {
    private final Iterator<InternalRow> rows;
    private final RowCheck check;
    private final Rows which;
    private int position;
    private T next;

    CheckedRows(Iterator<InternalRow> rows, RowCheck check, Rows which) {
      this.rows = rows;
      this.check = check;
      this.which = which;
    }

    /** The row at {@code position} of the partition; {@code reason} is null for a good row. */
    abstract T emit(InternalRow row, int position, String reason);

    @Override
    public boolean hasNext() {
      while (next == null && rows.hasNext()) {
        InternalRow row = rows.next();
        String reason = check.badReason(row);
        if (which == Rows.ALL || (reason != null) == (which == Rows.BAD)) {
          next = emit(row, position, reason);
        }
        position++;
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
