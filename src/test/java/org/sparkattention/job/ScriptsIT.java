package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scripts as a user runs them, from another directory: every script's --help, the job's
 * --version, generate and run with relative paths (resolved against the caller's directory), a
 * failure that names the path it looked for and ends stdout with a JSON summary, a dry run,
 * SPARK_DRIVER_MEMORY in local mode, the class-data archive recorded by the first run (an AOT cache
 * with a Spark installation on Java 25), and no terminal colour codes anywhere.
 */
class ScriptsIT {
  private static final Path JOBS = SparkDistributions.ROOT.resolve("jobs");

  @TempDir Path caller;

  private record Run(int code, String stdout, String stderr) {
    Map<?, ?> summary() throws IOException {
      String[] lines = stdout.strip().split("\n");
      return new ObjectMapper().readValue(lines[lines.length - 1], Map.class);
    }
  }

  /** Runs jobs/SCRIPT with ARGS in the caller's directory, with extra environment variables. */
  private Run run(Map<String, String> env, String script, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(JOBS.resolve(script).toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(caller.toFile());
    pb.environment().put("SPARK_MASTER", "local[2]");
    pb.environment().putAll(env);
    Path out = Files.createTempFile(caller, "stdout", ".txt");
    Path err = Files.createTempFile(caller, "stderr", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(600, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(script + " did not finish in 10 minutes");
    }
    Run r =
        new Run(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    Files.delete(out);
    Files.delete(err);
    assertFalse(r.stdout.contains("\u001b[") || r.stderr.contains("\u001b["), "colour codes: " + r);
    return r;
  }

  private Run run(String script, String... args) throws Exception {
    return run(Map.of(), script, args);
  }

  @Test
  void everyScriptHasHelp() throws Exception {
    for (String script :
        List.of(
            "attention.sh",
            "generate.sh",
            "benchmark.sh",
            "kernel-benchmark.sh",
            "spark-home.sh",
            "heatmap.sh",
            "check-torch.sh")) {
      Run r = run(script, "--help");
      assertEquals(0, r.code, script + ": " + r);
      assertTrue(r.stdout.contains("jobs/" + script), script + " names itself: " + r.stdout);
    }
    Run job = run("attention.sh", "--help");
    for (String s : List.of("--dry-run", "SPARK_DRIVER_MEMORY", "SPARK_HOME", "maps.output")) {
      assertTrue(job.stdout.contains(s), s + " in " + job.stdout);
    }
    assertTrue(run("generate.sh", "--help").stdout.contains("--sequences N"));
    Run version = run("attention.sh", "--version");
    assertEquals(0, version.code, version.toString());
    assertTrue(version.stdout.startsWith("spark-attention "), version.stdout);
  }

  @Test
  void relativePathsMeanTheCallersDirectory() throws Exception {
    Run gen =
        run(
            "generate.sh",
            "--output",
            "gen",
            "--sequences",
            "40",
            "--min-len",
            "2",
            "--max-len",
            "8",
            "--embed-dim",
            "8",
            "--files",
            "1");
    assertEquals(0, gen.code, gen.toString());
    assertTrue(Files.isDirectory(caller.resolve("gen/input")), "generated where the caller is");

    Path archive = SparkDistributions.ROOT.resolve("target/spark-attention.jsa");
    Files.deleteIfExists(archive); // the next run of the job records it
    String[] job = jobArgs("gen/weights.safetensors");
    // Set but empty (as scripts pass it on) is no setting: Spark would refuse an empty one.
    Run dry = run(Map.of("SPARK_DRIVER_MEMORY", ""), "attention.sh", concat(job, "--dry-run"));
    assertEquals(0, dry.code, dry.toString());
    assertEquals("dry run", dry.summary().get("status"));
    assertFalse(Files.exists(caller.resolve("out")));

    Run ok = run(Map.of("SPARK_DRIVER_MEMORY", "600m"), "attention.sh", job);
    assertEquals(0, ok.code, ok.toString());
    assertTrue(Files.isDirectory(caller.resolve("out")), "written where the caller is");
    Map<?, ?> provenance = (Map<?, ?>) ok.summary().get("provenance");
    long heap = ((Number) provenance.get("driver_max_heap_bytes")).longValue();
    assertTrue(heap > 400L << 20 && heap <= 600L << 20, "SPARK_DRIVER_MEMORY=600m: heap " + heap);
    List<?> jvmOptions = (List<?>) provenance.get("driver_jvm_options");
    assertTrue(jvmOptions.contains("-Xmx600m"), "the heap among " + jvmOptions);
    assertTrue(
        jvmOptions.contains("-XX:Tier4InvocationThreshold=50000"),
        "the launcher's C2 thresholds among " + jvmOptions);
    assertTrue(
        ok.stderr.lines().anyMatch(l -> l.matches("\\d{4}-.*Z \\[spark-attention\\] .*elapsed.*")),
        "timestamped progress: " + ok.stderr);
    assertTrue(Files.size(archive) > 0, "the first run recorded the class-data archive");

    Run missing = run("attention.sh", jobArgs("gen1/weights.safetensors"));
    assertEquals(3, missing.code, missing.toString());
    String resolved = caller.toRealPath().resolve("gen1/weights.safetensors").toString();
    assertTrue(missing.stderr.contains("(looked for at " + resolved + ")"), missing.stderr);
    assertEquals("failed", missing.summary().get("status"));
    assertEquals(3, missing.summary().get("exit_code"));
  }

  /**
   * With a Spark installation, the first job run records a class-data archive for the driver as it
   * exits (on Java 25 an AOT cache; stdout still ending with the summary, stderr without the JVM's
   * notes on assembling it) and the next run starts from it, writing the same values.
   */
  @ParameterizedTest(name = "Java {0}")
  @CsvSource({
    "17, jsa, -XX:ArchiveClassesAtExit=, -XX:SharedArchiveFile=",
    "25, aot, -XX:AOTCacheOutput=, -XX:AOTCache="
  })
  void aSparkHomeRecordsThenUsesAClassDataArchive(
      int java, String extension, String recordOption, String useOption) throws Exception {
    Path target = SparkDistributions.ROOT.resolve("target");
    String pattern = "spark-attention-.*\\." + extension + ".*";
    for (Path old : archives(target, pattern)) {
      Files.delete(old); // the next run of the job records one
    }
    Map<String, String> env =
        Map.of(
            "SPARK_HOME", SparkDistributions.sparkHome("4.2.0").toString(),
            "JAVA_HOME", SparkDistributions.javaHome(java).toString());
    Path samples = SparkDistributions.ROOT.resolve("data-samples");
    String[] job = {
      "--input",
      samples.resolve("sequences").toString(),
      "--weights",
      samples.resolve("mha_e32_h4.safetensors").toString(),
      "--heads",
      "4",
      "--partition.by",
      "date",
      "--output",
      "run1"
    };
    Run first = run(env, "attention.sh", job);
    assertEquals(0, first.code, first.toString());
    assertEquals("succeeded", first.summary().get("status"), "stdout ends with the summary");
    List<Path> made = archives(target, pattern);
    assertEquals(1, made.size(), "one archive, no recording left over: " + made);
    assertTrue(Files.size(made.get(0)) > 0);
    assertTrue(
        jvmOptions(first).stream()
            .anyMatch(o -> o.toString().startsWith(recordOption + made.get(0) + ".")),
        "recorded beside the archive, then renamed: " + jvmOptions(first));
    assertFalse(
        first.stderr.contains("AOTCache creation") || first.stderr.contains("[error][aot]"),
        "the JVM's notes on the archive left out: " + first.stderr);

    job[job.length - 1] = "run2";
    Run second = run(env, "attention.sh", job);
    assertEquals(0, second.code, second.toString());
    assertTrue(jvmOptions(second).contains(useOption + made.get(0)), "started from the archive");
    assertEquals(made, archives(target, pattern), "nothing recorded again");
    TestDatasets.assertSameValues(caller.resolve("run2"), caller.resolve("run1"), "output");
  }

  private static List<Path> archives(Path dir, String pattern) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches(pattern)).sorted().toList();
    }
  }

  private static List<?> jvmOptions(Run r) throws IOException {
    return (List<?>) ((Map<?, ?>) r.summary().get("provenance")).get("driver_jvm_options");
  }

  private static String[] jobArgs(String weights) {
    return new String[] {
      "--input", "gen/input", "--weights", weights, "--heads", "2", "--output", "out"
    };
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(new String[0]);
  }
}
