package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.io.SyntheticDataGenerator;

/**
 * The written values do not depend on the number of tasks or the order of the input: bitwise equal
 * for partitions=1 and partitions=7, and for the input in reverse order in other files. A rerun of
 * the same input gives the same values, and so does computing balanced input partitions where they
 * are (no shuffle).
 */
@SparkTest
class DeterminismTest {
  @TempDir Path dir;

  private Map<String, Object> run(String input, Path out, String partitions) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--input",
                input,
                "--weights",
                JobFeaturesTest.WEIGHTS,
                "--heads",
                "4",
                "--output",
                out.toString(),
                "--maps",
                "heads",
                "--maps.output",
                out + "-maps"));
    if (partitions != null) {
      args.addAll(List.of("--partitions", partitions));
    }
    return JobRunner.succeed(args.toArray(new String[0]));
  }

  @Test
  void valuesDoNotDependOnPartitionsOrInputOrder() {
    SparkSession spark = SparkTestSession.get();
    Path one = dir.resolve("one");
    Path seven = dir.resolve("seven");
    Path reversed = dir.resolve("reversed");
    Path rerun = dir.resolve("rerun");
    run(JobFeaturesTest.SAMPLES, one, "1");
    run(JobFeaturesTest.SAMPLES, seven, "7");
    Path reversedInput = dir.resolve("reversed-input");
    spark
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .orderBy(functions.col("id").desc())
        .repartition(5)
        .write()
        .parquet(reversedInput.toString());
    run(reversedInput.toString(), reversed, "3");
    run(JobFeaturesTest.SAMPLES, rerun, "1");

    for (Path p : new Path[] {seven, reversed, rerun}) {
      TestDatasets.assertSameValues(p, one, "output");
    }
    for (String p : new String[] {"seven-maps", "reversed-maps", "rerun-maps"}) {
      assertSameMaps(dir.resolve(p), dir.resolve("one-maps"), 1200);
    }
  }

  /**
   * Four files of equal sequences, each its own input partition: balanced as they are, so the job
   * computes them where they are (no shuffle), with the same outputs and maps as a cost plan's
   * tasks.
   */
  @Test
  void balancedInputPartitionsAreComputedInPlaceWithTheSameValues() {
    SparkSession spark = SparkTestSession.get();
    Path data = dir.resolve("equal");
    SyntheticDataGenerator.write(
        spark, new SyntheticDataGenerator.Spec(40, 24, 24, 0, 0, 32, 11, 4), data.toString());
    String input = data.resolve("input").toString();
    String weights = data.resolve("weights.safetensors").toString();
    // One file per input partition, whatever the files' sizes.
    spark.conf().set("spark.sql.files.openCostInBytes", "1g");
    spark.conf().set("spark.sql.files.maxPartitionBytes", "1g");
    Map<String, Object> inPlace;
    try {
      inPlace =
          JobRunner.succeed(
              "--input",
              input,
              "--weights",
              weights,
              "--heads",
              "4",
              "--output",
              dir.resolve("in-place").toString(),
              "--maps",
              "heads",
              "--maps.output",
              dir.resolve("in-place-maps").toString());
    } finally {
      spark.conf().unset("spark.sql.files.openCostInBytes");
      spark.conf().unset("spark.sql.files.maxPartitionBytes");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> balance = (Map<String, Object>) inPlace.get("task_cost_balance");
    assertEquals("input partitions", balance.get("tasks_are"), inPlace.toString());
    assertEquals(4, ((Number) inPlace.get("tasks")).intValue());
    assertEquals(40, ((Number) inPlace.get("rows_written")).intValue());
    Map<String, Object> planned =
        JobRunner.succeed(
            "--input",
            input,
            "--weights",
            weights,
            "--heads",
            "4",
            "--output",
            dir.resolve("planned").toString(),
            "--partitions",
            "3",
            "--maps",
            "heads",
            "--maps.output",
            dir.resolve("planned-maps").toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> plannedBalance = (Map<String, Object>) planned.get("task_cost_balance");
    assertEquals("cost plan", plannedBalance.get("tasks_are"));
    TestDatasets.assertSameValues(dir.resolve("in-place"), dir.resolve("planned"), "output");
    assertSameMaps(dir.resolve("in-place-maps"), dir.resolve("planned-maps"), 160);
  }

  private static void assertSameMaps(Path a, Path b, long rows) {
    SparkSession spark = SparkTestSession.get();
    var left =
        spark
            .read()
            .parquet(a.toString())
            .selectExpr("id", "head", "weights")
            .orderBy("id", "head");
    var right =
        spark
            .read()
            .parquet(b.toString())
            .selectExpr("id", "head", "weights")
            .orderBy("id", "head");
    org.junit.jupiter.api.Assertions.assertEquals(rows, left.count());
    org.junit.jupiter.api.Assertions.assertEquals(0, left.except(right).count(), "same map rows");
    org.junit.jupiter.api.Assertions.assertEquals(0, right.except(left).count(), "same map rows");
  }
}
