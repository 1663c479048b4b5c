package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;

/**
 * The README's analytics queries, as printed there, through DuckDB and Spark SQL on what
 * maps=summary and maps=topk wrote for the samples: the heads that sink most into the first token,
 * the queries with the flattest attention, each token's strongest key. Each answer is checked
 * against the datasets read row by row, and the two engines against each other.
 */
@SparkTest
class AnalyticsQueriesTest {
  static final String SINK_DUCKDB =
      """
      SELECT head, avg(w) AS sink
      FROM (SELECT head, unnest(first_key_weight) AS w
            FROM read_parquet('out/attention-summary/**/*.parquet', hive_partitioning = true))
      GROUP BY head ORDER BY sink DESC;""";
  static final String FLAT_DUCKDB =
      """
      WITH q AS (
        SELECT id, head, unnest(range(len(entropy))) AS query, unnest(entropy) AS entropy
        FROM read_parquet('out/attention-summary/**/*.parquet', hive_partitioning = true))
      SELECT id, head, query, entropy FROM q ORDER BY entropy DESC, id, head, query LIMIT 10;""";
  static final String STRONGEST_DUCKDB =
      """
      SELECT id, head, query, key, weight
      FROM read_parquet('out/attention-topk/**/*.parquet', hive_partitioning = true)
      WHERE rank = 0 AND id = 17 ORDER BY head, query;""";
  static final String SINK_SPARK =
      """
      SELECT head, avg(w) AS sink FROM parquet.`out/attention-summary`
        LATERAL VIEW explode(first_key_weight) t AS w GROUP BY head ORDER BY sink DESC;""";
  static final String FLAT_SPARK =
      """
      SELECT id, head, query, e AS entropy FROM parquet.`out/attention-summary`
        LATERAL VIEW posexplode(entropy) t AS query, e ORDER BY e DESC, id, head, query LIMIT 10;""";
  static final String STRONGEST_SPARK =
      """
      SELECT id, head, query, key, weight FROM parquet.`out/attention-topk`
        WHERE rank = 0 AND id = 17 ORDER BY head, query;""";

  @TempDir Path dir;

  @Test
  void theReadmesQueriesAnswerWhatTheDatasetsHold() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    for (String q :
        List.of(
            SINK_DUCKDB, FLAT_DUCKDB, STRONGEST_DUCKDB, SINK_SPARK, FLAT_SPARK, STRONGEST_SPARK)) {
      assertTrue(readme.contains(q), "the README prints the query as tested:\n" + q);
    }
    SparkSession spark = SparkTestSession.get();
    Path summary = dir.resolve("attention-summary");
    Path topk = dir.resolve("attention-topk");
    for (String[] run :
        new String[][] {{"summary", summary.toString()}, {"topk", topk.toString()}}) {
      JobRunner.succeed(
          JobFeaturesTest.sampleArgs(
              JobFeaturesTest.SAMPLES,
              dir.resolve(run[0] + "-out").toString(),
              "--maps",
              run[0],
              "--maps.output",
              run[1],
              "--partition.by",
              "date"));
    }

