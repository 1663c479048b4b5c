package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.io.InputSplits;
import org.sparkattention.kernel.CostModel;

/**
 * Costs from Parquet footers alone, on files DuckDB writes with several row groups: exact for rows
 * of one length, a lower bound for mixed lengths, and every row group in exactly one split however
 * the file is cut.
 */
class FooterCostsTest {
  @TempDir Path dir;

  private static final int E = 8;
  private static final CostModel MODEL = new CostModel(E, E, E, 0, false);

  /** 5000 rows of self-attention, row i of {@code lengthSql} tokens, in row groups of 2048. */
  private Path write(String name, String columns) throws Exception {
    Path file = dir.resolve(name + ".parquet");
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      st.execute(
          "COPY (SELECT i AS id, "
              + columns
              + " FROM range(5000) t(i)) TO '"
              + file
              + "' (FORMAT parquet, ROW_GROUP_SIZE 2048)");
      try (ResultSet rs =
          st.executeQuery(
              "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + file + "')")) {
        rs.next();
        assertTrue(rs.getInt(1) >= 3, "several row groups: " + rs.getInt(1));
      }
    }
    return file;
  }

  private static String matrix(String lengthSql) {
    return "list_transform(range("
        + lengthSql
        + "), lambda t: list_transform(range("
        + E
        + "), lambda e: random()))";
  }

  private static PartitionSummary estimate(Path file, long start, long length, String q, String k) {
    InputSplits s =
        new InputSplits(
            0, new String[] {file.toUri().toString()}, new long[] {start}, new long[] {length});
    return FooterCosts.estimate(s, new Configuration(), q, k, MODEL, false);
  }

  @Test
  void rowsOfOneLengthCostExactlyWhatTheScanWouldCount() throws Exception {
    Path file = write("six", matrix("6") + " AS x");
    PartitionSummary s = estimate(file, 0, Files.size(file), "x", "x");
    assertEquals(5000, s.goodRows());
    assertEquals(5000 * MODEL.flops(6, 6, false), s.totalCost(), 1e-9 * s.totalCost());
  }

  @Test
  void crossAttentionTakesTheKeysFromTheKeyColumn() throws Exception {
    Path file =
        write(
            "cross",
            matrix("3") + " AS query, " + matrix("9") + " AS key, " + matrix("9") + " AS value");
    PartitionSummary s = estimate(file, 0, Files.size(file), "query", "KEY");
    assertEquals(5000 * MODEL.flops(3, 9, false), s.totalCost(), 1e-9 * s.totalCost());
  }

  @Test
  void mixedLengthsAreUnderestimatedAndEveryRowGroupIsInOneSplit() throws Exception {
    Path file = write("mixed", matrix("1 + i % 10") + " AS x");
    double exact = 0;
    for (int i = 0; i < 5000; i++) {
      exact += MODEL.flops(1 + i % 10, 1 + i % 10, false);
    }
    long size = Files.size(file);
    for (int parts : new int[] {1, 2, 3, 7, 50}) {
      long rows = 0;
      double cost = 0;
      for (int p = 0; p < parts; p++) {
        long start = size * p / parts;
        long end = size * (p + 1) / parts;
        PartitionSummary s = estimate(file, start, end - start, "x", "x");
        rows += s.goodRows();
        cost += s.totalCost();
      }
      assertEquals(5000, rows, parts + " splits: each row group counted once");
      assertTrue(cost <= exact && cost > 0.9 * exact, parts + " splits: " + cost + " vs " + exact);
    }
  }

  @Test
  void anUnreadableFooterLeavesItToTheScan() throws Exception {
    Path file = Files.writeString(dir.resolve("not.parquet"), "not parquet at all");
    assertNull(estimate(file, 0, Files.size(file), "x", "x"));
    assertNull(estimate(dir.resolve("missing.parquet"), 0, 100, "x", "x"));
  }
}
