package org.sparkattention.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.JobConfig;
import org.sparkattention.config.WriteMode;
import org.sparkattention.io.spark.StableNamesCommitProtocol;

/**
 * The names of the files a run writes: {@code part-NNNNN-TOKEN.c000.snappy.parquet}, with a token
 * from the run's effective settings (but where and how it writes) and its weights' SHA-256, so that
 * a rerun with the same input and settings writes the same files under the same names (README,
 * "Reproducible files"). With {@code mode=append} the new files join files already there, so the
 * token is the run's own id and two runs never write the same name. A user's own commit protocol is
 * left in charge.
 */
final class FileNames {
  private static final String PROTOCOL_KEY = "spark.sql.sources.commitProtocolClass";

  /** Where and how the datasets are written: not what is in them. */
  private static final Set<String> WHERE_AND_HOW =
      Set.of(
          ConfigKeys.OUTPUT.name(),
          ConfigKeys.MAPS_OUTPUT.name(),
          ConfigKeys.BAD_ROWS_OUTPUT.name(),
          ConfigKeys.MODE.name());

  private FileNames() {}

  /** The token of a run's files. */
  static String token(JobConfig config, String weightsSha256, String runId) {
    if (config.mode() == WriteMode.APPEND) {
      return runId;
    }
    StringBuilder text = new StringBuilder(weightsSha256);
    for (Map.Entry<String, String> e : new TreeMap<>(config.asMap()).entrySet()) {
      if (WHERE_AND_HOW.contains(e.getKey())) {
        continue;
      }
      text.append('\n').append(e.getKey()).append('=').append(e.getValue());
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /** Saves {@code writer} to {@code path}, its files named with {@code token}. */
  static void save(SparkSession spark, DataFrameWriter<Row> writer, String token, String path) {
    String protocol = spark.conf().contains(PROTOCOL_KEY) ? spark.conf().get(PROTOCOL_KEY) : null;
    if (protocol != null && !StableNamesCommitProtocol.replaces(protocol)) {
      writer.save(path); // the user's committer names the files
      return;
    }
    InputScan.withSqlConf(
        spark,
        Map.of(PROTOCOL_KEY, StableNamesCommitProtocol.class.getName()),
        () -> {
          writer.option(StableNamesCommitProtocol.FILE_TOKEN, token).save(path);
          return null;
        });
  }
}
