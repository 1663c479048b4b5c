package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkattention.io.SyntheticDataGenerator;

/**
 * The job through spark-submit on a real standalone cluster (master and two one-core workers on
 * 127.0.0.1, executors in their own JVMs, Kryo serialization): both workers run tasks, and the
 * results equal local mode's, for an input of one file routed as read as for the samples' files
 * scanned and routed to a cost plan.
 */
class StandaloneClusterIT {
  @TempDir static Path clusterDir;
  static StandaloneCluster cluster;

  @TempDir Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    long t0 = System.nanoTime();
    cluster = new StandaloneCluster(clusterDir, 2);
    System.out.printf("standalone cluster up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static List<String> jobArgs(String output, String maps) {
    return List.of(
        "--input",
        Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath().toString(),
        "--weights",
        Path.of(JobFeaturesTest.WEIGHTS).toAbsolutePath().toString(),
        "--heads",
        "4",
        "--output",
        output,
        "--maps",
        "mean",
        "--maps.output",
        maps,
        "--partition.by",
        "date",
        "--partitions",
        "6");
  }

  /** spark-submit against the cluster; returns the summary (last stdout line). */
  static Map<String, Object> submit(Path logDir, List<String> args) throws Exception {
    Process p = startSubmit(logDir, args, "768m", "");
    return SparkDistributions.awaitSummary(p, logDir, 300);
  }

  static Process startSubmit(
      Path logDir, List<String> args, String executorMemory, String executorProperties)
      throws Exception {
    List<String> submit = new ArrayList<>();
    submit.addAll(List.of("--master", cluster.masterUrl(), "--deploy-mode", "client"));
    submit.addAll(List.of("--conf", "spark.executor.memory=" + executorMemory));
    submit.addAll(List.of("--conf", "spark.executor.cores=1"));
    // Clusters commonly run Kryo: everything the job ships must survive it.
    submit.addAll(List.of("--conf", "spark.serializer=org.apache.spark.serializer.KryoSerializer"));
    submit.addAll(List.of("--conf", "spark.driver.host=127.0.0.1"));
    submit.addAll(
        List.of(
            "--conf",
            "spark.executor.extraJavaOptions="
                + String.join(" ", StandaloneCluster.jvmFlags())
                + executorProperties));
    submit.addAll(List.of("--class", "org.sparkattention.job.AttentionJob"));
    submit.add(StandaloneCluster.APP_JAR.toString());
    submit.addAll(args);
    ProcessBuilder pb = StandaloneCluster.java("org.apache.spark.deploy.SparkSubmit", submit);
    Path stdout = logDir.resolve("submit.out");
    Path stderr = logDir.resolve("submit.err");
    pb.redirectOutput(stdout.toFile());
    pb.redirectError(stderr.toFile());
    return pb.start();
  }

  /**
   * The samples as one file of one row group, as DuckDB or pyarrow write a small table, planned by
   * the job itself (no {@code partitions}): its rows are routed to the tasks as they are read.
   */
  private List<String> oneFileArgs(String output, String maps) {
    Path input = dir.resolve("one-file-input");
    SparkTestSession.get()
        .read()
        .parquet(Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath().toString())
        .coalesce(1)
        .write()
        .parquet(input.toString());
    List<String> args = new ArrayList<>(jobArgs(output, maps));
    args.set(args.indexOf("--input") + 1, input.toString());
    int partitions = args.indexOf("--partitions");
    args.subList(partitions, partitions + 2).clear();
    return args;
  }

  @Test
  void jobRunsOnBothWorkersAndEqualsLocalMode() throws Exception {
    long t0 = System.nanoTime();
    Path clusterOut = dir.resolve("cluster-out");
    Path clusterMaps = dir.resolve("cluster-maps");
    List<String> args = oneFileArgs(clusterOut.toString(), clusterMaps.toString());
    Map<String, Object> summary = submit(dir, args);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("standalone cluster job: %.1f s, summary %s%n", seconds, summary);
    assertEquals(2, ((Number) summary.get("executors")).intValue(), "both workers ran tasks");
    assertEquals(300, ((Number) summary.get("rows_written")).intValue());
    assertEquals(1, ((Number) summary.get("input_reads")).intValue(), "routed as read");

    Path localOut = dir.resolve("local-out");
    Path localMaps = dir.resolve("local-maps");
    List<String> local = jobArgs(localOut.toString(), localMaps.toString());
    JobRunner.succeed(local.toArray(new String[0])); // the samples' files, scanned and routed
    TestDatasets.assertSameValues(clusterOut, localOut, "output");
    TestDatasets.assertSameValues(clusterMaps, localMaps, "weights");
  }

