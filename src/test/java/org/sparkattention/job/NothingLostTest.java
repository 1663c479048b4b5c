package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkattention.SparkTest;
import org.sparkattention.commit.DatasetTrees;
import org.sparkattention.commit.RunCommit;
import org.sparkattention.model.SafetensorsFile;
import org.sparkattention.model.SafetensorsWriter;

/**
 * What a hostile but realistic user does to the job, and what must hold each time: the exit code,
 * one {@code error:} line naming the problem, no stack trace, and every dataset (the input
 * included) byte for byte as it was; or, where the job runs, no wrong value written.
 */
@SparkTest
class NothingLostTest {
  /** Shared by the overlap cases: input, an existing output and maps from a first run. */
  @TempDir static Path shared;

  @TempDir Path dir;

  static final String WEIGHTS = JobFeaturesTest.WEIGHTS;

  @BeforeAll
  static void existingDatasets() throws IOException {
    copySamples(shared.resolve("d/in"));
    JobRunner.succeed(
        "--input",
        shared.resolve("d/in").toString(),
        "--weights",
        WEIGHTS,
        "--heads",
        "4",
        "--output",
        shared.resolve("d/out").toString(),
        "--maps",
        "mean",
        "--maps.output",
        shared.resolve("d/maps").toString());
    Files.createSymbolicLink(shared.resolve("d/link-to-in"), shared.resolve("d/in"));
  }

  static void copySamples(Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(Path.of(JobFeaturesTest.SAMPLES))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }

  private static JobRunner.Result run(String... args) {
    List<String> a = new ArrayList<>(List.of("--weights", WEIGHTS, "--heads", "4"));
    a.addAll(Arrays.asList(args));
    return JobRunner.main(a.toArray(new String[0]));
  }

