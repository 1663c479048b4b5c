package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Spark versions and JDKs for the cluster tests: a Spark home of Maven Central jars per version
 * ({@code jobs/spark-home.sh}, made once under {@code target/spark-homes}), the JDKs installed
 * beside this one, and the job submitted through a Spark home's own {@code bin/spark-submit}.
 */
final class SparkDistributions {
  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path APP_JAR = ROOT.resolve("target/spark-attention.jar");

  private SparkDistributions() {}

  /** The Spark home of {@code version}, made by jobs/spark-home.sh when missing. */
  static synchronized Path sparkHome(String version) throws Exception {
    Path home = ROOT.resolve("target/spark-homes").resolve(version);
    if (!Files.exists(home.resolve("RELEASE"))) {
      Process p =
          new ProcessBuilder(
                  ROOT.resolve("jobs/spark-home.sh").toString(), version, home.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.INHERIT)
              .start();
      if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("jobs/spark-home.sh " + version + " failed");
      }
    }
    return home;
  }

  /**
   * A JDK of feature release {@code feature}: this JVM's when it is one, else {@code
   * JAVA<feature>_HOME}, else one under /usr/lib/jvm whose {@code release} file says so. Fails
   * (never skips) when there is none: the compatibility matrix is what CI proves.
   */
  static Path javaHome(int feature) throws IOException {
    if (Runtime.version().feature() == feature) {
      return Path.of(System.getProperty("java.home"));
    }
    String env = System.getenv("JAVA" + feature + "_HOME");
    if (env != null) {
      return Path.of(env);
    }
    try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
      Optional<Path> found =
          jdks.filter(
                  d ->
                      read(d.resolve("release")).contains("JAVA_VERSION=\"" + feature + ".")
                          && Files.isExecutable(d.resolve("bin/java")))
              .sorted()
              .findFirst();
      return found.orElseThrow(
          () ->
              new IllegalStateException(
                  "no Java "
                      + feature
                      + " found: install one under /usr/lib/jvm or set JAVA"
                      + feature
                      + "_HOME"));
    }
  }

  /**
   * Starts {@code sparkHome/bin/spark-submit} on Java {@code javaHome} with the application jar:
   * {@code sparkOptions} before it, {@code jobArgs} after; stdout and stderr to {@code logDir}.
   */
  static Process submit(
      Path sparkHome,
      Path javaHome,
      Path logDir,
      List<String> sparkOptions,
      List<String> jobArgs,
      Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(sparkHome.resolve("bin/spark-submit").toString());
    cmd.addAll(sparkOptions);
    cmd.addAll(List.of("--class", "org.sparkattention.job.AttentionJob"));
    cmd.add(APP_JAR.toString());
    cmd.addAll(jobArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("JAVA_HOME", javaHome.toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().putAll(env);
    pb.redirectOutput(logDir.resolve("submit.out").toFile());
    pb.redirectError(logDir.resolve("submit.err").toFile());
    return pb.start();
  }

  /** Waits for a submission; its summary (stdout's last line) when it exited 0. */
  static Map<String, Object> awaitSummary(Process p, Path logDir, int seconds) throws Exception {
    Path stderr = logDir.resolve("submit.err");
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("spark-submit did not finish in " + seconds + " s: " + tail(stderr));
    }
    assertEquals(0, p.exitValue(), () -> "spark-submit failed: " + tail(stderr));
    List<String> lines = Files.readAllLines(logDir.resolve("submit.out"));
    @SuppressWarnings("unchecked")
    Map<String, Object> summary =
        new ObjectMapper().readValue(lines.get(lines.size() - 1), Map.class);
    return summary;
  }

  /** The last 40 lines of a log, for failure messages. */
  static String tail(Path log) {
    List<String> lines = List.of(read(log).split("\n"));
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }
}
