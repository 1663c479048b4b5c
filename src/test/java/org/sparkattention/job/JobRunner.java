package org.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.sparkattention.config.JobConfig;

/** Runs the job in tests: through {@code main}'s logic on the shared local session. */
public final class JobRunner {
  private JobRunner() {}

  /** What a run printed and returned. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** The summary: the last line of stdout. */
    public String summaryLine() {
      String[] lines = stdout.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  /** Runs {@code jobs/attention.sh}'s entry point with {@code --KEY VALUE} pairs. */
  public static Result main(String... keyValues) {
    SparkTestSession.get();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        AttentionJob.runMain(
            keyValues,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs and asserts success; returns the summary map. */
  public static Map<String, Object> succeed(String... keyValues) {
    Result r = main(keyValues);
    assertEquals(0, r.exitCode(), () -> "job failed:\n" + r.stderr());
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> summary = new ObjectMapper().readValue(r.summaryLine(), Map.class);
      return summary;
    } catch (Exception e) {
      throw new AssertionError("last stdout line is not the JSON summary: " + r.stdout(), e);
    }
  }

  /** Flattens {"k": "v", ...} into --k v arguments. */
  public static String[] args(Map<String, String> config) {
    List<String> a = new ArrayList<>();
    config.forEach(
        (k, v) -> {
          a.add("--" + k);
          a.add(v);
        });
    return a.toArray(new String[0]);
  }

  static JobConfig config(String... keyValues) {
    return JobConfig.load(keyValues, Map.of());
  }

  static Configuration hadoop() {
    return SparkTestSession.get().sparkContext().hadoopConfiguration();
  }

  /** Exit code, one error line holding every fragment, no stack trace. */
  public static void assertRefused(JobRunner.Result r, int exitCode, String... fragments) {
    assertEquals(exitCode, r.exitCode(), r.stderr());
    List<String> errors = r.stderr().lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), r.stderr());
    for (String f : fragments) {
      assertTrue(errors.get(0).contains(f), () -> "'" + f + "' in: " + errors.get(0));
    }
    assertFalse(r.stderr().contains("\tat "), () -> "no stack trace: " + r.stderr());
    Map<String, Object> failure = failure(r);
    assertEquals(exitCode, failure.get("exit_code"), r.stdout());
    assertEquals(errors.get(0), "error: " + failure.get("message"), "the summary holds the error");
  }

  /** The last stdout line of a failed run: its JSON summary, status failed. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> failure(Result r) {
    try {
      Map<String, Object> failure = new ObjectMapper().readValue(r.summaryLine(), Map.class);
      assertEquals("failed", failure.get("status"), r.stdout());
      return failure;
    } catch (JsonProcessingException e) {
      throw new AssertionError("the last stdout line is not JSON: " + r.stdout(), e);
    }
  }

  /** The samples through main with {@code weights} (4 heads) into {@code output}, plus more. */
  public static Result samplesWith(
      java.nio.file.Path weights, java.nio.file.Path output, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "--input",
                JobFeaturesTest.SAMPLES,
                "--weights",
                weights.toString(),
                "--heads",
                "4",
                "--output",
                output.toString()));
    a.addAll(java.util.Arrays.asList(more));
    return main(a.toArray(new String[0]));
  }
}
