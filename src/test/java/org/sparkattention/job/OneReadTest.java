package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkattention.SparkTest;

/**
 * Input whose partitions are balanced tasks as they are (files of rows of the same lengths), or one
 * file of one row group, whose rows are routed to their tasks as they are read: the job plans from
 * the footers, reads the input once and checks each row as it computes it. The values, bad-row
 * verdicts and errors are those of a run that scans first ({@code partitions} set: a cost plan, the
 * input read twice).
 */
@SparkTest
class OneReadTest {
  @TempDir Path dir;

  private static final int E = BadInputTest.E;

  /**
   * 24 rows, lengths 3 to 8, in {@code files} files (one file: one row group, one partition);
   * {@code bad} replaces rows by id.
   */
  private Path input(Map<Long, Object[]> bad, int files) {
    Random rnd = new Random(11);
    List<Object[]> rows = new ArrayList<>();
    for (long id = 0; id < 24; id++) {
      Object[] good = {id, "l" + id, BadInputTest.tokens(rnd, 3 + (int) (id % 6), E), null};
      rows.add(bad.getOrDefault(id, good));
    }
    Path input = dir.resolve("input");
    BadInputTest.write(SparkTestSession.get(), input, false, rows, files);
    return input;
  }

  private Map<String, Object> succeed(Path input, String output, String... more) {
    return JobRunner.succeed(args(input, output, more));
  }

  private JobRunner.Result run(Path input, String output, String... more) {
    return JobRunner.main(args(input, output, more));
  }

  private String[] args(Path input, String output, String... more) {
    return JobFeaturesTest.sampleArgs(input.toString(), dir.resolve(output).toString(), more);
  }

  @SuppressWarnings("unchecked")
  private static void assertReads(Map<String, Object> summary, int reads, String tasksAre) {
    assertEquals(reads, ((Number) summary.get("input_reads")).intValue(), summary.toString());
    Map<String, Object> balance = (Map<String, Object>) summary.get("task_cost_balance");
    assertEquals(tasksAre, balance.get("tasks_are"));
  }

  /**
   * 4 files: the input partitions (Spark packs the small files into two) are the tasks; 1 file of
   * one row group: its rows are routed as read to a task per core. Either way one read, and a
   * scanned run's values.
   */
  @ParameterizedTest(name = "{0} file(s)")
  @ValueSource(ints = {4, 1})
  void inputReadOnceGivesTheValuesOfAScannedRun(int files) {
    Path input = input(Map.of(), files);
    Map<String, Object> once =
        succeed(
            input, "once", "--maps", "mean", "--maps.output", dir.resolve("once-maps").toString());
    assertReads(once, 1, files == 1 ? "cost plan" : "input partitions");
    assertEquals(2, ((Number) once.get("tasks")).intValue(), "a task per core of local[2]");
    assertEquals(24, ((Number) once.get("sequences")).intValue());
    assertEquals(24, ((Number) once.get("rows_written")).intValue());
    Map<String, Object> dry = succeed(input, "dry", "--dry-run");
    assertEquals(1, ((Number) dry.get("input_reads")).intValue(), "the dry run says so");
    assertEquals(once.get("tasks"), dry.get("tasks"));
    Map<String, Object> twice =
        succeed(
            input,
            "twice",
            "--partitions",
            "3",
            "--maps",
            "mean",
            "--maps.output",
            dir.resolve("twice-maps").toString());
    assertReads(twice, 2, "cost plan");
    TestDatasets.assertSameValues(dir.resolve("once"), dir.resolve("twice"), "output");
    TestDatasets.assertSameValues(dir.resolve("once-maps"), dir.resolve("twice-maps"), "weights");
    // The plan reported is what the tasks computed: the same FLOPs as the scanned run's plan.
    assertEquals(
        ((Number) twice.get("attention_gflop")).doubleValue(),
        ((Number) once.get("attention_gflop")).doubleValue(),
        1e-3);
  }

