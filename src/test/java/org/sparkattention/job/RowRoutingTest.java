package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.DeserializationStream;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializationStream;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.sparkattention.SparkTest;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/** Moved rows reach their task in input order, whatever order they are sent or arrive in. */
@SparkTest
class RowRoutingTest {
  @Test
  void aTasksRowsAreInTheirInputOrder() {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    // Three input partitions send rows to two tasks, each partition in reverse position order.
    List<Integer> partitions = List.of(0, 1, 2);
    JavaPairRDD<RowOrder, InternalRow> routed =
        JavaPairRDD.fromJavaRDD(
            sc.parallelize(partitions, 3)
                .mapPartitionsWithIndex(
                    (idx, it) -> {
                      List<Tuple2<RowOrder, InternalRow>> rows = new ArrayList<>();
                      for (int position = 9; position >= 0; position--) {
                        int task = (idx + position) % 2;
                        rows.add(
                            new Tuple2<>(
                                new RowOrder(task, idx, position),
                                new GenericInternalRow(new Object[] {idx * 100 + position})));
                      }
                      return rows.iterator();
                    },
                    true));
    List<List<InternalRow>> tasks = RowRouting.toTasks(routed, 2).glom().collect();
    assertEquals(2, tasks.size());
    for (int t = 0; t < 2; t++) {
      List<Integer> got = tasks.get(t).stream().map(r -> r.getInt(0)).toList();
      List<Integer> expected = new ArrayList<>();
      for (int idx = 0; idx < 3; idx++) {
        for (int position = 0; position < 10; position++) {
          if ((idx + position) % 2 == t) {
            expected.add(idx * 100 + position);
          }
        }
      }
      assertEquals(expected, got, "task " + t);
    }
  }

  /**
   * Moved rows go through Kryo, which reads through its own buffer, even when the user's Kryo
   * settings require every class registered (the job's rows and keys are not).
   */
  @Test
  void movedRowsTravelThroughKryoWhateverTheUsersRegistrationRules() throws Exception {
    SparkConf strict =
        new SparkConf()
            .set("spark.serializer", "org.apache.spark.serializer.JavaSerializer")
            .set("spark.kryo.registrationRequired", "true");
    Serializer serializer = RowRouting.shuffleSerializer(strict);
    assertTrue(serializer instanceof KryoSerializer, serializer.getClass().getName());
    UnsafeRow row =
        UnsafeProjection.create(new DataType[] {DataTypes.LongType, DataTypes.StringType})
            .apply(new GenericInternalRow(new Object[] {7L, UTF8String.fromString("seven")}));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SerializationStream out = serializer.newInstance().serializeStream(bytes);
    ClassTag<Object> any = ClassTag$.MODULE$.Any();
    out.writeKey(new RowOrder(1, 2, 3), any);
    out.writeValue(row, any);
    out.close();
    DeserializationStream in =
        serializer.newInstance().deserializeStream(new ByteArrayInputStream(bytes.toByteArray()));
    assertEquals(new RowOrder(1, 2, 3), in.readKey(any));
    assertEquals(row, in.readValue(any));
  }
}