  static Stream<Object[]> overlaps() {
    String d = shared.resolve("d").toString();
    return Stream.of(
        new Object[] {
          "output is the input through a scheme",
          new String[] {
            "--input", d + "/in", "--output", "file://" + d + "/in", "--mode", "overwrite"
          },
          "is the same directory as"
        },
        new Object[] {
          "input inside the output",
          new String[] {"--input", d + "/in", "--output", d, "--mode", "overwrite"},
          "inside"
        },
        new Object[] {
          "output through ..",
          new String[] {"--input", d + "/in", "--output", d + "/out/../in", "--mode", "overwrite"},
          "is the same directory as"
        },
        new Object[] {
          "output through a symlink",
          new String[] {"--input", d + "/in", "--output", d + "/link-to-in", "--mode", "overwrite"},
          "is the same directory as"
        },
        new Object[] {
          "maps are the output through a scheme",
          new String[] {
            "--input",
            d + "/in",
            "--output",
            d + "/out",
            "--maps",
            "mean",
            "--maps.output",
            "file://" + d + "/out",
            "--mode",
            "overwrite"
          },
          "is the same directory as"
        },
        new Object[] {
          "maps inside the output",
          new String[] {
            "--input",
            d + "/in",
            "--output",
            d + "/out",
            "--maps",
            "mean",
            "--maps.output",
            d + "/out/maps",
            "--mode",
            "overwrite"
          },
          "a parent of"
        },
        new Object[] {
          "maps are a new output under errorifexists",
          new String[] {
            "--input",
            d + "/in",
            "--output",
            d + "/new",
            "--maps",
            "mean",
            "--maps.output",
            "file://" + d + "/new"
          },
          "is the same directory as"
        },
        new Object[] {
          "bad rows inside the input",
          new String[] {
            "--input",
            d + "/in",
            "--output",
            d + "/out2",
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            d + "/in/bad"
          },
          "a parent of"
        });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("overlaps")
  void overlappingDatasetsAreRefusedAndNothingChanges(String what, String[] args, String relation) {
    Map<String, String> before = DatasetTrees.snapshot(shared);
    JobRunner.assertRefused(run(args), 2, relation, "Give each dataset its own directory");
    assertEquals(before, DatasetTrees.snapshot(shared));
  }

  @Test
  void aFailingCommitRestoresEveryDatasetAndRemovesTheStaging() {
    Path base = shared.resolve("d");
    Map<String, String> before = DatasetTrees.snapshot(shared);
    for (int step : new int[] {0, 2, 3}) {
      System.setProperty(RunCommit.FAIL_AT_STEP, Integer.toString(step));
      try {
        JobRunner.Result r =
            run(
                "--input",
                base.resolve("in").toString(),
                "--output",
                base.resolve("out").toString(),
                "--maps",
                "heads",
                "--maps.output",
                base.resolve("maps").toString(),
                "--mode",
                "overwrite");
        JobRunner.assertRefused(r, 5, "fault injected", "Every dataset was left as it was");
      } finally {
        System.clearProperty(RunCommit.FAIL_AT_STEP);
      }
      assertEquals(before, DatasetTrees.snapshot(shared), "step " + step);
    }
  }

  @Test
  void anUnrenamableMapsDatasetFailsTheCommitAndChangesNothing() throws Exception {
    Path d = dir.resolve("d");
    copySamples(d.resolve("in"));
    String[] args = {
      "--input",
      d.resolve("in").toString(),
      "--output",
      d.resolve("out").toString(),
      "--maps",
      "mean",
      "--maps.output",
      d.resolve("maps").toString(),
      "--mode",
      "overwrite"
    };
    JobRunner.succeed(withWeights(args));
    Map<String, String> before = DatasetTrees.snapshot(d);
    Process chattr = new ProcessBuilder("chattr", "+i", d.resolve("maps").toString()).start();
    org.junit.jupiter.api.Assumptions.assumeTrue(chattr.waitFor() == 0, "chattr +i available");
    JobRunner.Result r;
    try {
      r = run(args);
    } finally {
      new ProcessBuilder("chattr", "-i", d.resolve("maps").toString()).start().waitFor();
    }
    JobRunner.assertRefused(r, 5, "committing output", "Every dataset was left as it was");
    assertEquals(before, DatasetTrees.snapshot(d));
  }

  private static String[] withWeights(String... args) {
    List<String> a = new ArrayList<>(List.of("--weights", WEIGHTS, "--heads", "4"));
    a.addAll(Arrays.asList(args));
    return a.toArray(new String[0]);
  }

  @Test
  void aMaskColumnThatIsNotThereIsAnError() {
    JobRunner.assertRefused(
        run(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--output",
            dir.resolve("out").toString(),
            "--columns.key_padding_mask",
            "padding_mask"),
        4,
        "columns.key_padding_mask is 'padding_mask'",
        "no such column",
        "[id, date, x]");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void aMaskColumnInSomeFilesMasksTheirRowsAndOnlyTheirs() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Random rnd = new Random(7);
    List<Object[]> rows = new ArrayList<>();
    for (long id = 0; id < 12; id++) {
      int len = 4 + (int) id % 3;
      Boolean[] mask = null;
      if (id < 6) {
        mask = new Boolean[len];
        Arrays.fill(mask, false);
        mask[len - 1] = true;
      }
      rows.add(new Object[] {id, "l" + id, BadInputTest.tokens(rnd, len, BadInputTest.E), mask});
    }
    Path all = dir.resolve("all");
    BadInputTest.write(spark, all, false, rows);
    // The same rows as two files: the first without the mask column (as an older writer made it).
    Path mixed = dir.resolve("mixed");
    Dataset<Row> df = spark.read().parquet(all.toString());
    df.filter("id >= 6")
        .drop("key_padding_mask")
        .coalesce(1)
        .write()
        .parquet(dir.resolve("a").toString());
    df.filter("id < 6").coalesce(1).write().parquet(dir.resolve("b").toString());
    Files.createDirectories(mixed);
    Files.move(partFile(dir.resolve("a")), mixed.resolve("part-00000-a.parquet"));
    Files.move(partFile(dir.resolve("b")), mixed.resolve("part-00001-b.parquet"));

    JobRunner.succeed(
        withWeights("--input", all.toString(), "--output", dir.resolve("o1").toString()));
    JobRunner.succeed(
        withWeights("--input", mixed.toString(), "--output", dir.resolve("o2").toString()));
    List<Row> expected =
        spark.read().parquet(dir.resolve("o1").toString()).orderBy("id").collectAsList();
    List<Row> got =
        spark.read().parquet(dir.resolve("o2").toString()).orderBy("id").collectAsList();
    assertEquals(12, got.size());
    for (int i = 0; i < 12; i++) {
      assertEquals(
          expected.get(i).getList(2).toString(), got.get(i).getList(2).toString(), "id " + i);
    }
  }

  private static Path partFile(Path dataset) throws IOException {
    try (Stream<Path> s = Files.list(dataset)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .findFirst()
          .orElseThrow();
    }
  }

  /** The sample layer's weights, one tensor changed. */
  private Path weightsWith(String tensor, java.util.function.UnaryOperator<double[]> change) {
    SafetensorsFile f = SafetensorsFile.read(WEIGHTS);
    SafetensorsWriter w = new SafetensorsWriter("F32");
    for (var e : f.tensors().entrySet()) {
      double[] v = f.readDoubles(e.getKey());
      w.put(
          e.getKey(),
          e.getKey().equals(tensor) || tensor.equals("*") ? change.apply(v) : v,
          e.getValue().shape());
    }
    Path p = dir.resolve("w-" + tensor.replace('*', 'x') + ".safetensors");
    w.write(p);
    return p;
  }

  @Test
  void nonFiniteWeightsAreRefusedNamingTensorAndIndex() {
    Path nan =
        weightsWith(
            "in_proj_weight",
            v -> {
              v[33] = Double.NaN;
              return v;
            });
    JobRunner.assertRefused(
        JobRunner.samplesWith(nan, dir.resolve("out")),
        3,
        "'in_proj_weight'",
        "NaN at index [1, 1]",
        "must be finite");
    Path inf =
        weightsWith(
            "out_proj.bias",
            v -> {
              v[2] = Double.POSITIVE_INFINITY;
              return v;
            });
    JobRunner.assertRefused(
        JobRunner.samplesWith(inf, dir.resolve("out")),
        3,
        "'out_proj.bias'",
        "Infinity at index [2]");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void overflowingRowsAreBadRowsNeverInfinityInTheOutput() {
    SparkSession spark = SparkTestSession.get();
    Path huge =
        weightsWith(
            "*",
            v -> {
              for (int i = 0; i < v.length; i++) v[i] *= 1e30;
              return v;
            });
    JobRunner.Result failed = JobRunner.samplesWith(huge, dir.resolve("out"));
    JobRunner.assertRefused(failed, 4, "input row with id", "overflows", "beyond float32's range");
    assertFalse(Files.exists(dir.resolve("out")));

    // Quarantined: every row overflows, so the output is empty (and readable) and all are bad.
    Map<String, Object> summary =
        JobRunner.succeed(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--weights",
            huge.toString(),
            "--heads",
            "4",
            "--output",
            dir.resolve("out").toString(),
            "--maps",
            "mean",
            "--maps.output",
            dir.resolve("maps").toString(),
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            dir.resolve("bad").toString());
    assertEquals(300, ((Number) summary.get("bad_rows")).intValue());
    assertEquals(0, ((Number) summary.get("rows_written")).intValue());
    assertEquals(0, spark.read().parquet(dir.resolve("out").toString()).count());
    assertEquals(0, spark.read().parquet(dir.resolve("maps").toString()).count());
    Dataset<Row> bad = spark.read().parquet(dir.resolve("bad").toString());
    assertEquals(300, bad.count());
    assertEquals(300, bad.filter(functions.col("reason").contains("overflows")).count());
    assertTrue(
        Arrays.asList(spark.read().parquet(dir.resolve("out").toString()).columns())
            .contains("output"));
  }

  @Test
  void hugeDoubleInputsAreBadRowsNotNaN() {
    SparkSession spark = SparkTestSession.get();
    Random rnd = new Random(8);
    List<Object[]> rows = new ArrayList<>();
    for (long id = 0; id < 6; id++) {
      Double[][] x = BadInputTest.tokens(rnd, 3, BadInputTest.E);
      if (id == 4) {
        for (Double[] t : x) {
          for (int j = 0; j < t.length; j++) {
            t[j] *= 1e200;
          }
        }
      }
      rows.add(new Object[] {id, "l" + id, x, null});
    }
    Path in = dir.resolve("in");
    BadInputTest.write(spark, in, false, rows);
    JobRunner.assertRefused(
        run("--input", in.toString(), "--output", dir.resolve("out").toString()),
        4,
        "input row with id 4",
        "overflows",
        "NaN");
    JobRunner.succeed(
        withWeights(
            "--input",
            in.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            dir.resolve("bad").toString()));
    assertEquals(5, spark.read().parquet(dir.resolve("out").toString()).count());
    List<Row> bad = spark.read().parquet(dir.resolve("bad").toString()).collectAsList();
    assertEquals(1, bad.size());
    assertEquals(4L, bad.get(0).<Long>getAs("id"));
    assertEquals("l4", bad.get(0).<String>getAs("label"));
  }

  @Test
  void anEmptyInputWritesEmptyReadableDatasets() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path empty = dir.resolve("empty");
    spark.read().parquet(JobFeaturesTest.SAMPLES).limit(0).write().parquet(empty.toString());
    Map<String, Object> summary =
        JobRunner.succeed(
            withWeights(
                "--input",
                empty.toString(),
                "--output",
                dir.resolve("out").toString(),
                "--maps",
                "heads",
                "--maps.output",
                dir.resolve("maps").toString(),
                "--bad.rows",
                "quarantine",
                "--bad.rows.output",
                dir.resolve("bad").toString(),
                "--partition.by",
                "date"));
    assertEquals(0, ((Number) summary.get("sequences")).intValue());
    assertTrue(
        summary.get("notes").toString().contains("the input has no rows"), summary.toString());
    for (String[] c : new String[][] {{"out", "output"}, {"maps", "weights"}, {"bad", "reason"}}) {
      Dataset<Row> df = spark.read().parquet(dir.resolve(c[0]).toString());
      assertEquals(0, df.count(), c[0]);
      List<String> columns = Arrays.asList(df.columns());
      assertTrue(columns.containsAll(List.of("id", "date", c[1])), c[0] + ": " + columns);
    }
    try (var conn = java.sql.DriverManager.getConnection("jdbc:duckdb:");
        var st = conn.createStatement();
        var rs =
            st.executeQuery(
                "SELECT count(*) FROM read_parquet('"
                    + dir.resolve("out")
                    + "/**/*.parquet', hive_partitioning = true)")) {
      assertTrue(rs.next());
      assertEquals(0, rs.getLong(1));
    }
  }

  @Test
  void overwritePartitionsIntoAnUnpartitionedDatasetIsRefused() {
    Path base = shared.resolve("d");
    Map<String, String> before = DatasetTrees.snapshot(shared);
    JobRunner.assertRefused(
        run(
            "--input",
            base.resolve("in").toString(),
            "--output",
            base.resolve("out").toString(),
            "--mode",
            "overwrite-partitions",
            "--partition.by",
            "date"),
        5,
        "not partitioned",
        "partitioned by [date]",
        "would mix two layouts");
    assertEquals(before, DatasetTrees.snapshot(shared));
  }

  @Test
  void appendingOtherColumnsIsRefused() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path in = dir.resolve("in");
    spark
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumn("extra", functions.lit(1))
        .write()
        .parquet(in.toString());
    Path base = shared.resolve("d");
    Map<String, String> before = DatasetTrees.snapshot(shared);
    JobRunner.assertRefused(
        run(
            "--input",
            in.toString(),
            "--output",
            base.resolve("out").toString(),
            "--mode",
            "append"),
        5,
        "holds a dataset not partitioned with columns [id bigint, date string, output",
        "extra int",
        "would mix two layouts");
    assertEquals(before, DatasetTrees.snapshot(shared));
  }

