package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkattention.SparkTest;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.model.SafetensorsWriter;

/**
 * Bad input, through main: the exit code, one {@code error:} line naming the id, key, tensor or
 * column, no stack trace, and no output written. Then quarantine.
 */
@SparkTest
class BadInputTest {
  static final int E = 32;

  @TempDir Path dir;

  static final DataType NULLABLE_MATRIX =
      DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType, true), true);

  /** A good sequence of {@code len} tokens of width {@code width}. */
  static Double[][] tokens(Random rnd, int len, int width) {
    Double[][] t = new Double[len][width];
    for (Double[] row : t) {
      for (int j = 0; j < width; j++) {
        row[j] = rnd.nextGaussian();
      }
    }
    return t;
  }

  static Object matrix(Double[][] m) {
    if (m == null) {
      return null;
    }
    Object[] rows = new Object[m.length];
    for (int i = 0; i < m.length; i++) {
      rows[i] = m[i] == null ? null : new GenericArrayData(m[i]);
    }
    return new GenericArrayData(rows);
  }

  /** Writes rows (id, label, x, key_padding_mask) or (id, label, query, key, value, mask). */
  static void write(SparkSession spark, Path path, boolean cross, List<Object[]> rows) {
    write(spark, path, cross, rows, 2);
  }

  /** {@link #write} in {@code files} files of consecutive rows. */
  static void write(SparkSession spark, Path path, boolean cross, List<Object[]> rows, int files) {
    List<org.apache.spark.sql.types.StructField> f = new ArrayList<>();
    f.add(DataTypes.createStructField("id", DataTypes.LongType, true));
    f.add(DataTypes.createStructField("label", DataTypes.StringType, true));
    for (String c : cross ? List.of("query", "key", "value") : List.of("x")) {
      f.add(DataTypes.createStructField(c, NULLABLE_MATRIX, true));
    }
    f.add(
        DataTypes.createStructField(
            "key_padding_mask", DataTypes.createArrayType(DataTypes.BooleanType, true), true));
    StructType schema = DataTypes.createStructType(f);
    List<InternalRow> internal = new ArrayList<>();
    for (Object[] r : rows) {
      Object[] v = new Object[r.length];
      for (int i = 0; i < r.length; i++) {
        v[i] =
            r[i] instanceof Double[][] m
                ? matrix(m)
                : r[i] instanceof String s
                    ? UTF8String.fromString(s)
                    : r[i] instanceof Boolean[] b ? new GenericArrayData(b) : r[i];
      }
      internal.add(new GenericInternalRow(v));
    }
    var rdd =
        org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(internal, files);
    SparkInternals.createDataFrame(spark, rdd.rdd(), schema)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(path.toString());
  }

  /** Eleven good self-attention rows and the given bad one with id 5. */
  static List<Object[]> withBadRow(Object[] bad) {
    Random rnd = new Random(5);
    List<Object[]> rows = new ArrayList<>();
    for (long id = 0; id < 12; id++) {
      rows.add(id == 5 ? bad : new Object[] {id, "l" + id, tokens(rnd, 3 + (int) id % 5, E), null});
    }
    return rows;
  }

  static Stream<Arguments> badRows() {
    Random rnd = new Random(1);
    Double[][] ragged = tokens(rnd, 4, E);
    ragged[2] = Arrays.copyOf(ragged[2], E - 3);
    Double[][] nan = tokens(rnd, 4, E);
    nan[1][7] = Double.NaN;
    Double[][] inf = tokens(rnd, 4, E);
    inf[3][0] = Double.POSITIVE_INFINITY;
    Double[][] nullValue = tokens(rnd, 4, E);
    nullValue[0][2] = null;
    Double[][] nullToken = tokens(rnd, 4, E);
    nullToken[1] = null;
    return Stream.of(
        Arguments.of("null id", new Object[] {null, "x", tokens(rnd, 3, E), null}, "null", "id"),
        Arguments.of("null sequence", new Object[] {5L, "x", null, null}, "5", "'x' is null"),
        Arguments.of("empty sequence", new Object[] {5L, "x", new Double[0][], null}, "5", "empty"),
        Arguments.of("ragged", new Object[] {5L, "x", ragged, null}, "5", "ragged"),
        Arguments.of("width", new Object[] {5L, "x", tokens(rnd, 3, E + 1), null}, "5", "need 32"),
        Arguments.of(
            "mask length",
            new Object[] {5L, "x", tokens(rnd, 4, E), new Boolean[] {true, false}},
            "5",
            "2 entries but the sequence has 4 keys"),
        Arguments.of("NaN", new Object[] {5L, "x", nan, null}, "5", "NaN"),
        Arguments.of("infinity", new Object[] {5L, "x", inf, null}, "5", "Infinity"),
        Arguments.of("null value", new Object[] {5L, "x", nullValue, null}, "5", "value 2 is null"),
        Arguments.of(
            "null token", new Object[] {5L, "x", nullToken, null}, "5", "token 1 is null"));
  }

  private JobRunner.Result run(Path input, String... more) {
    return JobRunner.main(
        JobFeaturesTest.sampleArgs(input.toString(), dir.resolve("out").toString(), more));
  }

  /** Exit code, one error line containing every fragment, no stack trace, nothing written. */
  private void assertRefused(JobRunner.Result r, int exitCode, String... fragments) {
    JobRunner.assertRefused(r, exitCode, fragments);
    assertFalse(Files.exists(dir.resolve("out")), "no output dataset");
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(
          files.noneMatch(p -> p.getFileName().toString().contains("staging")), "no staging left");
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRows")
  void badRowStopsTheJobNamingItsId(String what, Object[] bad, String id, String reason) {
    Path input = dir.resolve("input");
    write(SparkTestSession.get(), input, false, withBadRow(bad));
    assertRefused(run(input), 4, "input row with id " + id, reason, "nothing was written");
  }

  @Test
  void keyAndValueOfDifferentLengths() {
    Random rnd = new Random(2);
    List<Object[]> rows = new ArrayList<>();
    rows.add(new Object[] {1L, "a", tokens(rnd, 3, E), tokens(rnd, 5, E), tokens(rnd, 5, E), null});
    rows.add(new Object[] {2L, "b", tokens(rnd, 3, E), tokens(rnd, 5, E), tokens(rnd, 4, E), null});
    Path input = dir.resolve("cross");
    write(SparkTestSession.get(), input, true, rows);
    assertRefused(run(input), 4, "id 2", "key has 5 tokens but value has 4");
  }

  /** 12 rows, two of them bad: id 5 one value short, id 9 with a NaN. */
  private Path inputWithTwoBadRows(SparkSession spark) {
    Random rnd = new Random(3);
    List<Object[]> rows = withBadRow(new Object[] {5L, "l5", tokens(rnd, 3, E - 1), null});
    Double[][] nan = tokens(rnd, 2, E);
    nan[0][0] = Double.NaN;
    rows.set(9, new Object[] {9L, "l9", nan, null});
    Path input = dir.resolve("input");
    write(spark, input, false, rows);
    return input;
  }

  @Test
  void quarantineSetsBadRowsAsideAndProcessesTheRest() {
    SparkSession spark = SparkTestSession.get();
    Path input = inputWithTwoBadRows(spark);
    Path bad = dir.resolve("bad");
    JobRunner.Result r =
        run(input, "--bad.rows", "quarantine", "--bad.rows.output", bad.toString());
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals(10, spark.read().parquet(dir.resolve("out").toString()).count());
    List<Row> quarantined = spark.read().parquet(bad.toString()).orderBy("id").collectAsList();
    assertEquals(2, quarantined.size());
    assertEquals(5L, (long) quarantined.get(0).<Long>getAs("id"));
    assertEquals("l5", quarantined.get(0).<String>getAs("label"), "carried columns kept");
    assertTrue(quarantined.get(0).<String>getAs("reason").contains("need 32"));
    assertTrue(quarantined.get(1).<String>getAs("reason").contains("NaN"));
    assertTrue(r.summaryLine().contains("\"bad_rows\":2"), r.summaryLine());
  }

  @Test
  void moreBadRowsThanBadRowsMaxFailWithNothingWritten() {
    SparkSession spark = SparkTestSession.get();
    Path input = inputWithTwoBadRows(spark);
    Path bad = dir.resolve("bad");
    String b = bad.toString();
    JobRunner.Result r =
        run(input, "--bad.rows", "quarantine", "--bad.rows.output", b, "--bad.rows.max", "1");
    assertRefused(r, 4, "2 of the 12 input rows are bad", "bad.rows.max", "(1 row(s))", "5: ");
    assertFalse(Files.exists(dir.resolve("out")), "no output");
    assertFalse(Files.exists(bad), "no bad rows");
    // 2 of 12 is within 20%: the run goes on.
    r = run(input, "--bad.rows", "quarantine", "--bad.rows.output", b, "--bad.rows.max", "20%");
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals(2, spark.read().parquet(bad.toString()).count());
  }

  @Test
  void unknownKeyIsAConfigError() {
    assertRefused(
        run(Path.of(JobFeaturesTest.SAMPLES), "--maps.outptu", "m"),
        2,
        "'maps.outptu'",
        "'maps.output'");
  }

  @Test
  void valueOutOfRangeIsAConfigError() {
    assertRefused(run(Path.of(JobFeaturesTest.SAMPLES), "--block.size", "0"), 2, "'block.size'");
  }

  @Test
  void missingInputPath() {
    assertRefused(run(dir.resolve("nowhere")), 2, "nowhere", "does not exist");
  }

  @Test
  void headsNotDividingEmbedDim() {
    JobRunner.Result r =
        JobRunner.main(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--weights",
            JobFeaturesTest.WEIGHTS,
            "--heads",
            "5",
            "--output",
            dir.resolve("out").toString());
    assertRefused(r, 2, "heads = 5", "E = 32");
  }

  private JobRunner.Result runWithWeights(Path weights) {
    return JobRunner.samplesWith(weights, dir.resolve("out"));
  }

  @Test
  void missingWeightsFile() {
    assertRefused(runWithWeights(dir.resolve("none.safetensors")), 3, "none.safetensors");
  }

  @Test
  void truncatedWeightsFile() throws Exception {
    byte[] whole = Files.readAllBytes(Path.of(JobFeaturesTest.WEIGHTS));
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
    assertRefused(runWithWeights(cut), 3, "cut.safetensors", "truncated");
  }

  @Test
  void weightsMissingATensor() {
    Path w = dir.resolve("partial.safetensors");
    new SafetensorsWriter("F32").put("in_proj_weight", new double[3 * E * E], 3 * E, E).write(w);
    assertRefused(runWithWeights(w), 3, "'out_proj.weight'", "partial.safetensors");
  }

  @Test
  void weightsOfTheWrongShape() {
    Path w = dir.resolve("shape.safetensors");
    new SafetensorsWriter("F32")
        .put("in_proj_weight", new double[3 * E * (E + 1)], 3 * E, E + 1)
        .put("out_proj.weight", new double[E * E], E, E)
        .write(w);
    assertRefused(runWithWeights(w), 3, "'in_proj_weight'", "(96, 33)");
  }

  @Test
  void inputWithoutSequenceColumns() {
    Path input = dir.resolve("no-x");
    SparkTestSession.get()
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .withColumnRenamed("x", "tokens")
        .write()
        .parquet(input.toString());
    assertRefused(run(input), 4, "'x'", "columns.x");
  }

  @Test
  void sequenceColumnOfTheWrongType() {
    Path input = dir.resolve("flat");
    SparkTestSession.get()
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .selectExpr("id", "date", "flatten(x) AS x")
        .write()
        .parquet(input.toString());
    assertRefused(run(input), 4, "'x'", "array<float>", "array<array<float>>");
  }

  @Test
  void mapsTooLargeForAnExecutorAreRefusedNotOutOfMemory() {
    // One sequence whose single map row would exceed a sixth of this JVM's heap.
    long heap = Runtime.getRuntime().maxMemory();
    int len = (int) Math.sqrt(heap / 6.0 / 4) + 64;
    Random rnd = new Random(4);
    Double[][] x = new Double[len][];
    Double[] token = tokens(rnd, 1, E)[0];
    Arrays.fill(x, token);
    Path input = dir.resolve("long");
    write(SparkTestSession.get(), input, false, List.<Object[]>of(new Object[] {1L, "a", x, null}));
    JobRunner.Result r =
        run(input, "--maps", "heads", "--maps.output", dir.resolve("m").toString());
    assertRefused(r, 4, "id 1", "attention map would be", "maps=none");
  }

  @Test
  void failedOverwriteLeavesTheExistingDatasetByteForByte() throws Exception {
    Path out = dir.resolve("out");
    JobRunner.succeed(
        "--input",
        JobFeaturesTest.SAMPLES,
        "--weights",
        JobFeaturesTest.WEIGHTS,
        "--heads",
        "4",
        "--output",
        out.toString(),
        "--partition.by",
        "date");
    Map<String, byte[]> before = JobFeaturesTest.snapshot(out);
    System.setProperty(FaultInjection.FAIL_AFTER_SEQUENCES, "20");
    JobRunner.Result r;
    try {
      r =
          JobRunner.main(
              "--input",
              JobFeaturesTest.SAMPLES,
              "--weights",
              JobFeaturesTest.WEIGHTS,
              "--heads",
              "4",
              "--output",
              out.toString(),
              "--mode",
              "overwrite",
              "--partitions",
              "3");
    } finally {
      System.clearProperty(FaultInjection.FAIL_AFTER_SEQUENCES);
    }
    assertEquals(1, r.exitCode(), "an injected task failure is an internal failure");
    assertTrue(r.stderr().contains("fault injected"), r.stderr());
    Map<String, byte[]> after = JobFeaturesTest.snapshot(out);
    assertEquals(before.keySet(), after.keySet(), "same files");
    before.forEach((k, v) -> assertTrue(Arrays.equals(v, after.get(k)), k + " unchanged"));
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging");
    }
  }
}
