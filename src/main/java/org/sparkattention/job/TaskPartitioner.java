package org.sparkattention.job;

import org.apache.spark.Partitioner;

/** Sends a row keyed by its {@link RowOrder} to its planned task. */
final class TaskPartitioner extends Partitioner {
  private static final long serialVersionUID = 1L;
  private final int tasks;

  TaskPartitioner(int tasks) {
    this.tasks = tasks;
  }

  @Override
  public int numPartitions() {
    return tasks;
  }

  @Override
  public int getPartition(Object key) {
    return ((RowOrder) key).task;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TaskPartitioner t && t.tasks == tasks;
  }

  @Override
  public int hashCode() {
    return tasks;
  }
}