  @ParameterizedTest(name = "{0} file(s)")
  @ValueSource(ints = {4, 1})
  void aBadRowFailsTheRunReadOnceWithNothingWrittenAndTheOldOutputKept(int files) throws Exception {
    Path out = dir.resolve("out");
    succeed(input(Map.of(), files), "out");
    Map<String, byte[]> before = JobFeaturesTest.snapshot(out);
    deleteTree(dir.resolve("input"));

    Random rnd = new Random(4);
    Path input =
        input(Map.of(2L, new Object[] {2L, "l2", BadInputTest.tokens(rnd, 4, E + 1), null}), files);
    JobRunner.Result r = run(input, "out", "--mode", "overwrite");
    JobRunner.assertRefused(r, 4, "input row with id 2", "need 32", "nothing was written");
    Map<String, byte[]> after = JobFeaturesTest.snapshot(out);
    assertEquals(before.keySet(), after.keySet(), "same files");
    before.forEach((f, bytes) -> assertArrayEquals(bytes, after.get(f), f));
    try (Stream<Path> left = Files.list(dir)) {
      assertTrue(
          left.noneMatch(p -> p.getFileName().toString().contains("staging")), "no staging left");
    }
  }

  /** Rows 2 (one value short) and 20 (a NaN) bad, in {@code files} files. */
  private Path inputWithTwoBadRows(int files) {
    Random rnd = new Random(5);
    Double[][] nan = BadInputTest.tokens(rnd, 5, E);
    nan[1][3] = Double.NaN;
    return input(
        Map.of(
            2L, new Object[] {2L, "l2", BadInputTest.tokens(rnd, 5, E - 1), null},
            20L, new Object[] {20L, "l20", nan, null}),
        files);
  }

  @ParameterizedTest(name = "{0} file(s)")
  @ValueSource(ints = {4, 1})
  void quarantineReadOnceSetsAsideWhatAScannedRunSetsAside(int files) {
    SparkSession spark = SparkTestSession.get();
    Path input = inputWithTwoBadRows(files);
    Map<String, Object> once =
        succeed(
            input,
            "once",
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            dir.resolve("once-bad").toString());
    assertReads(once, 1, files == 1 ? "cost plan" : "input partitions");
    assertEquals(2, ((Number) once.get("bad_rows")).intValue());
    assertEquals(24, ((Number) once.get("sequences")).intValue());
    succeed(
        input,
        "twice",
        "--partitions",
        "3",
        "--bad.rows",
        "quarantine",
        "--bad.rows.output",
        dir.resolve("twice-bad").toString());
    TestDatasets.assertSameValues(dir.resolve("once"), dir.resolve("twice"), "output");
    List<Row> onceBad =
        spark.read().parquet(dir.resolve("once-bad").toString()).orderBy("id").collectAsList();
    List<Row> twiceBad =
        spark.read().parquet(dir.resolve("twice-bad").toString()).orderBy("id").collectAsList();
    assertEquals(twiceBad, onceBad);
    assertEquals(2, onceBad.size());
    assertEquals("l2", onceBad.get(0).<String>getAs("label"), "carried columns kept");
    assertTrue(onceBad.get(1).<String>getAs("reason").contains("NaN"));
  }

  @ParameterizedTest(name = "{0} file(s)")
  @ValueSource(ints = {4, 1})
  void moreBadRowsThanAllowedFailAReadOnceRunWithExamples(int files) {
    Path input = inputWithTwoBadRows(files);
    Path bad = dir.resolve("bad");
    JobRunner.Result r =
        run(
            input,
            "out",
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            bad.toString(),
            "--bad.rows.max",
            "1");
    JobRunner.assertRefused(r, 4, "2 of the 24 input rows are bad", "bad.rows.max", "2: ", "20: ");
    assertFalse(Files.exists(dir.resolve("out")), "no output");
    assertFalse(Files.exists(bad), "no bad rows");
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
