package org.sparkattention.job;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What {@code --dry-run} prints: the run that would happen, from every check that needs no compute
 * and one scan of the input. Field names in snake case; the README's dry-run table says what each
 * means.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DryRunPlan(
    String status,
    String input,
    String output,
    String mapsOutput,
    String badRowsOutput,
    String mode,
    String maps,
    long sequences,
    long badRows,
    int tasks,
    String tasksAre,
    int inputReads,
    int cores,
    double plannedGflop,
    double maxTaskGflop,
    double kernelGflopsPerCore,
    double estimatedComputeSeconds,
    long outputBytes,
    long mapBytes,
    double wallSeconds) {

  public String toJson() {
    return RunSummary.json(this);
  }
}