  @Test
  void retriedTasksLeaveOneCopyOfEveryOutputAndMapRow() throws Exception {
    // Every task's first attempt fails after 10 of its about 50 sequences, having written part of
    // its output and map files; only the retried attempts' files may be committed.
    Path out = dir.resolve("retried-out");
    Path maps = dir.resolve("retried-maps");
    Process p =
        startSubmit(
            dir,
            jobArgs(out.toString(), maps.toString()),
            "768m",
            " -D" + FaultInjection.FAIL_AFTER_SEQUENCES + "=10");
    Map<String, Object> summary = SparkDistributions.awaitSummary(p, dir, 300);
    assertTrue(((Number) summary.get("failed_task_attempts")).intValue() >= 6, summary.toString());
    assertEquals(300, ((Number) summary.get("rows_written")).intValue());
    assertEquals(300, ((Number) summary.get("map_rows_written")).intValue());
    SparkSession spark = SparkTestSession.get();
    assertEquals(300, spark.read().parquet(out.toString()).count(), "no duplicated outputs");
    assertEquals(300, spark.read().parquet(maps.toString()).count(), "no duplicated maps");
    try (Stream<Path> files = Files.walk(dir)) {
      assertTrue(
          files.noneMatch(f -> f.getFileName().toString().startsWith("_maps.")),
          "every map file moved to the map dataset");
    }

    Path localOut = dir.resolve("local-out");
    Path localMaps = dir.resolve("local-maps");
    JobRunner.succeed(jobArgs(localOut.toString(), localMaps.toString()).toArray(new String[0]));
    TestDatasets.assertSameValues(out, localOut, "output");
    TestDatasets.assertSameValues(maps, localMaps, "weights");
  }

  @Test
  void killedExecutorIsReplacedAndTheOutputEqualsAnUndisturbedRun() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path data = dir.resolve("data");
    SyntheticDataGenerator.write(
        spark, new SyntheticDataGenerator.Spec(40, 2000, 3072, 0, 0, 64, 3, 4), data.toString());
    List<String> args =
        List.of(
            "--input",
            data.resolve("input").toString(),
            "--weights",
            data.resolve("weights.safetensors").toString(),
            "--heads",
            "4",
            "--partitions",
            "8");
    Path killedOut = dir.resolve("killed-out");
    List<String> killedArgs = new ArrayList<>(args);
    killedArgs.addAll(List.of("--output", killedOut.toString()));
    long t0 = System.nanoTime();
    // Executors mark the start of their computing (FaultInjection): the victim is surely mid-task.
    Path markers = Files.createDirectories(dir.resolve("computing"));
    Process submit =
        startSubmit(
            dir, killedArgs, "768m", " -D" + FaultInjection.COMPUTING_MARKER_DIR + "=" + markers);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    List<Path> computing = List.of();
    while (computing.isEmpty() && submit.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      try (Stream<Path> files = Files.list(markers)) {
        computing = files.toList();
      }
    }
    assertTrue(
        !computing.isEmpty(),
        "an executor started computing: " + SparkDistributions.read(dir.resolve("submit.err")));
    long pid = Long.parseLong(computing.get(0).getFileName().toString());
    List<ProcessHandle> executors = cluster.executors();
    assertTrue(
        executors.stream().anyMatch(e -> e.pid() == pid),
        "the computing JVM " + pid + " is one of the executors " + executors);
    System.out.printf(
        "killing executor JVM pid %d at %.1f s%n", pid, (System.nanoTime() - t0) / 1e9);
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    Map<String, Object> summary = SparkDistributions.awaitSummary(submit, dir, 300);
    System.out.printf(
        "job with a killed executor: %.1f s, summary %s%n",
        (System.nanoTime() - t0) / 1e9, summary);
    assertTrue(((Number) summary.get("failed_task_attempts")).intValue() >= 1, "a task was lost");
    assertEquals(40, ((Number) summary.get("rows_written")).intValue());

    Path undisturbed = dir.resolve("undisturbed");
    List<String> localArgs = new ArrayList<>(args);
    localArgs.addAll(List.of("--output", undisturbed.toString()));
    JobRunner.succeed(localArgs.toArray(new String[0]));
    assertEquals(40, spark.read().parquet(killedOut.toString()).count(), "no duplicated rows");
    TestDatasets.assertSameValues(killedOut, undisturbed, "output");
  }

  @Test
  void sequenceOf16384TokensCompletesInAOneGigabyteExecutor() throws Exception {
    SparkSession spark = SparkTestSession.get();
    Path data = dir.resolve("data");
    SyntheticDataGenerator.write(
        spark, new SyntheticDataGenerator.Spec(0, 4, 4, 1, 16384, 64, 5, 1), data.toString());
    Path out = dir.resolve("big-out");
    long t0 = System.nanoTime();
    Process p =
        startSubmit(
            dir,
            List.of(
                "--input", data.resolve("input").toString(),
                "--weights", data.resolve("weights.safetensors").toString(),
                "--heads", "4",
                "--output", out.toString()),
            "1g",
            "");
    Map<String, Object> summary = SparkDistributions.awaitSummary(p, dir, 300);
    System.out.printf(
        "L = 16384 in a 1 GB executor: %.1f s, summary %s%n",
        (System.nanoTime() - t0) / 1e9, summary);
    assertEquals(1, ((Number) summary.get("rows_written")).intValue());
    float[][] output = TestDatasets.floats(spark.read().parquet(out.toString()).first(), "output");
    assertEquals(16384, output.length);
    for (float[] row : output) {
      for (float v : row) {
        assertTrue(Float.isFinite(v));
      }
    }
  }
}
