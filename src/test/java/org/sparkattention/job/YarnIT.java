package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on YARN with its data on HDFS, for real: a MiniDFSCluster and a MiniYARNCluster on
 * 127.0.0.1, the README's YARN command run as it is written (through Spark 4.2.0's spark-submit,
 * HADOOP_CONF_DIR naming the mini clusters), in cluster and client deploy mode. What it writes to
 * HDFS equals local mode's bitwise; a run that fails on HDFS leaves nothing behind and the existing
 * datasets as they were.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnIT {
  /** Spark 4.2.0: Maven Central serves spark-yarn for it (not for 4.1.0). */
  static final String SPARK = "4.2.0";

  @TempDir static Path dir;
  static HadoopMiniClusters hadoop;
  static Path sparkHome;
  static Path localOut;
  static Path localMaps;

  @BeforeAll
  static void start() throws Exception {
    long t0 = System.nanoTime();
    sparkHome = SparkDistributions.sparkHome(SPARK);
    hadoop = new HadoopMiniClusters(dir.resolve("hadoop"));
    FileSystem fs = hadoop.fileSystem();
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(Path.of(JobFeaturesTest.SAMPLES).toAbsolutePath().toUri()),
        new org.apache.hadoop.fs.Path("/data/seqs"));
    fs.mkdirs(new org.apache.hadoop.fs.Path("/models"));
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(Path.of(JobFeaturesTest.WEIGHTS).toAbsolutePath().toUri()),
        new org.apache.hadoop.fs.Path("/models/layer.safetensors"));
    Files.writeString(
        dir.resolve("attention.properties"),
        "heads = 4\nmaps = mean\nmaps.output = hdfs:///out/att-maps\npartition.by = date\n");
    System.out.printf("HDFS and YARN up in %.1f s%n", (System.nanoTime() - t0) / 1e9);

    // The same run in local mode, the reference.
    localOut = dir.resolve("local-out");
    localMaps = dir.resolve("local-maps");
    JobRunner.Result local =
        JobRunner.samplesWith(
            Path.of(JobFeaturesTest.WEIGHTS),
            localOut,
            "--maps",
            "mean",
            "--maps.output",
            localMaps.toString(),
            "--partition.by",
            "date");
    assertEquals(0, local.exitCode(), local.stderr());
  }

  @AfterAll
  static void stop() {
    if (hadoop != null) {
      hadoop.close();
    }
  }

  /**
   * The README's YARN command, word for word, with {@code deployMode} and {@code output} in place
   * of its own, plus what a mini cluster on one machine needs besides (small containers, the
   * containers' JAVA_HOME and SPARK_LOCAL_IP, Spark's jars from the local disk instead of an upload
   * per run) and {@code extra}, the last options before the jar.
   */
  static List<String> readmeCommand(String deployMode, String output, List<String> extra)
      throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("# YARN");
    String block = readme.substring(readme.indexOf('\n', start) + 1, readme.indexOf("\n\n", start));
    List<String> words =
        new ArrayList<>(Arrays.asList(block.replace("\\\n", " ").trim().split("\\s+")));
    assertEquals(
        "spark-submit", words.get(0), "the README's YARN example starts with spark-submit");
    words.set(0, sparkHome.resolve("bin/spark-submit").toString());
    words.replaceAll(
        w ->
            switch (w) {
              case "cluster" -> deployMode;
              case "target/spark-attention.jar" -> SparkDistributions.APP_JAR.toString();
              case "hdfs:///out/att" -> output;
              default -> w;
            });
    String javaHome = System.getProperty("java.home");
    List<String> cmd = new ArrayList<>(words.subList(0, 1));
    cmd.addAll(
        List.of(
            "--driver-memory", "512m",
            "--executor-memory", "512m",
            "--num-executors", "2",
            "--executor-cores", "1",
            "--conf", "spark.yarn.am.memory=512m",
            "--conf", "spark.yarn.jars=local:" + sparkHome.resolve("jars") + "/*",
            "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
            "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
            "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
            "--conf", "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
            "--conf", "spark.driver.host=127.0.0.1"));
    if (deployMode.equals("client")) {
      // A client-mode driver's UI can fail to start: both client-mode runs of one CI run failed
      // with ServletContextHandler.startContext in the driver's stack, apparently a race in Spark
      // (SparkUI.attachAllHandlers is not synchronized with YarnSchedulerBackend.addWebUIFilter,
      // which the application master's registration calls). The UI is not under test.
      cmd.addAll(List.of("--conf", "spark.ui.enabled=false"));
    }
    int jar = words.indexOf(SparkDistributions.APP_JAR.toString());
    cmd.addAll(words.subList(1, jar));
    // After the README's options, so that they win where they set the same key.
    cmd.addAll(extra);
    cmd.addAll(words.subList(jar, words.size()));
    return cmd;
  }

  /** Runs a command from the directory holding attention.properties; its exit code. */
  static int run(List<String> cmd, Path logDir) throws Exception {
    Files.createDirectories(logDir);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().put("HADOOP_CONF_DIR", hadoop.confDir.toString());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.redirectOutput(logDir.resolve("submit.out").toFile());
    pb.redirectError(logDir.resolve("submit.err").toFile());
    Process p = pb.start();
    if (!p.waitFor(420, java.util.concurrent.TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(
          "spark-submit did not finish: " + SparkDistributions.tail(logDir.resolve("submit.err")));
    }
    return p.exitValue();
  }

  static Map<String, Object> summaryOnHdfs(String output) throws Exception {
    try (InputStream in =
        hadoop
            .fileSystem()
            .open(new org.apache.hadoop.fs.Path(output + "/_attention_summary.json"))) {
      @SuppressWarnings("unchecked")
      Map<String, Object> summary = new ObjectMapper().readValue(in, Map.class);
      return summary;
    }
  }

  static void assertEqualsLocalMode(String output, String maps) throws Exception {
    TestDatasets.assertSameValues(hadoop.uri(output), localOut.toString(), "output");
    TestDatasets.assertSameValues(hadoop.uri(maps), localMaps.toString(), "weights");
  }

  @Test
  @Order(1)
  void clusterModeWritesWhatLocalModeWrites() throws Exception {
    long t0 = System.nanoTime();
    Path logs = dir.resolve("cluster");
    int exit = run(readmeCommand("cluster", "hdfs:///out/att", List.of()), logs);
    assertEquals(0, exit, () -> SparkDistributions.tail(logs.resolve("submit.err")));
    Map<String, Object> summary = summaryOnHdfs("/out/att");
    System.out.printf(
        "YARN cluster mode: %.1f s, summary %s%n", (System.nanoTime() - t0) / 1e9, summary);
    assertEquals("succeeded", summary.get("status"));
    assertEquals(300, ((Number) summary.get("sequences")).intValue());
    assertEquals(2, ((Number) summary.get("executors")).intValue(), "two YARN executors");
    assertTrue(summary.get("output").toString().startsWith("hdfs://"), "output on HDFS");
    assertTrue(
        SparkDistributions.read(logs.resolve("submit.err")).contains("final status: SUCCEEDED"),
        "YARN reports the application succeeded");
    assertEqualsLocalMode("/out/att", "/out/att-maps");
  }

  @Test
  @Order(2)
  void clientModeWritesWhatLocalModeWrites() throws Exception {
    long t0 = System.nanoTime();
    Path logs = dir.resolve("client");
    List<String> cmd = readmeCommand("client", "hdfs:///out/att-client", List.of());
    // Maps of its own: the properties file's maps.output is the cluster run's.
    cmd.addAll(List.of("--maps.output", "hdfs:///out/att-client-maps"));
    int exit = run(cmd, logs);
    assertEquals(0, exit, () -> SparkDistributions.tail(logs.resolve("submit.err")));
    List<String> stdout = Files.readAllLines(logs.resolve("submit.out"));
    @SuppressWarnings("unchecked")
    Map<String, Object> summary =
        new ObjectMapper().readValue(stdout.get(stdout.size() - 1), Map.class);
    System.out.printf(
        "YARN client mode: %.1f s, summary %s%n", (System.nanoTime() - t0) / 1e9, summary);
    assertEquals(
        summary, summaryOnHdfs("/out/att-client"), "the summary printed is the one written");
    assertEquals(2, ((Number) summary.get("executors")).intValue(), "two YARN executors");
    assertEqualsLocalMode("/out/att-client", "/out/att-client-maps");
  }

  @Test
  @Order(3)
  void aFailedRunOnHdfsLeavesNothingBehind() throws Exception {
    FileSystem fs = hadoop.fileSystem();
    List<String> before = listing(fs, "/out");
    Path logs = dir.resolve("failed");
    // Every compute task fails (one attempt allowed) after writing part of its files.
    List<String> cmd =
        readmeCommand(
            "cluster",
            "hdfs:///out/att",
            List.of(
                "--conf",
                "spark.task.maxFailures=1",
                "--conf",
                "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector -D"
                    + FaultInjection.FAIL_AFTER_SEQUENCES
                    + "=1"));
    cmd.addAll(List.of("--mode", "overwrite"));
    int exit = run(cmd, logs);
    assertNotEquals(0, exit, "the run failed");
    assertTrue(
        SparkDistributions.read(logs.resolve("submit.err")).contains("final status: FAILED"),
        "YARN reports the application failed");
    assertTrue(
        hadoop
            .lastApplicationStderr()
            .contains("fault injected by " + FaultInjection.FAIL_AFTER_SEQUENCES),
        "it failed where the fault was injected, in the compute tasks");
    assertEquals(before, listing(fs, "/out"), "no staging, no owner file, nothing replaced");
    assertEqualsLocalMode("/out/att", "/out/att-maps");
  }

  /**
   * Input whose partitions are balanced tasks (two copies of one sample file): the footers are read
   * from HDFS by the executors, the input once, and the values are local mode's.
   */
  @Test
  @Order(4)
  void balancedInputOnHdfsIsReadOnce() throws Exception {
    Path sample;
    try (var files = Files.list(Path.of(JobFeaturesTest.SAMPLES))) {
      sample = files.filter(f -> f.toString().endsWith(".parquet")).sorted().findFirst().get();
    }
    Path twins = Files.createDirectories(dir.resolve("twins"));
    Files.copy(sample, twins.resolve("a.parquet"));
    Files.copy(sample, twins.resolve("b.parquet"));
    FileSystem fs = hadoop.fileSystem();
    fs.copyFromLocalFile(
        new org.apache.hadoop.fs.Path(twins.toUri()), new org.apache.hadoop.fs.Path("/data/twins"));
    Path localTwins = dir.resolve("local-twins");
    Path localTwinsMaps = dir.resolve("local-twins-maps");
    Map<String, Object> local =
        JobRunner.succeed(
            JobFeaturesTest.sampleArgs(
                twins.toString(),
                localTwins.toString(),
                "--maps",
                "mean",
                "--maps.output",
                localTwinsMaps.toString(),
                "--partition.by",
                "date"));

    long t0 = System.nanoTime();
    Path logs = dir.resolve("twins-client");
    List<String> cmd = readmeCommand("client", "hdfs:///out/twins", List.of());
    cmd.set(cmd.indexOf("hdfs:///data/seqs"), "hdfs:///data/twins");
    cmd.addAll(List.of("--maps.output", "hdfs:///out/twins-maps"));
    int exit = run(cmd, logs);
    assertEquals(0, exit, () -> SparkDistributions.tail(logs.resolve("submit.err")));
    Map<String, Object> summary = summaryOnHdfs("/out/twins");
    System.out.printf(
        "YARN, input read once: %.1f s, summary %s%n", (System.nanoTime() - t0) / 1e9, summary);
    assertEquals(1, ((Number) summary.get("input_reads")).intValue(), summary.toString());
    assertEquals(2, ((Number) summary.get("tasks")).intValue(), "a task per file");
    assertEquals(local.get("rows_written"), summary.get("rows_written"));
    TestDatasets.assertSameValues(hadoop.uri("/out/twins"), localTwins.toString(), "output");
    TestDatasets.assertSameValues(
        hadoop.uri("/out/twins-maps"), localTwinsMaps.toString(), "weights");
  }

  /** Every path under {@code root} with its length and modification time, sorted. */
  static List<String> listing(FileSystem fs, String root) throws Exception {
    TreeSet<String> out = new TreeSet<>();
    var it = fs.listFiles(new org.apache.hadoop.fs.Path(root), true);
    while (it.hasNext()) {
      FileStatus f = it.next();
      out.add(f.getPath() + " " + f.getLen() + " " + f.getModificationTime());
    }
    for (FileStatus f : fs.listStatus(new org.apache.hadoop.fs.Path(root))) {
      out.add(f.getPath().toString());
    }
    return List.copyOf(out);
  }
}
