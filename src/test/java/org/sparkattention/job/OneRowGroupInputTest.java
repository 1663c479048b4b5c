package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;

/**
 * Input as DuckDB, pyarrow or Polars write a small table: one file holding one row group, so one
 * input partition. The job reads it once, routing each row as it reads it to the task with the
 * least cost so far, and writes the same values as for the samples as Spark wrote them.
 */
@SparkTest
class OneRowGroupInputTest {
  @TempDir Path dir;

  @Test
  void oneDuckDbRowGroupIsSplitIntoBalancedTasks() throws Exception {
    Path input = Files.createDirectories(dir.resolve("input"));
    Path file = input.resolve("sequences.parquet");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      st.execute(
          "COPY (SELECT * FROM read_parquet('"
              + Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath()
              + "/**/*.parquet', hive_partitioning = true) ORDER BY id) TO '"
              + file
              + "' (FORMAT parquet, ROW_GROUP_SIZE 1000000)");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + file + "')")) {
        rs.next();
        assertEquals(1, rs.getInt(1), "one row group");
      }
    }
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    Map<String, Object> summary =
        JobRunner.succeed(
            JobFeaturesTest.sampleArgs(
                input.toString(),
                out.toString(),
                "--maps",
                "mean",
                "--maps.output",
                maps.toString()));
    @SuppressWarnings("unchecked")
    Map<String, Object> balance = (Map<String, Object>) summary.get("task_cost_balance");
    assertEquals("cost plan", balance.get("tasks_are"), "one partition is replanned");
    assertEquals(1, ((Number) summary.get("input_reads")).intValue(), "routed as read");
    assertEquals(2, ((Number) summary.get("tasks")).intValue(), "a task per core of local[2]");
    assertEquals(1.0, ((Number) balance.get("max_over_mean")).doubleValue(), 0.05);

    Path sparkOut = dir.resolve("spark-out");
    Path sparkMaps = dir.resolve("spark-maps");
    JobRunner.succeed(
        JobFeaturesTest.sampleArgs(
            JobFeaturesTest.SAMPLES,
            sparkOut.toString(),
            "--maps",
            "mean",
            "--maps.output",
            sparkMaps.toString()));
    TestDatasets.assertSameValues(out, sparkOut, "output");
    TestDatasets.assertSameValues(maps, sparkMaps, "weights");
  }
}
