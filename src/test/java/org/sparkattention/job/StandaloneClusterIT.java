package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job through spark-submit on a real standalone cluster (master and two one-core workers on
 * 127.0.0.1, executors in their own JVMs): both workers run tasks, and the results equal local
 * mode's.
 */
class StandaloneClusterIT {
  @TempDir Path dir;

  static List<String> jobArgs(String output, String maps) {
    return List.of(
        "--input", Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath().toString(),
        "--weights", Path.of(JobFeaturesTest.WEIGHTS).toAbsolutePath().toString(),
        "--heads", "4",
        "--output", output,
        "--maps", "mean",
        "--maps.output", maps,
        "--partition.by", "date",
        "--partitions", "6");
  }

  /** spark-submit against the cluster; returns the summary (last stdout line). */
  static Map<String, Object> submit(StandaloneCluster cluster, Path logDir, List<String> args)
      throws Exception {
    List<String> submit = new ArrayList<>();
    submit.addAll(List.of("--master", cluster.masterUrl(), "--deploy-mode", "client"));
    submit.addAll(List.of("--conf", "spark.executor.memory=768m"));
    submit.addAll(List.of("--conf", "spark.executor.cores=1"));
    submit.addAll(List.of("--conf", "spark.driver.host=127.0.0.1"));
    submit.addAll(
        List.of(
            "--conf",
            "spark.executor.extraJavaOptions=" + String.join(" ", StandaloneCluster.jvmFlags())));
    submit.addAll(List.of("--class", "org.sparkattention.job.AttentionJob"));
    submit.add(StandaloneCluster.APP_JAR.toString());
    submit.addAll(args);
    ProcessBuilder pb = StandaloneCluster.java("org.apache.spark.deploy.SparkSubmit", submit);
    Path stdout = logDir.resolve("submit.out");
    Path stderr = logDir.resolve("submit.err");
    pb.redirectOutput(stdout.toFile());
    pb.redirectError(stderr.toFile());
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in 300 s: " + Files.readString(stderr));
    }
    assertEquals(0, p.exitValue(), () -> "spark-submit failed: " + read(stderr));
    List<String> lines = Files.readAllLines(stdout);
    @SuppressWarnings("unchecked")
    Map<String, Object> summary =
        new ObjectMapper().readValue(lines.get(lines.size() - 1), Map.class);
    return summary;
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      return "(" + e + ")";
    }
  }

  @Test
  void jobRunsOnBothWorkersAndEqualsLocalMode() throws Exception {
    long t0 = System.nanoTime();
    Path clusterOut = dir.resolve("cluster-out");
    Path clusterMaps = dir.resolve("cluster-maps");
    Map<String, Object> summary;
    try (StandaloneCluster cluster = new StandaloneCluster(dir, 2)) {
      summary = submit(cluster, dir, jobArgs(clusterOut.toString(), clusterMaps.toString()));
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("standalone cluster test: %.1f s, summary %s%n", seconds, summary);
    assertEquals(2, ((Number) summary.get("executors")).intValue(), "both workers ran tasks");
    assertEquals(300, ((Number) summary.get("rows_written")).intValue());

    Path localOut = dir.resolve("local-out");
    Path localMaps = dir.resolve("local-maps");
    JobRunner.succeed(jobArgs(localOut.toString(), localMaps.toString()).toArray(new String[0]));
    assertSameValues(clusterOut, localOut, "output");
    assertSameValues(clusterMaps, localMaps, "weights");
  }

  /** Both datasets hold the same ids with bitwise equal float matrices in {@code column}. */
  static void assertSameValues(Path a, Path b, String column) {
    SparkSession spark = SparkTestSession.get();
    Map<Long, Row> left = TestDatasets.byId(spark, a.toString());
    Map<Long, Row> right = TestDatasets.byId(spark, b.toString());
    assertEquals(right.keySet(), left.keySet());
    for (Long id : left.keySet()) {
      float[][] x = TestDatasets.floats(left.get(id), column);
      float[][] y = TestDatasets.floats(right.get(id), column);
      assertEquals(y.length, x.length);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(y[i], x[i], "id " + id + " row " + i);
      }
    }
  }
}
