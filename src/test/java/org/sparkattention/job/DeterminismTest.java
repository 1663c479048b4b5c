package org.sparkattention.job;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The written values do not depend on the number of tasks or the order of the input: bitwise
 * equal for partitions=1 and partitions=7, and for the input in reverse order in other files.
 * A rerun of the same input gives the same values.
 */
class DeterminismTest {
  @TempDir Path dir;

  private void run(String input, Path out, String partitions) {
    JobRunner.succeed(
        "--input", input,
        "--weights", JobFeaturesTest.WEIGHTS,
        "--heads", "4",
        "--output", out.toString(),
        "--maps", "heads",
        "--maps.output", out + "-maps",
        "--partitions", partitions);
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
      StandaloneClusterIT.assertSameValues(p, one, "output");
    }
    for (String p : new String[] {"seven-maps", "reversed-maps", "rerun-maps"}) {
      assertSameMaps(dir.resolve(p), dir.resolve("one-maps"));
    }
  }

  private static void assertSameMaps(Path a, Path b) {
    SparkSession spark = SparkTestSession.get();
    var left =
        spark.read().parquet(a.toString()).selectExpr("id", "head", "weights").orderBy("id", "head");
    var right =
        spark.read().parquet(b.toString()).selectExpr("id", "head", "weights").orderBy("id", "head");
    org.junit.jupiter.api.Assertions.assertEquals(1200, left.count());
    org.junit.jupiter.api.Assertions.assertEquals(0, left.except(right).count(), "same map rows");
    org.junit.jupiter.api.Assertions.assertEquals(0, right.except(left).count(), "same map rows");
  }
}
