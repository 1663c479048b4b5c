package org.sparkattention.io;

import java.io.Serializable;

/**
 * One input partition's byte ranges of its files, as Spark's file scan planned them. A class, not a
 * record: Spark may serialize a job's data with Kryo, which cannot build records.
 */
public final class InputSplits implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int partition;
  private final String[] paths;
  private final long[] starts;
  private final long[] lengths;

  public InputSplits(int partition, String[] paths, long[] starts, long[] lengths) {
    this.partition = partition;
    this.paths = paths.clone();
    this.starts = starts.clone();
    this.lengths = lengths.clone();
  }

  public int partition() {
    return partition;
  }

  public int files() {
    return paths.length;
  }

  public String path(int file) {
    return paths[file];
  }

  public long start(int file) {
    return starts[file];
  }

  public long length(int file) {
    return lengths[file];
  }
}
