package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;

/**
 * A non-Spark engine reads what the job writes as it is: DuckDB answers an analytics query over the
 * outputs and the maps (the strongest key per query and head), and its answers equal what Spark
 * reads.
 */
@SparkTest
class DuckDbReadsOutputsTest {
  @TempDir Path dir;

  @Test
  void duckDbQueriesOutputsAndMaps() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    JobRunner.succeed(
        JobFeaturesTest.sampleArgs(
            JobFeaturesTest.SAMPLES,
            out.toString(),
            "--maps",
            "heads",
            "--maps.output",
            maps.toString(),
            "--partition.by",
            "date"));

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(*), min(len(output[1])), count(DISTINCT date) FROM read_parquet('"
                  + out
                  + "/**/*.parquet', hive_partitioning = true)")) {
        rs.next();
        assertEquals(300, rs.getLong(1), "rows");
        assertEquals(32, rs.getInt(2), "E values per token");
        assertEquals(3, rs.getInt(3), "dates from the partition directories");
      }
      String strongest =
          "WITH m AS (SELECT id, head, unnest(range(len(weights))) AS query,"
              + " unnest(weights) AS probs FROM read_parquet('"
              + maps
              + "/**/*.parquet', hive_partitioning = true) WHERE id = 17)"
              + " SELECT head, query, list_position(probs, list_max(probs)) - 1, list_sum(probs)"
              + " FROM m ORDER BY head, query";
      List<Row> spark17 = TestDatasets.mapRows(spark, maps.toString(), 17);
      assertEquals(4, spark17.size(), "one map row per head");
      int checked = 0;
      try (ResultSet rs = st.executeQuery(strongest)) {
        while (rs.next()) {
          int head = rs.getInt(1);
          int query = rs.getInt(2);
          int key = rs.getInt(3);
          float[] row = TestDatasets.floats(spark17.get(head), "weights")[query];
          int argmax = 0;
          for (int j = 1; j < row.length; j++) {
            argmax = row[j] > row[argmax] ? j : argmax;
          }
          assertEquals(argmax, key, "strongest key of head " + head + " query " + query);
          assertEquals(1.0, rs.getDouble(4), 1e-5, "a map row sums to 1");
          checked++;
        }
      }
      int len = TestDatasets.floats(spark17.get(0), "weights").length;
      assertTrue(len > 0);
      assertEquals(4 * len, checked, "every query of every head");
    }
    assertPartitionTypesReadBack(spark, out);
  }

  /**
   * A partition column comes back with a type inferred from its directory names (the string dates
   * as DATE); the README's recipes read it back as the string it was, in DuckDB and Spark.
   */
  private static void assertPartitionTypesReadBack(SparkSession spark, Path out) throws Exception {
    assertEquals(
        DataTypes.StringType,
        spark.read().parquet(JobFeaturesTest.SAMPLES).schema().apply("date").dataType());
    assertEquals(
        DataTypes.DateType,
        spark.read().parquet(out.toString()).schema().apply("date").dataType(),
        "inferred");
    String inference = "spark.sql.sources.partitionColumnTypeInference.enabled";
    spark.conf().set(inference, "false");
    try {
      assertEquals(
          DataTypes.StringType,
          spark.read().parquet(out.toString()).schema().apply("date").dataType());
    } finally {
      spark.conf().unset(inference);
    }
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      String from = "FROM read_parquet('" + out + "/**/*.parquet', hive_partitioning = true";
      try (ResultSet rs = st.executeQuery("SELECT typeof(date) " + from + ") LIMIT 1")) {
        rs.next();
        assertEquals("DATE", rs.getString(1), "DuckDB infers too");
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT typeof(date) " + from + ", hive_types = {'date': VARCHAR}) LIMIT 1")) {
        rs.next();
        assertEquals("VARCHAR", rs.getString(1));
      }
    }
  }
}
