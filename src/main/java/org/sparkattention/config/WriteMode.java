package org.sparkattention.config;

/** What a run does where a dataset exists ({@code mode}); it applies to every dataset of a run. */
public enum WriteMode implements Choice {
  /** Refused before any stage when the dataset exists. */
  ERRORIFEXISTS,
  /** The old dataset is replaced whole. */
  OVERWRITE,
  /** The run's files are added to the dataset. */
  APPEND,
  /** Each partition directory the run writes replaces the same directory; others stay. */
  OVERWRITE_PARTITIONS;

  /** Whether the run's data go into an existing dataset beside what is there. */
  public boolean addsToExisting() {
    return this == APPEND || this == OVERWRITE_PARTITIONS;
  }
}
