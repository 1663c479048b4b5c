package org.sparkattention.job;

import java.io.Serializable;

/**
 * A moved row's shuffle key: its planned task, and where it was in the input (partition, position)
 * to order the rows of a task. A task's rows arrive from several executors in whatever order the
 * network delivers them; sorted by their input place they reach the kernel, and so the files, in
 * the same order in every run. A class, not a record: shuffle keys go through spark.serializer, and
 * Kryo cannot build records.
 */
final class RowOrder implements Comparable<RowOrder>, Serializable {
  private static final long serialVersionUID = 1L;

  final int task;
  final int partition;
  final int position;

  RowOrder(int task, int partition, int position) {
    this.task = task;
    this.partition = partition;
    this.position = position;
  }

  @Override
  public int compareTo(RowOrder o) {
    int c = Integer.compare(partition, o.partition);
    return c != 0 ? c : Integer.compare(position, o.position);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowOrder r
        && r.task == task
        && r.partition == partition
        && r.position == position;
  }

  @Override
  public int hashCode() {
    return (task * 31 + partition) * 31 + position;
  }
}