  @Test
  void carriedColumnsThatCollideWithOutputColumnsAreRefused() {
    SparkSession spark = SparkTestSession.get();
    Path in = dir.resolve("in");
    spark
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumn("Output", functions.lit(1))
        .write()
        .parquet(in.toString());
    JobRunner.assertRefused(
        run("--input", in.toString(), "--output", dir.resolve("out").toString()),
        4,
        "input column 'Output'",
        "compare without case");
    Path in2 = dir.resolve("in2");
    spark
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumn("Reason", functions.lit("r"))
        .write()
        .parquet(in2.toString());
    JobRunner.assertRefused(
        run(
            "--input",
            in2.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            dir.resolve("bad").toString()),
        4,
        "'reason'",
        "without case");
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(
          List.of("in", "in2"), left.map(p -> p.getFileName().toString()).sorted().toList());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aPartitionColumnTwiceIsAConfigError() {
    JobRunner.assertRefused(
        run(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--output",
            dir.resolve("out").toString(),
            "--partition.by",
            "date,date"),
        2,
        "names column 'date' twice");
  }

  @Test
  void aPartitionValueTooLongForADirectoryNameIsABadRow() {
    SparkSession spark = SparkTestSession.get();
    Path in = dir.resolve("in");
    spark
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumn("tag", functions.expr("IF(id = 7, repeat('t', 300), 'short')"))
        .write()
        .parquet(in.toString());
    JobRunner.assertRefused(
        run(
            "--input",
            in.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--partition.by",
            "tag"),
        4,
        "input row with id 7",
        "partition.by column 'tag'",
        "255");
    JobRunner.succeed(
        withWeights(
            "--input",
            in.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--partition.by",
            "tag",
            "--bad.rows",
            "quarantine",
            "--bad.rows.output",
            dir.resolve("bad").toString()));
    assertEquals(299, spark.read().parquet(dir.resolve("out").toString()).count());
    List<Row> bad = spark.read().parquet(dir.resolve("bad").toString()).collectAsList();
    assertEquals(1, bad.size());
    assertEquals(7L, bad.get(0).<Long>getAs("id"));
    assertTrue(
        bad.get(0).isNullAt(bad.get(0).fieldIndex("tag")),
        "the value that cannot be a directory name");
    assertTrue(bad.get(0).<String>getAs("reason").contains("'tag'"));
  }

  @Test
  void anOutputUnderAFileIsRefusedBeforeAnyStage() throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    JobRunner.assertRefused(
        run("--input", JobFeaturesTest.SAMPLES, "--output", dir.resolve("file/out").toString()),
        5,
        "is a file, not a directory");
  }

