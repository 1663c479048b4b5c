package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on the samples in local[2]: carried columns, partition.by, every save mode, json
 * input, the summary file.
 */
class JobFeaturesTest {
  static final String SAMPLES = "data-samples/sequences";
  static final String WEIGHTS = "data-samples/mha_e32_h4.safetensors";

  @TempDir Path dir;

  /** The job on {@code input} with the sample weights (4 heads), then {@code more}. */
  static String[] sampleArgs(String input, String output, String... more) {
    String[] base = {"--input", input, "--weights", WEIGHTS, "--heads", "4", "--output", output};
    return Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new);
  }

  /** Every data file under a dataset with its bytes, by relative path. */
  static Map<String, byte[]> snapshot(Path dataset) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dataset)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        m.put(dataset.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return m;
  }

  @Test
  void partitionedOutputCarriesColumnsAndSummary() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path out = dir.resolve("out");
    Map<String, Object> summary =
        JobRunner.succeed(sampleArgs(SAMPLES, out.toString(), "--partition.by", "date"));
    assertEquals(300, ((Number) summary.get("sequences")).intValue());
    assertEquals(300, ((Number) summary.get("rows_written")).intValue());
    assertTrue(Files.isDirectory(out.resolve("date=2026-11-20")), "partition directories");
    Map<?, ?> file =
        new ObjectMapper().readValue(out.resolve(AttentionJob.SUMMARY_FILE).toFile(), Map.class);
    assertEquals(summary, file, "_attention_summary.json holds the stdout summary");
    for (String key :
        new String[] {
          "sequences", "rows_written", "bad_rows", "fully_masked_queries", "tasks", "wall_seconds",
          "attention_gflops_per_second", "task_cost_balance", "wall_split_seconds", "blas"
        }) {
      assertTrue(summary.containsKey(key), "summary has " + key);
    }

    Map<Long, Row> in = TestDatasets.byId(spark, SAMPLES);
    Map<Long, Row> written = TestDatasets.byId(spark, out.toString());
    assertEquals(in.keySet(), written.keySet(), "every row written once");
    assertEquals(300, spark.read().parquet(out.toString()).count());
    for (Map.Entry<Long, Row> e : written.entrySet()) {
      Row r = e.getValue();
      // Spark infers a partition column's type from the directory names (here: date).
      assertEquals(
          String.valueOf(in.get(e.getKey()).<Object>getAs("date")),
          String.valueOf(r.<Object>getAs("date")),
          "carried date");
      float[][] output = TestDatasets.floats(r, "output");
      assertEquals(TestDatasets.floats(in.get(e.getKey()), "x").length, output.length, "L rows");
      assertEquals(32, output[0].length, "E columns");
    }
  }

  @Test
  void errorIfExistsRefusesAndLeavesTheDatasetAlone() throws Exception {
    Path out = dir.resolve("out");
    JobRunner.succeed(sampleArgs(SAMPLES, out.toString()));
    Map<String, byte[]> before = snapshot(out);
    JobRunner.Result again = JobRunner.main(sampleArgs(SAMPLES, out.toString()));
    assertEquals(5, again.exitCode());
    assertTrue(again.stderr().startsWith("error: output '"), again.stderr());
    assertTrue(again.stderr().contains("already exists"), again.stderr());
    Map<String, byte[]> after = snapshot(out);
    assertEquals(before.keySet(), after.keySet());
    before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
  }

  @Test
  void overwriteReplacesAndAppendAdds() {
    SparkSession spark = SparkTestSession.get();
    Path out = dir.resolve("out");
    JobRunner.succeed(sampleArgs(SAMPLES, out.toString()));
    JobRunner.succeed(sampleArgs(SAMPLES, out.toString(), "--mode", "overwrite"));
    assertEquals(300, spark.read().parquet(out.toString()).count(), "overwrite replaces");
    JobRunner.succeed(sampleArgs(SAMPLES, out.toString(), "--mode", "append"));
    assertEquals(600, spark.read().parquet(out.toString()).count(), "append adds");
    assertEquals(
        300, spark.read().parquet(out.toString()).select("id").distinct().count(), "same ids");
  }

  @Test
  void overwritePartitionsReplacesOnlyTheDaysThisRunWrites() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path out = dir.resolve("out");
    JobRunner.succeed(sampleArgs(SAMPLES, out.toString(), "--partition.by", "date"));
    Map<String, byte[]> day21 = snapshot(out.resolve("date=2026-11-21"));
    Map<String, byte[]> day20 = snapshot(out.resolve("date=2026-11-20"));

    // A rerun of one day, with only part of that day's rows.
    Path oneDay = dir.resolve("one-day");
    spark
        .read()
        .parquet(SAMPLES)
        .where(functions.col("date").equalTo("2026-11-20").and(functions.col("id").lt(150)))
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(oneDay.toString());
    long dayRows = spark.read().parquet(oneDay.toString()).count();
    JobRunner.succeed(
        sampleArgs(
            oneDay.toString(),
            out.toString(),
            "--partition.by",
            "date",
            "--mode",
            "overwrite-partitions"));

    Map<String, byte[]> day21After = snapshot(out.resolve("date=2026-11-21"));
    assertEquals(day21.keySet(), day21After.keySet(), "other days untouched");
    day21.forEach((k, v) -> assertArrayEquals(v, day21After.get(k)));
    assertNotEquals(day20.keySet(), snapshot(out.resolve("date=2026-11-20")).keySet());
    assertEquals(
        dayRows,
        spark.read().parquet(out.toString()).where("date = '2026-11-20'").count(),
        "the rerun day holds exactly the rerun's rows");
    assertEquals(
        100, spark.read().parquet(out.toString()).where("date = '2026-11-21'").count());
  }

  @Test
  void jsonInputGivesTheSameOutputAsParquet() {
    SparkSession spark = SparkTestSession.get();
    // Doubles survive JSON text exactly (floats would come back as the nearest double of their
    // shortest decimal form), so both inputs hold the same values.
    var doubles =
        spark
            .read()
            .parquet(SAMPLES)
            .where("id < 40")
            .withColumn("x", functions.col("x").cast("array<array<double>>"));
    Path json = dir.resolve("json");
    Path parquet = dir.resolve("parquet");
    doubles.write().json(json.toString());
    doubles.write().parquet(parquet.toString());
    Path fromJson = dir.resolve("from-json");
    Path fromParquet = dir.resolve("from-parquet");
    JobRunner.succeed(sampleArgs(json.toString(), fromJson.toString(), "--input.format", "json"));
    JobRunner.succeed(sampleArgs(parquet.toString(), fromParquet.toString()));
    Map<Long, Row> a = TestDatasets.byId(spark, fromJson.toString());
    Map<Long, Row> b = TestDatasets.byId(spark, fromParquet.toString());
    assertEquals(40, a.size());
    assertEquals(b.keySet(), a.keySet());
    for (Long id : a.keySet()) {
      assertArrayEquals(
          TestDatasets.floats(b.get(id), "output"), TestDatasets.floats(a.get(id), "output"));
    }
  }

  @Test
  void helpListsEveryKey() {
    JobRunner.Result r = JobRunner.main("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.stdout().contains("columns.key_padding_mask"));
    assertFalse(r.stdout().contains("error:"));
  }
}
