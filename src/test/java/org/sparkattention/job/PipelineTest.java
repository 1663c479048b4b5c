package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.SparkTest;
import org.sparkattention.io.SyntheticDataGenerator;

/**
 * What a scheduler and a person see of a run: --version, --help, the failure summary, the success
 * summary's provenance, --dry-run, literal paths with glob characters, paths resolved as the caller
 * means them, and reruns that write the same files.
 */
@SparkTest
class PipelineTest {
  @TempDir Path dir;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(String line) throws Exception {
    return new ObjectMapper().readValue(line, Map.class);
  }

  @Test
  void versionNamesTheBuildAndWhatItRunsOn() {
    JobRunner.Result r = JobRunner.main("--version");
    assertEquals(0, r.exitCode(), r.stderr());
    String v = r.stdout();
    // The version and commit come from the build (pom.xml), not from the source.
    assertTrue(
        v.matches(
            "(?s)spark-attention \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit [0-9a-f]{7}"
                + "(-modified)?, built against Spark 4\\.\\d+\\.\\d+\\)\n.*"),
        v);
    assertTrue(v.contains("running on Spark " + SparkTestSession.get().version()), v);
    assertTrue(v.contains(", Java ") && v.contains(Runtime.version().toString()), v);
    assertTrue(v.matches("(?s).*\nkernel: products vector \\(\\d+ lanes\\), exp vector\n"), v);
  }

  @Test
  void helpListsOptionsExitCodesAndRequiredKeys() {
    JobRunner.Result r = JobRunner.main("--help");
    assertEquals(0, r.exitCode());
    for (String s :
        List.of("--dry-run", "--version", "Exit codes", "input ", "one of none, heads, mean")) {
      assertTrue(r.stdout().contains(s), s + " in:\n" + r.stdout());
    }
    assertTrue(r.stdout().lines().anyMatch(l -> l.contains("  heads ") && l.contains("required")));
  }

