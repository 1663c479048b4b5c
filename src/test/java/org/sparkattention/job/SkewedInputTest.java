package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.io.SyntheticDataGenerator;

/** One long sequence among thousands of short ones: tasks balanced by cost, every row once. */
@SparkTest
class SkewedInputTest {
  @TempDir Path dir;

  @Test
  void longSequenceAmongShortOnesIsBalancedByCost() {
    SparkSession spark = SparkTestSession.get();
    SyntheticDataGenerator.write(
        spark, new SyntheticDataGenerator.Spec(3000, 4, 16, 1, 1024, 32, 11, 3), dir.toString());
    Path out = dir.resolve("out");
    Map<String, Object> summary =
        JobRunner.succeed(
            "--input", dir.resolve("input").toString(),
            "--weights", dir.resolve("weights.safetensors").toString(),
            "--heads", "4",
            "--output", out.toString());
    System.out.println("skew test summary: " + summary);
    @SuppressWarnings("unchecked")
    Map<String, Object> balance = (Map<String, Object>) summary.get("task_cost_balance");
    double ratio = ((Number) balance.get("max_over_mean")).doubleValue();
    assertTrue(((Number) summary.get("tasks")).intValue() >= 2, "both cores get work");
    assertTrue(ratio <= 1.2, "costliest task " + ratio + " x the mean");
    assertEquals(3001, spark.read().parquet(out.toString()).count(), "every row written");
    assertEquals(
        3001, spark.read().parquet(out.toString()).select("id").distinct().count(), "once");
  }
}