  @Test
  void aMissingConnectorIsAConfigErrorNamingTheJar() {
    JobRunner.assertRefused(
        JobRunner.main(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--weights",
            "s3a://bucket/w.safetensors",
            "--heads",
            "4",
            "--output",
            dir.resolve("out").toString()),
        2,
        "weights 's3a://bucket/w.safetensors'",
        "scheme 's3a'",
        "hadoop-aws");
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void morePartitionsThanRowsAreCapped() {
    Map<String, Object> summary =
        JobRunner.succeed(
            withWeights(
                "--input",
                JobFeaturesTest.SAMPLES,
                "--output",
                dir.resolve("out").toString(),
                "--partitions",
                "100000"));
    assertEquals(300, ((Number) summary.get("tasks")).intValue());
    assertTrue(
        summary.get("notes").toString().contains("partitions = 100000 is more than the 300"),
        summary.toString());
  }

  @Test
  void stagingLeftByAKilledRunIsRemovedByTheNextRun() throws Exception {
    Path out = dir.resolve("out");
    // What a run killed mid-compute (SIGKILL) leaves: its staging and its owner file.
    Process dead = new ProcessBuilder("true").start();
    dead.waitFor();
    String runId = "20260101000000-0123456789ab";
    Path staging = dir.resolve(".out.staging-" + runId);
    DatasetTrees.write(staging, Map.of("_temporary/0/part-00000.parquet", "half"));
    Files.writeString(
        dir.resolve(".out.run-" + runId + ".json"),
        "{\"owner\":{\"runId\":\""
            + runId
            + "\",\"host\":\""
            + java.net.InetAddress.getLocalHost().getHostName()
            + "\",\"pid\":"
            + dead.pid()
            + ",\"pidStartMillis\":0},\"state\":\"running\",\"moves\":[],\"ownerFiles\":[]}");
    JobRunner.Result r = run("--input", JobFeaturesTest.SAMPLES, "--output", out.toString());
    assertEquals(0, r.exitCode(), r.stderr());
    assertTrue(r.stderr().contains("note: removed the staging that run " + runId), r.stderr());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of("out"), left.map(p -> p.getFileName().toString()).toList());
    }
  }
}
