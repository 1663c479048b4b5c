package org.sparkattention.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.spark.MatrixParquetFormat;
import org.sparkattention.io.spark.SparkInternals;

/**
 * Writing float matrices to Parquet, local[2]: Spark's own writer (standard three-level lists, and
 * the two-level legacy lists without statistics the job used before) against the job's matrix
 * writer, on the same cached rows, rounds alternating; prints each round and the medians.
 * Arguments: [rows] [L] [E] [rounds], default the headline's 192 x 1024 x 256, 6 rounds.
 */
public final class ParquetWriteBenchmark {
  private ParquetWriteBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 192;
    int len = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int width = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 6;
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    StructType schema =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField(OutputRows.OUTPUT, OutputRows.FLOAT_MATRIX, false)));
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      ids.add(i);
    }
    JavaRDD<InternalRow> data =
        new JavaSparkContext(spark.sparkContext())
            .parallelize(ids, 2)
            .map(i -> matrixRow(i, len, width))
            .persist(StorageLevel.MEMORY_ONLY());
    data.count();
    Path dir = Files.createTempDirectory("parquet-write-benchmark");
    Map<String, List<Double>> seconds = new LinkedHashMap<>();
    for (String way : List.of("spark-standard", "spark-legacy-no-stats", "matrix-writer")) {
      seconds.put(way, new ArrayList<>());
    }
    for (int round = 0; round <= rounds; round++) {
      for (String way : seconds.keySet()) {
        DataFrameWriter<Row> writer =
            SparkInternals.createDataFrame(spark, data.rdd(), schema)
                .write()
                .mode(SaveMode.Overwrite);
        spark.conf().set("spark.sql.parquet.writeLegacyFormat", way.contains("legacy"));
        if (way.equals("matrix-writer")) {
          writer = writer.format(MatrixParquetFormat.class.getName());
        } else {
          writer = writer.format("parquet").option("parquet.enable.dictionary", "false");
          if (way.contains("no-stats")) {
            writer =
                writer
                    .option("parquet.column.statistics.enabled#output.array.array", "false")
                    .option("parquet.size.statistics.enabled#output.array.array", "false");
          }
        }
        long t0 = System.nanoTime();
        writer.save(dir.resolve(way).toString());
        double s = (System.nanoTime() - t0) / 1e9;
        if (round > 0) { // round 0 warms up
          seconds.get(way).add(s);
        }
        System.out.printf("round %d  %-22s %.2f s%n", round, way, s);
      }
    }
    double mb = rows * (double) len * width * 4 / 1e6;
    double matrix = median(seconds.get("matrix-writer"));
    System.out.printf(
        "%d rows of %d x %d floats (%.0f MB), median of %d rounds:%n",
        rows, len, width, mb, rounds);
    for (Map.Entry<String, List<Double>> e : seconds.entrySet()) {
      double m = median(e.getValue());
      System.out.printf(
          "  %-22s %.2f s  %5.0f MB/s  %.2fx the matrix writer's time%n",
          e.getKey(), m, mb / m, m / matrix);
    }
    spark.stop();
  }

  private static InternalRow matrixRow(int id, int len, int width) {
    Random random = new Random(id);
    Object[] matrix = new Object[len];
    float[] row = new float[width];
    for (int t = 0; t < len; t++) {
      for (int j = 0; j < width; j++) {
        row[j] = (float) random.nextGaussian();
      }
      matrix[t] = UnsafeArrayData.fromPrimitiveArray(row);
    }
    return new GenericInternalRow(new Object[] {(long) id, new GenericArrayData(matrix)});
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
