package org.sparkattention.io.spark;

import java.util.Locale;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.spark.internal.io.FileNameSpec;
import org.apache.spark.sql.execution.datasources.SQLHadoopMapReduceCommitProtocol;

/**
 * Spark's default commit protocol, with file names that do not change from run to run: {@code
 * part-00003-TOKEN.c000.snappy.parquet}, where the write's {@link #FILE_TOKEN} option gives TOKEN,
 * instead of a random write-job UUID. Checksum-based change detection then sees the same files when
 * a rerun writes the same values. The job chooses the token; a write without it is named as Spark
 * names it.
 */
public class StableNamesCommitProtocol extends SQLHadoopMapReduceCommitProtocol {
  private static final long serialVersionUID = 1L;

  /** The write option (it reaches the tasks' Hadoop configuration) that holds the token. */
  public static final String FILE_TOKEN = "spark-attention.file-token";

  public StableNamesCommitProtocol(String jobId, String path, boolean dynamicPartitionOverwrite) {
    super(jobId, path, dynamicPartitionOverwrite);
  }

  /** Whether this protocol may stand in for {@code protocol}: Spark's default, which it extends. */
  public static boolean replaces(String protocol) {
    return protocol.equals(SQLHadoopMapReduceCommitProtocol.class.getName());
  }

  @Override
  public String getFilename(TaskAttemptContext taskContext, FileNameSpec spec) {
    String token = taskContext.getConfiguration().get(FILE_TOKEN);
    if (token == null) {
      return super.getFilename(taskContext, spec);
    }
    int split = taskContext.getTaskAttemptID().getTaskID().getId();
    return String.format(
        Locale.ROOT, "%spart-%05d-%s%s", spec.prefix(), split, token, spec.suffix());
  }
}
