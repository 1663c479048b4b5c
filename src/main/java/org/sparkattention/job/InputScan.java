package org.sparkattention.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.kernel.CostModel;

/**
 * Reading the input: its rows viewed in place in Spark's column batches, and the one checking scan
 * that finds every bad row and every good row's cost before anything is computed.
 */
final class InputScan {
  private InputScan() {}

  /**
   * One input partition's scan: each row's cost (negative for a bad row) and its bad rows (id,
   * reason). A class, not a record: task results go through spark.serializer, and Kryo cannot build
   * records.
   */
  static final class PartitionScan implements Serializable {
    private static final long serialVersionUID = 1L;
    private int partition;
    private double[] costs;
    private List<String[]> badRows;

    PartitionScan(int partition, double[] costs, List<String[]> badRows) {
      this.partition = partition;
      this.costs = costs;
      this.badRows = badRows;
    }

    int partition() {
      return partition;
    }

    double[] costs() {
      return costs;
    }

    List<String[]> badRows() {
      return badRows;
    }
  }

  static PartitionScan scan(
      int partition,
      Iterator<InternalRow> rows,
      SequenceCodec codec,
      CostModel costModel,
      boolean withMaps,
      long maxMapBytes) {
    double[] costs = new double[16];
    int n = 0;
    List<String[]> bad = new ArrayList<>();
    while (readNext(rows)) {
      InternalRow row = rows.next();
      if (n == costs.length) {
        costs = Arrays.copyOf(costs, n * 2);
      }
      String reason = codec.badRowReason(row);
      if (reason == null && withMaps) {
        reason = mapTooLarge(codec, row, costModel.extraKeys(), maxMapBytes);
      }
      if (reason != null) {
        bad.add(new String[] {codec.id(row), reason});
        costs[n++] = -1;
      } else {
        costs[n++] = costModel.flops(codec.queryLen(row), codec.keyLen(row), withMaps);
      }
    }
    return new PartitionScan(partition, Arrays.copyOf(costs, n), bad);
  }

  /** rows.hasNext(), with a failure to read the input file turned into a clear INPUT error. */
  private static boolean readNext(Iterator<InternalRow> rows) {
    try {
      return rows.hasNext();
    } catch (Exception e) { // Spark throws its (checked) SparkException from Scala code
      String file = SparkInternals.currentInputFile();
      throw UserErrors.inputFileCorrupt(file, firstLine(e));
    }
  }

  /** Why a row's map would not fit in an executor, or null. */
  private static String mapTooLarge(
      SequenceCodec codec, InternalRow row, int extraKeys, long maxMapBytes) {
    long bytes = 4L * codec.queryLen(row) * (codec.keyLen(row) + extraKeys);
    if (bytes <= maxMapBytes) {
      return null;
    }
    return "its attention map would be "
        + (bytes >> 20)
        + " MiB per row ("
        + codec.queryLen(row)
        + " x "
        + (codec.keyLen(row) + extraKeys)
        + " floats), more than the "
        + (maxMapBytes >> 20)
        + " MiB an executor can hold (a sixth of its memory); set maps=none for such sequences or"
        + " raise spark.executor.memory";
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
