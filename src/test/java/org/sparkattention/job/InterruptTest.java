package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparkattention.SparkTest;
import org.sparkattention.commit.DatasetTrees;

/**
 * A scheduler's timeout (SIGTERM) and Ctrl-C (SIGINT) sent to a real run in its own JVM while it
 * computes: one {@code error: interrupted} line, exit 143 or 130, the run's staging removed and the
 * existing dataset it was overwriting byte for byte as it was.
 */
@SparkTest
class InterruptTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "SIG{0}")
  @CsvSource({"TERM, 143", "INT, 130"})
  void aSignalMidComputeRemovesTheStagingAndChangesNothing(String signal, int exitCode)
      throws Exception {
    Path out = dir.resolve("out");
    String[] args =
        JobFeaturesTest.sampleArgs(JobFeaturesTest.SAMPLES, out.toString(), "--mode", "overwrite");
    JobRunner.succeed(args);
    Map<String, String> before = DatasetTrees.snapshot(dir);
    Path markers = Files.createDirectory(dir.resolve("markers"));

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Djdk.") || a.startsWith("-Dio.netty")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Dspark.master=local[2]");
    cmd.add("-Dspark.driver.host=127.0.0.1");
    cmd.add("-Dspark.ui.enabled=false");
    cmd.add("-D" + FaultInjection.SLEEP_PER_SEQUENCE_MILLIS + "=100");
    cmd.add("-D" + FaultInjection.COMPUTING_MARKER_DIR + "=" + markers);
    cmd.add(AttentionJob.class.getName());
    cmd.addAll(List.of(args));
    File stderr = dir.resolve("stderr.txt").toFile();
    Process job =
        new ProcessBuilder(cmd)
            .redirectError(stderr)
            .redirectOutput(dir.resolve("stdout.txt").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (isEmpty(markers) && job.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertTrue(job.isAlive(), () -> "the run is computing: " + read(stderr));
      assertFalse(isEmpty(markers), "a task computes");
      new ProcessBuilder("kill", "-" + signal, Long.toString(job.pid())).start().waitFor();
      assertTrue(job.waitFor(60, TimeUnit.SECONDS), "the run ends");
    } finally {
      job.destroyForcibly();
    }
    String err = read(stderr);
    assertEquals(exitCode, job.exitValue(), err);
    List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), err);
    assertTrue(errors.get(0).startsWith("error: interrupted by SIG" + signal + ";"), errors.get(0));
    assertTrue(errors.get(0).contains("no dataset was changed"), errors.get(0));
    assertFalse(err.contains("internal failure"), err);
    assertFalse(err.contains("\tat "), () -> "no stack trace: " + err);
    Map<String, String> after = DatasetTrees.snapshot(dir);
    after.keySet().removeIf(k -> k.startsWith("markers") || k.startsWith("std"));
    assertEquals(before, after, "the output as it was, no staging left");
  }

  private static boolean isEmpty(Path d) throws java.io.IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.findAny().isEmpty();
    }
  }

  private static String read(File f) {
    try {
      return Files.readString(f.toPath());
    } catch (java.io.IOException e) {
      return "(" + e + ")";
    }
  }
}
