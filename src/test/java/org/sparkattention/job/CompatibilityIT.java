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
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one application jar on every supported Spark line and Java: for each cell of the matrix, a
 * Spark home of that version's Maven Central jars, the job through that version's spark-submit on
 * Java N to a local-cluster (executors in their own JVMs), outputs and maps compared with PyTorch's
 * golden results and with the first cell's bitwise.
 */
class CompatibilityIT {
  /** Self-attention with bias_k/bias_v, the zero key and a padding mask; every head's map. */
  static final GoldenJob JOB = new GoldenJob("bias_kv_zero_attn_padding");

  static final String MAPS = "heads";

  @TempDir static Path dir;
  static Path input;

  /** The first cell's datasets, which every other cell must equal bitwise. */
  static Path firstOut;

  static Path firstMaps;

  @BeforeAll
  static void writeInput() {
    input = dir.resolve("input");
    JOB.writeInput(SparkTestSession.get(), input.toString());
  }

  @ParameterizedTest(name = "Spark {0} on Java {1}")
  @CsvSource({"4.0.1, 17", "4.1.0, 17", "4.2.0, 17", "4.2.0, 25"})
  void goldenResultsOnEverySparkAndJava(String version, int java) throws Exception {
    long t0 = System.nanoTime();
    Path sparkHome = SparkDistributions.sparkHome(version);
    Path cell = Files.createDirectories(dir.resolve(version + "-java" + java));
    Path out = cell.resolve("out");
    Path maps = cell.resolve("maps");
    List<String> jobArgs = new ArrayList<>();
    JOB.config(
            input.toString(),
            JOB.golden.weightsFile().toString(),
            out.toString(),
            maps.toString(),
            MAPS)
        .forEach((k, v) -> jobArgs.addAll(List.of("--" + k, v)));
    jobArgs.addAll(List.of("--partitions", "2"));
    Process p =
        SparkDistributions.submit(
            sparkHome,
            SparkDistributions.javaHome(java),
            cell,
            List.of(
                "--master",
                "local-cluster[2,1,1024]",
                // The driver runs in spark-submit's own JVM: its heap is what this sets.
                "--driver-memory",
                "700m",
                "--conf",
                "spark.driver.host=127.0.0.1",
                "--conf",
                "spark.executor.extraJavaOptions="
                    + String.join(" ", StandaloneCluster.jvmFlags())),
            jobArgs,
            Map.of());
    Map<String, Object> summary = SparkDistributions.awaitSummary(p, cell, 420);
    System.out.printf(
        "Spark %s on Java %d: %.1f s (home ready and job), summary %s%n",
        version, java, (System.nanoTime() - t0) / 1e9, summary);

    String log = SparkDistributions.read(cell.resolve("submit.err"));
    assertTrue(log.contains("Running Spark version " + version), "ran on Spark " + version);
    assertTrue(log.contains("Java version " + java + "."), "ran on Java " + java);
    assertEquals(2, ((Number) summary.get("executors")).intValue(), "executors in their own JVMs");
    Map<?, ?> provenance = (Map<?, ?>) summary.get("provenance");
    assertEquals(
        700L << 20,
        ((Number) provenance.get("driver_max_heap_bytes")).longValue(),
        "--driver-memory sets the driver's heap");
    JOB.assertSummary(summary, MAPS);
    SparkSession spark = SparkTestSession.get();
    JOB.assertWritten(spark, out.toString(), maps.toString(), MAPS);
    if (firstOut == null) {
      firstOut = out;
      firstMaps = maps;
    } else {
      TestDatasets.assertSameValues(out, firstOut, "output");
      assertSameMaps(spark, maps, firstMaps);
    }
  }

  @Test
  void spark41OnJava25IsRefusedWithOneLine() throws Exception {
    Path cell = Files.createDirectories(dir.resolve("4.1.0-java25"));
    Process p =
        SparkDistributions.submit(
            SparkDistributions.sparkHome("4.1.0"),
            SparkDistributions.javaHome(25),
            cell,
            List.of("--master", "local[1]"),
            List.of(
                "--config",
                "conf/attention.properties",
                "--output",
                cell.resolve("out").toString()),
            Map.of());
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "finished");
    String stderr = SparkDistributions.read(cell.resolve("submit.err"));
    assertEquals(2, p.exitValue(), stderr);
    List<String> errors = stderr.lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), stderr);
    assertTrue(errors.get(0).contains("this is Java 25 with Spark 4.1.0"), errors.get(0));
    assertFalse(stderr.contains("\tat "), "no stack trace");
    assertFalse(Files.exists(cell.resolve("out")), "nothing written");
  }

  /** Every map row of every id and head bitwise equal. */
  private static void assertSameMaps(SparkSession spark, Path a, Path b) {
    for (long id : GoldenJob.IDS) {
      List<Row> left = TestDatasets.mapRows(spark, a.toString(), id);
      List<Row> right = TestDatasets.mapRows(spark, b.toString(), id);
      assertEquals(right.size(), left.size());
      for (int h = 0; h < left.size(); h++) {
        float[][] x = TestDatasets.floats(left.get(h), "weights");
        float[][] y = TestDatasets.floats(right.get(h), "weights");
        assertEquals(y.length, x.length);
        for (int i = 0; i < x.length; i++) {
          assertArrayEquals(y[i], x[i], "id " + id + " head " + h + " row " + i);
        }
      }
    }
  }
}
