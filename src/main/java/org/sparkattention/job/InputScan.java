package org.sparkattention.job;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.spark.SparkInternals;

/**
 * Reading the input: its rows viewed in place in Spark's column batches, and the one checking scan
 * that finds every bad row and every good row's cost before anything is computed.
 */
final class InputScan {
  private InputScan() {}

  /** One input partition's checking scan: every row's verdict, summed up in a few numbers. */
  static PartitionSummary scan(int partition, Iterator<InternalRow> rows, RowCheck check) {
    PartitionSummary summary = new PartitionSummary(partition);
    int position = 0;
    while (readNext(rows)) {
      InternalRow row = rows.next();
      String reason = check.badReason(row);
      if (reason != null) {
        summary.addBad(check.codec().id(row), reason);
      } else {
        summary.addGood(position, check.cost(row), check.queries(row), check.mapCells(row));
      }
      position++;
    }
    return summary.finish();
  }

  /** rows.hasNext(), with a failure to read the input file turned into a clear INPUT error. */
  static boolean readNext(Iterator<InternalRow> rows) {
    try {
      return rows.hasNext();
    } catch (Exception e) { // Spark throws its (checked) SparkException from Scala code
      String file = SparkInternals.currentInputFile();
      throw UserErrors.inputFileCorrupt(file, firstLine(e));
    }
  }

  /**
   * The largest map row an executor can build and write: the float map, its encoded copy and the
   * Parquet writer's pages each hold it once, beside the task's other data.
   */
  static long maxMapRowBytes(SparkSession spark) {
    long executorBytes =
        spark.sparkContext().isLocal()
            ? Runtime.getRuntime().maxMemory()
            : spark.sparkContext().executorMemory() * 1024L * 1024L;
    // An UnsafeArrayData holds at most 2^31 - 1 bytes.
    return Math.min(executorBytes / 6, Integer.MAX_VALUE - 1024);
  }

  /** What went wrong reading a file: Spark's line naming the file, and the root cause. */
  static String firstLine(Throwable e) {
    String fileLine = null;
    String root = String.valueOf(e.getMessage());
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage();
      if (m == null) {
        continue;
      }
      root = m;
      if (m.startsWith("[FAILED_READ_FILE") || m.startsWith("Encountered error while reading")) {
        fileLine = m; // the deepest such message is Spark's own, naming the file
      }
    }
    String rootLine = oneLine(root);
    return fileLine == null || oneLine(fileLine).equals(rootLine)
        ? rootLine
        : oneLine(fileLine) + " (" + rootLine + ")";
  }

  private static String oneLine(String m) {
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).trim();
  }

  /** Rows per batch of Spark's vectorized Parquet and ORC readers, unless the user sets it. */
  static final int READ_BATCH_ROWS = 16;

  /**
   * The vectorized readers fill batches of 4096 rows by default: with rows of thousands of floats,
   * column vectors of hundreds of MB, grown by copying. Small batches of such rows read faster
   * (README, "How a run works").
   */
  static Map<String, String> readSettings(SparkSession spark) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String key :
        List.of(
            "spark.sql.parquet.columnarReaderBatchSize", "spark.sql.orc.columnarReaderBatchSize")) {
      if (!spark.conf().contains(key)) {
        settings.put(key, Integer.toString(READ_BATCH_ROWS));
      }
    }
    return settings;
  }

  /**
   * Runs {@code body} with SQL settings set in the session (read when Spark plans the scan), then
   * restores what was there: the session may be shared.
   */
  static <T> T withSqlConf(SparkSession spark, Map<String, String> settings, Supplier<T> body) {
    Map<String, String> before = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String key = e.getKey();
      before.put(key, spark.conf().contains(key) ? spark.conf().get(key) : null);
      spark.conf().set(key, e.getValue());
    }
    try {
      return body.get();
    } finally {
      before.forEach(
          (key, value) -> {
            if (value == null) {
              spark.conf().unset(key);
            } else {
              spark.conf().set(key, value);
            }
          });
    }
  }
}
