package org.sparkattention.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.util.List;

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
    TaskCostBalance taskCostBalance,
    int executors,
    int failedTaskAttempts,
    double wallSeconds,
    WallSplit wallSplitSeconds,
    TaskSeconds taskSeconds,
    double attentionGflop,
    double attentionGflopsPerSecond,
    double kernelGflopsPerCoreSecond,
    String blas,
    String exp,
    String maps,
    String mode,
    List<String> notes,
    String output,
    String mapsOutput,
    String badRowsOutput) {

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

  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /** One line of JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
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
