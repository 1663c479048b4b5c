package org.sparkattention.config;

/** What a run does with a bad row ({@code bad.rows}). */
public enum BadRowsPolicy implements Choice {
  /** The run stops before writing anything, naming the row. */
  FAIL,
  /** The row goes to {@code bad.rows.output} with its reason; the others are computed. */
  QUARANTINE
}