  @Test
  void aFailedRunEndsStdoutWithItsSummary() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
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
    JobRunner.assertRefused(r, 2, "heads = 5");
    Map<String, Object> failure = JobRunner.failure(r);
    assertEquals("config", failure.get("error_kind"));
    assertFalse(
        Instant.parse((String) failure.get("started_utc"))
            .isBefore(before.truncatedTo(ChronoUnit.SECONDS)));
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theSummarySaysWhatProducedTheDatasets() throws Exception {
    Path out = dir.resolve("out");
    Map<String, Object> summary =
        JobRunner.succeed(JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, out.toString()));
    Map<String, Object> p = (Map<String, Object>) summary.get("provenance");
    byte[] weights = Files.readAllBytes(Path.of(JobFeaturesTest.WEIGHTS));
    assertEquals(
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights)),
        p.get("weights_sha256"));
    assertEquals(
        "file:" + Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath(), p.get("input"), "qualified");
    Map<String, String> settings = (Map<String, String>) p.get("settings");
    assertEquals("4", settings.get("heads"));
    assertEquals("256", settings.get("block.size"), "defaults are listed");
    assertEquals("errorifexists", settings.get("mode"), "the effective mode, a default");
    SparkSession spark = SparkTestSession.get();
    assertEquals(spark.version(), p.get("spark"));
    assertEquals(spark.sparkContext().applicationId(), p.get("application_id"));
    assertEquals(
        Runtime.getRuntime().maxMemory(), ((Number) p.get("driver_max_heap_bytes")).longValue());
    Instant started = Instant.parse((String) p.get("started_utc"));
    Instant ended = Instant.parse((String) p.get("ended_utc"));
    assertFalse(ended.isBefore(started));
    assertTrue(((String) p.get("commit")).matches("[0-9a-f]{7}(-modified)?"), p.toString());
  }

  @Test
  void aDryRunPlansFromTheInputAndWritesNothing() throws Exception {
    Path out = dir.resolve("out");
    Path maps = dir.resolve("maps");
    JobRunner.Result r =
        JobRunner.main(
            JobFeaturesTest.sampleArgs(
                JobFeaturesTest.SAMPLES,
                out.toString(),
                "--maps",
                "heads",
                "--maps.output",
                maps.toString(),
                "--dry-run"));
    assertEquals(0, r.exitCode(), r.stderr());
    Map<String, Object> plan = json(r.summaryLine());
    assertEquals("dry run", plan.get("status"));
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written, not even an owner file");
    }
    // The byte counts from the input itself: E floats per query, H x L x S floats per map.
    long queries = 0;
    long cells = 0;
    for (Row row : SparkTestSession.get().read().parquet(JobFeaturesTest.SAMPLES).collectAsList()) {
      long len = TestDatasets.floats(row, "x").length;
      queries += len;
      cells += len * len;
    }
    assertEquals(300, ((Number) plan.get("sequences")).intValue());
    assertEquals(4L * 32 * queries, ((Number) plan.get("output_bytes")).longValue());
    assertEquals(4L * 4 * cells, ((Number) plan.get("map_bytes")).longValue());
    double planned = ((Number) plan.get("planned_gflop")).doubleValue();
    assertTrue(planned > 0 && ((Number) plan.get("max_task_gflop")).doubleValue() <= planned);
    assertTrue(((Number) plan.get("kernel_gflops_per_core")).doubleValue() > 0);
    assertTrue(((Number) plan.get("estimated_compute_seconds")).doubleValue() > 0);

    // The real run computes what the dry run planned.
    Map<String, Object> real =
        JobRunner.succeed(
            JobFeaturesTest.sampleArgs(
                JobFeaturesTest.SAMPLES,
                out.toString(),
                "--maps",
                "heads",
                "--maps.output",
                maps.toString()));
    assertEquals(planned, ((Number) real.get("attention_gflop")).doubleValue(), 0.002);
    // ... with the tasks and the reads of the input it planned.
    assertEquals(plan.get("tasks"), real.get("tasks"));
    assertEquals(plan.get("input_reads"), real.get("input_reads"));
    @SuppressWarnings("unchecked")
    Map<String, Object> balance = (Map<String, Object>) real.get("task_cost_balance");
    assertEquals(plan.get("tasks_are"), balance.get("tasks_are"));
  }

  @Test
  void aDryRunFailsAsTheRunWould() throws Exception {
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    JobRunner.Result exists =
        JobRunner.main(
            JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, out.toString(), "--dry-run"));
    JobRunner.assertRefused(exists, 5, "already exists");
    Path narrow = dir.resolve("e16.safetensors");
    SyntheticDataGenerator.writeWeights(16, 1, narrow);
    JobRunner.Result width =
        JobRunner.main(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--weights",
            narrow.toString(),
            "--heads",
            "4",
            "--output",
            dir.resolve("other").toString(),
            "--dry-run");
    JobRunner.assertRefused(width, 4, "need 16");
    assertFalse(Files.exists(dir.resolve("other")));
  }

  @Test
  void anInputPathWithGlobCharactersIsReadAsItIs() throws Exception {
    Path literal = dir.resolve("in[1]");
    SparkTestSession.get()
        .read()
        .parquet(JobFeaturesTest.SAMPLES)
        .write()
        .parquet(literal.toString());
    Map<String, Object> summary =
        JobRunner.succeed(
            JobFeaturesTest.sampleArgs(literal.toString(), dir.resolve("out").toString()));
    assertEquals(300, ((Number) summary.get("rows_written")).intValue());
  }

  @Test
  void aMissingRelativePathIsNamedWhereItWasLookedFor() {
    JobRunner.Result r =
        JobRunner.main(
            "--input",
            JobFeaturesTest.SAMPLES,
            "--weights",
            "gen1/weights.safetensors",
            "--heads",
            "4",
            "--output",
            dir.resolve("out").toString());
    JobRunner.assertRefused(
        r,
        3,
        "'gen1/weights.safetensors' (looked for at "
            + Path.of("gen1/weights.safetensors").toAbsolutePath()
            + ")");
  }

  @Test
  void aRerunWritesTheSameFilesUnderTheSameNames() throws Exception {
    // Moved (shuffled) rows with matrix maps, rows in place with map rows without matrices.
    for (String[] run : new String[][] {{"5", "mean"}, {"2", "summary"}}) {
      String partitions = run[0];
      Path first = dir.resolve("first-" + partitions);
      Path second = dir.resolve("second-" + partitions);
      for (Path out : List.of(first, second)) {
        JobRunner.succeed(
            JobFeaturesTest.sampleArgs(
                JobFeaturesTest.SAMPLES,
                out.toString(),
                "--partition.by",
                "date",
                "--maps",
                run[1],
                "--maps.output",
                out + "-maps",
                "--partitions",
                partitions));
      }
      for (String suffix : List.of("", "-maps")) {
        Map<String, byte[]> a = JobFeaturesTest.snapshot(Path.of(first + suffix));
        Map<String, byte[]> b = JobFeaturesTest.snapshot(Path.of(second + suffix));
        a.remove(AttentionJob.SUMMARY_FILE); // its times and paths differ
        b.remove(AttentionJob.SUMMARY_FILE);
        assertEquals(a.keySet(), b.keySet(), "the same file names");
        assertTrue(a.keySet().stream().anyMatch(f -> f.endsWith(".parquet")));
        a.forEach((name, bytes) -> assertArrayEquals(bytes, b.get(name), name));
      }
    }
  }

  @Test
  void appendsNeverReuseAFileName() throws Exception {
    Path out = dir.resolve("out");
    for (int i = 0; i < 2; i++) {
      JobRunner.succeed(
          JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, out.toString(), "--mode", "append"));
    }
    assertEquals(600, SparkTestSession.get().read().parquet(out.toString()).count());
    List<String> names =
        JobFeaturesTest.snapshot(out).keySet().stream()
            .filter(n -> n.endsWith(".parquet"))
            .toList();
    assertEquals(names.size(), names.stream().distinct().count());
    assertNotEquals(0, names.size());
  }
}