    // What the datasets hold, read row by row.
    List<Row> rows = spark.read().parquet(summary.toString()).collectAsList();
    Map<Integer, double[]> sinkSums = new TreeMap<>();
    List<Object[]> entropies = new ArrayList<>();
    Map<String, Object[]> argmax17 = new HashMap<>();
    for (Row r : rows) {
      int head = r.<Integer>getAs("head");
      long id = ((Number) r.getAs("id")).longValue();
      List<Float> first = r.getList(r.fieldIndex("first_key_weight"));
      List<Float> entropy = r.getList(r.fieldIndex("entropy"));
      List<Integer> argmax = r.getList(r.fieldIndex("argmax_key"));
      List<Float> max = r.getList(r.fieldIndex("max_weight"));
      double[] s = sinkSums.computeIfAbsent(head, h -> new double[2]);
      for (int q = 0; q < first.size(); q++) {
        s[0] += first.get(q);
        s[1]++;
        entropies.add(new Object[] {entropy.get(q), id, head, q});
        if (id == 17) {
          argmax17.put(head + "/" + q, new Object[] {argmax.get(q), max.get(q)});
        }
      }
    }
    entropies.sort(
        (a, b) -> {
          int c = Float.compare((Float) b[0], (Float) a[0]);
          for (int i = 1; c == 0 && i < 4; i++) {
            c = Long.compare(((Number) a[i]).longValue(), ((Number) b[i]).longValue());
          }
          return c;
        });

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = db.createStatement()) {
      List<List<Object>> sinkDuck = duck(st, paths(SINK_DUCKDB, summary, topk), 2);
      List<List<Object>> flatDuck = duck(st, paths(FLAT_DUCKDB, summary, topk), 4);
      List<List<Object>> strongDuck = duck(st, paths(STRONGEST_DUCKDB, summary, topk), 5);
      List<Row> sinkSpark = spark.sql(paths(SINK_SPARK, summary, topk)).collectAsList();
      List<Row> flatSpark = spark.sql(paths(FLAT_SPARK, summary, topk)).collectAsList();
      List<Row> strongSpark = spark.sql(paths(STRONGEST_SPARK, summary, topk)).collectAsList();

      assertEquals(4, sinkDuck.size(), "one row per head");
      double previous = Double.POSITIVE_INFINITY;
      for (int i = 0; i < 4; i++) {
        int head = ((Number) sinkDuck.get(i).get(0)).intValue();
        double sink = ((Number) sinkDuck.get(i).get(1)).doubleValue();
        double[] s = sinkSums.get(head);
        assertEquals(s[0] / s[1], sink, 1e-6, "head " + head + "'s mean weight on key 0");
        assertTrue(sink <= previous, "sinkiest first");
        previous = sink;
        assertEquals(head, sinkSpark.get(i).getInt(0), "Spark SQL agrees");
        assertEquals(sink, sinkSpark.get(i).getDouble(1), 1e-6);
      }

      assertEquals(10, flatDuck.size());
      for (int i = 0; i < 10; i++) {
        Object[] expected = entropies.get(i);
        List<Object> got = flatDuck.get(i);
        assertEquals(((Number) expected[1]).longValue(), ((Number) got.get(0)).longValue());
        assertEquals(expected[2], ((Number) got.get(1)).intValue());
        assertEquals(expected[3], ((Number) got.get(2)).intValue(), "query " + i);
        assertEquals((Float) expected[0], ((Number) got.get(3)).floatValue());
        Row sparkRow = flatSpark.get(i);
        assertEquals(((Number) got.get(2)).intValue(), sparkRow.getInt(2), "Spark SQL agrees");
        assertEquals(((Number) got.get(3)).floatValue(), sparkRow.getFloat(3));
      }

      assertEquals(argmax17.size(), strongDuck.size(), "a strongest key for every query and head");
      for (int i = 0; i < strongDuck.size(); i++) {
        List<Object> got = strongDuck.get(i);
        String at = got.get(1) + "/" + got.get(2);
        assertEquals(argmax17.get(at)[0], ((Number) got.get(3)).intValue(), "rank 0 is the argmax");
        assertEquals(argmax17.get(at)[1], ((Number) got.get(4)).floatValue(), "its weight");
        assertEquals(((Number) got.get(3)).intValue(), strongSpark.get(i).getInt(3));
      }
    }
  }

  /** The README's paths replaced by this test's datasets. */
  private static String paths(String query, Path summary, Path topk) {
    return query
        .replace("out/attention-summary", summary.toString())
        .replace("out/attention-topk", topk.toString())
        .replaceAll(";$", "");
  }

  private static List<List<Object>> duck(Statement st, String sql, int columns) throws Exception {
    List<List<Object>> rows = new ArrayList<>();
    try (ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int c = 1; c <= columns; c++) {
          row.add(rs.getObject(c));
        }
        rows.add(row);
      }
    }
    return rows;
  }
}
