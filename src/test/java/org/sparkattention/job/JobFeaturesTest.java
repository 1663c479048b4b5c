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
import org.sparkattention.SparkTest;
import org.sparkattention.io.spark.SparkInternals;

/**
 * The job on the samples in local[2]: carried columns, partition.by, every save mode, parquet, orc
 * and json input, the summary file.
 */
@SparkTest
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
          "sequences",
          "rows_written",
          "bad_rows",
          "fully_masked_queries",
          "tasks",
          "wall_seconds",
          "attention_gflops_per_second",
          "task_cost_balance",
          "wall_split_seconds",
          "products"
        }) {
      assertTrue(summary.containsKey(key), "summary has " + key);
    }
    // Task time per row: the kernel's share and the rest, which add up to all the tasks' time.
    Map<?, ?> tasks = (Map<?, ?>) summary.get("task_seconds");
    Map<?, ?> perRow = (Map<?, ?>) summary.get("task_microseconds_per_row");
    double kernel = ((Number) perRow.get("kernel")).doubleValue();
    double outside = ((Number) perRow.get("outside_kernel")).doubleValue();
    assertEquals(((Number) tasks.get("compute")).doubleValue() * 1e6 / 300, kernel, 2.0);
    assertTrue(outside > 0, "rows cost time outside the kernel: " + perRow);
    assertEquals(
        ((Number) tasks.get("all_tasks")).doubleValue() * 1e6 / 300, kernel + outside, 4.0);

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
    assertEquals(100, spark.read().parquet(out.toString()).where("date = '2026-11-21'").count());
  }

  @Test
  void everyInputFormatGivesTheSameOutputsAndCarriedColumns() {
    SparkSession spark = SparkTestSession.get();
    // Doubles survive JSON text exactly (floats would come back as the nearest double of their
    // shortest decimal form), so all inputs hold the same values. Parquet and ORC are read as
    // column batches, JSON as rows: carried columns of nested types must come through both.
    var input =
        spark
            .read()
            .parquet(SAMPLES)
            .where("id < 40")
            .withColumn("x", functions.col("x").cast("array<array<double>>"))
            .withColumn(
                "info",
                functions.struct(
                    functions.col("id").multiply(2).alias("twice"),
                    functions.concat(functions.lit("seq-"), functions.col("id")).alias("name")))
            .withColumn(
                "tags", functions.array(functions.lit("a"), functions.col("id").cast("string")));
    Map<String, String> outputs = new TreeMap<>();
    for (String format : new String[] {"parquet", "orc", "json"}) {
      Path in = dir.resolve(format);
      input.write().format(format).save(in.toString());
      var plan = spark.read().format(format).load(in.toString()).queryExecution().executedPlan();
      assertEquals(
          !format.equals("json"),
          SparkInternals.columnarScan(plan) != null,
          format + " is read as column batches: " + plan);
      Path out = dir.resolve("from-" + format);
      JobRunner.succeed(sampleArgs(in.toString(), out.toString(), "--input.format", format));
      outputs.put(format, out.toString());
    }
    Path fromParquet = Path.of(outputs.get("parquet"));
    assertEquals(40, TestDatasets.byId(spark, fromParquet.toString()).size());
    for (String format : new String[] {"orc", "json"}) {
      TestDatasets.assertSameValues(Path.of(outputs.get(format)), fromParquet, "output");
    }
    for (String format : new String[] {"parquet", "orc"}) {
      for (Row r : TestDatasets.byId(spark, outputs.get(format)).values()) {
        long id = r.<Long>getAs("id");
        Row info = r.getAs("info");
        assertEquals(2 * id, info.<Long>getAs("twice"), format + " carried struct");
        assertEquals("seq-" + id, info.<String>getAs("name"), format + " carried struct");
        assertEquals(
            java.util.List.of("a", String.valueOf(id)),
            r.<Object>getList(r.fieldIndex("tags")),
            format + " carried array");
      }
    }
  }

  @Test
  void directoryPartitionedInputGivesTheSameOutputs() {
    // A partition column of the input comes from directory names (a constant vector in each
    // column batch), not from the files: it must be carried like any other column.
    SparkSession spark = SparkTestSession.get();
    Path in = dir.resolve("by-date");
    spark.read().parquet(SAMPLES).write().partitionBy("date").parquet(in.toString());
    Path out = dir.resolve("from-partitioned");
    Path plain = dir.resolve("from-plain");
    JobRunner.succeed(sampleArgs(in.toString(), out.toString()));
    JobRunner.succeed(sampleArgs(SAMPLES, plain.toString()));
    Map<Long, Row> expected = TestDatasets.byId(spark, plain.toString());
    Map<Long, Row> actual = TestDatasets.byId(spark, out.toString());
    assertEquals(expected.keySet(), actual.keySet());
    for (Long id : expected.keySet()) {
      assertEquals(
          String.valueOf(expected.get(id).<Object>getAs("date")),
          String.valueOf(actual.get(id).<Object>getAs("date")),
          "carried partition column, id " + id);
    }
    TestDatasets.assertSameValues(out, plain, "output");
  }

  @Test
  void helpListsEveryKey() {
    JobRunner.Result r = JobRunner.main("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.stdout().contains("columns.key_padding_mask"));
    assertFalse(r.stdout().contains("error:"));
  }
}
