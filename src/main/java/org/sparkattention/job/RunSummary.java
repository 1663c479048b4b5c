package org.sparkattention.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * What a run did, as the last line of stdout and {@code _attention_summary.json}: field names in
 * snake case, in this order; the dataset paths of datasets the run did not write are left out. The
 * README's summary table says what each field means.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSummary(
    String status,
    long sequences,
    long rowsWritten,
    long mapRowsWritten,
    long badRows,
    long fullyMaskedQueries,
    int tasks,
    int inputReads,
    TaskCostBalance taskCostBalance,
    int executors,
    int failedTaskAttempts,
    double wallSeconds,
    WallSplit wallSplitSeconds,
    TaskSeconds taskSeconds,
    TaskMicrosPerRow taskMicrosecondsPerRow,
    double attentionGflop,
    double attentionGflopsPerSecond,
    double kernelGflopsPerCoreSecond,
    String products,
    String exp,
    String maps,
    String mode,
    List<String> notes,
    String output,
    String mapsOutput,
    String badRowsOutput,
    Provenance provenance) {

  /**
   * What produced the datasets: the input and weights (with the file's SHA-256), every effective
   * setting, this build and the runtime it ran on, the Spark application, and when, in UTC.
   */
  public record Provenance(
      String input,
      String weights,
      String weightsSha256,
      Map<String, String> settings,
      String version,
      String commit,
      String sparkBuiltAgainst,
      String spark,
      String scala,
      String java,
      String master,
      String applicationId,
      long driverMaxHeapBytes,
      List<String> driverJvmOptions,
      String startedUtc,
      String endedUtc) {}

  /**
   * A failed run's last stdout line: the exit code, the kind of error ({@code config}, {@code
   * weights}, {@code input}, {@code output}, {@code interrupted} or {@code internal}) and the
   * message of the {@code error:} line on stderr.
   */
  public record Failure(
      String status,
      int exitCode,
      String errorKind,
      String message,
      String version,
      String commit,
      String startedUtc,
      String endedUtc) {
    static Failure of(int exitCode, String kind, String message, Instant started) {
      return new Failure(
          "failed",
          exitCode,
          kind,
          message,
          BuildInfo.version(),
          BuildInfo.commit(),
          utc(started),
          utc(Instant.now()));
    }

    public String toJson() {
      return json(this);
    }
  }

  /** An instant as ISO-8601 UTC to the second ({@code 2026-11-29T16:05:09Z}). */
  static String utc(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** The cost plan: costliest and mean task in GFLOP, their ratio, the goal, what the tasks are. */
  public record TaskCostBalance(
      double maxTaskGflop,
      double meanTaskGflop,
      double maxOverMean,
      double goal,
      String tasksAre) {}

  /** The wall time up to the commit, split by what it was spent on. */
  public record WallSplit(double sparkStart, double read, double compute, double write) {}

  /** Task time summed over tasks. */
  public record TaskSeconds(double decode, double compute, double encode, double allTasks) {}

  /**
   * Task time per input row: in the kernel, and outside it (reading, checking, routing, shuffling,
   * decoding, encoding, writing: what a row costs besides its attention).
   */
  public record TaskMicrosPerRow(double kernel, double outsideKernel) {
    static TaskMicrosPerRow of(double kernelSeconds, double allTaskSeconds, long rows) {
      if (rows == 0) {
        return new TaskMicrosPerRow(0, 0);
      }
      return new TaskMicrosPerRow(
          round(kernelSeconds * 1e6 / rows),
          round(Math.max(0, allTaskSeconds - kernelSeconds) * 1e6 / rows));
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /** One line of JSON. */
  public String toJson() {
    return json(this);
  }

  static String json(Object summary) {
    try {
      return JSON.writeValueAsString(summary);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a summary that Jackson cannot write", e);
    }
  }

  /** Indented JSON, for the summary file. */
  byte[] toPrettyJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a summary that Jackson cannot write", e);
    }
  }

  /** Rounded to three decimals, as every figure in the summary. */
  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
