package org.sparkattention.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
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
import org.apache.spark.unsafe.types.UTF8String;
import org.sparkattention.io.spark.SparkInternals;
import org.sparkattention.model.SafetensorsWriter;

/**
 * Synthetic inputs and weights of any size, for trying the job out and for benchmarks ({@code
 * jobs/generate.sh}). Writes {@code DIR/input} (Parquet: {@code id} long, {@code date} string,
 * {@code x} array&lt;array&lt;float&gt;&gt;, with lengths drawn uniformly from [min-len, max-len],
 * plus optional long sequences) and {@code DIR/weights.safetensors} (an {@code
 * nn.MultiheadAttention} state_dict with bias, F32, PyTorch's initialisation scale).
 */
public final class SyntheticDataGenerator {
  private SyntheticDataGenerator() {}

  /** The generator's settings. */
  public record Spec(
      int sequences,
      int minLen,
      int maxLen,
      int longSequences,
      int longLen,
      int embedDim,
      long seed,
      int files,
      int rowGroupMb)
      implements java.io.Serializable {
    /** Spark's row-group size (parquet.block.size, 128 MB). */
    public Spec(
        int sequences,
        int minLen,
        int maxLen,
        int longSequences,
        int longLen,
        int embedDim,
        long seed,
        int files) {
      this(sequences, minLen, maxLen, longSequences, longLen, embedDim, seed, files, 0);
    }

    /** Long sequences are spread evenly through the ids, so input files are skewed as in life. */
    boolean isLong(int id) {
      if (longSequences == 0) {
        return false;
      }
      int stride = Math.max(1, (sequences + longSequences) / longSequences);
      return id % stride == 0 && id / stride < longSequences;
    }
  }

  /** The options, their defaults and meaning, as {@code --help} prints them. */
  static final String USAGE =
      """
      usage: jobs/generate.sh --output DIR [OPTION VALUE ...]
      Writes DIR/input (Parquet: id, date, x), DIR/weights.safetensors (nn.MultiheadAttention
      weights, F32) and DIR/lengths.txt (one sequence length per line).
        --output DIR          where to write (required; relative to the current directory)
        --sequences N         sequences of random length (default 300)
        --min-len A           shortest of them (default 4)
        --max-len B           longest of them (default 64)
        --long-sequences K    sequences of length L added (default 0)
        --long-len L          their length (default 1024)
        --embed-dim E         embedding dimension (default 64)
        --seed S              random seed: the same seed gives the same data (default 7)
        --files F             Parquet files to write, 0 for Spark's choice (default 0)
        --row-group-mb M      row-group size in MiB, 0 for Spark's 128 (default 0); a size
                              above the file's makes one row group per file, as DuckDB,
                              pyarrow and Polars write a small table
        --help                this text
      """;

  public static void main(String[] args) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(USAGE);
      return;
    }
    String out = null;
    int sequences = 300;
    int minLen = 4;
    int maxLen = 64;
    int longSequences = 0;
    int longLen = 1024;
    int embedDim = 64;
    long seed = 7;
    int files = 0;
    int rowGroupMb = 0;
    if (args.length % 2 != 0) {
      usage("option " + args[args.length - 1] + " has no value");
    }
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--output" -> out = v;
        case "--sequences" -> sequences = number(args[i], v);
        case "--min-len" -> minLen = number(args[i], v);
        case "--max-len" -> maxLen = number(args[i], v);
        case "--long-sequences" -> longSequences = number(args[i], v);
        case "--long-len" -> longLen = number(args[i], v);
        case "--embed-dim" -> embedDim = number(args[i], v);
        case "--seed" -> seed = number(args[i], v);
        case "--files" -> files = number(args[i], v);
        case "--row-group-mb" -> rowGroupMb = number(args[i], v);
        default -> usage("unknown option " + args[i]);
      }
    }
    if (out == null) {
      usage("--output DIR is required");
    }
    SparkSession spark = SparkSession.builder().appName("spark-attention-generate").getOrCreate();
    try {
      Spec spec =
          new Spec(
              sequences, minLen, maxLen, longSequences, longLen, embedDim, seed, files, rowGroupMb);
      write(spark, spec, out);
      System.out.printf(
          "wrote %d sequences (lengths %d..%d, %d of length %d), E = %d, to %s/input and"
              + " %s/weights.safetensors%n",
          sequences + longSequences, minLen, maxLen, longSequences, longLen, embedDim, out, out);
    } finally {
      spark.stop();
    }
  }

  private static int number(String option, String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    usage(option + " " + value + " is not a whole number of 0 or more");
    return 0;
  }

  private static void usage(String problem) {
    System.err.println("error: " + problem + " (jobs/generate.sh --help lists the options)");
    System.exit(2);
  }

  /** The input schema the generator writes. */
  public static StructType schema() {
    return DataTypes.createStructType(
        List.of(
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("date", DataTypes.StringType, false),
            DataTypes.createStructField("x", OutputRows.FLOAT_MATRIX, false)));
  }

  /** Writes {@code dir/input} and {@code dir/weights.safetensors}, replacing them. */
  public static void write(SparkSession spark, Spec spec, String dir) {
    writeWeights(spec.embedDim(), spec.seed(), Path.of(dir, "weights.safetensors"));
    int total = spec.sequences() + spec.longSequences();
    List<Integer> ids = new ArrayList<>(total);
    for (int i = 0; i < total; i++) {
      ids.add(i);
    }
    int files = spec.files() > 0 ? spec.files() : Math.max(1, Math.min(16, total / 64));
    JavaRDD<InternalRow> rows =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(ids, files)
            .map(i -> row(spec, i));
    StringBuilder lengths = new StringBuilder();
    for (int id = 0; id < total; id++) {
      lengths.append(length(spec, id, random(spec, id))).append('\n');
    }
    try {
      java.nio.file.Files.createDirectories(Path.of(dir));
      java.nio.file.Files.writeString(Path.of(dir, "lengths.txt"), lengths);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    DataFrameWriter<Row> writer =
        SparkInternals.createDataFrame(spark, rows.rdd(), schema())
            .write()
            .mode(SaveMode.Overwrite);
    if (spec.rowGroupMb() > 0) {
      writer = writer.option("parquet.block.size", spec.rowGroupMb() * (1L << 20));
    }
    writer.parquet(Path.of(dir, "input").toString());
  }

  /** Sequence {@code id}'s length: the first draw of its own random stream. */
  static int length(Spec spec, int id, SplittableRandom rnd) {
    return spec.isLong(id)
        ? spec.longLen()
        : spec.minLen() + rnd.nextInt(spec.maxLen() - spec.minLen() + 1);
  }

  private static SplittableRandom random(Spec spec, int id) {
    return new SplittableRandom(spec.seed() * 1_000_003L + id);
  }

  private static InternalRow row(Spec spec, int id) {
    SplittableRandom rnd = random(spec, id);
    int len = length(spec, id, rnd);
    Object[] tokens = new Object[len];
    float[] token = new float[spec.embedDim()];
    for (int i = 0; i < len; i++) {
      for (int j = 0; j < token.length; j++) {
        token[j] = (float) gaussian(rnd);
      }
      tokens[i] = UnsafeArrayData.fromPrimitiveArray(token);
    }
    String date = "2026-11-" + (20 + id % 3);
    return new GenericInternalRow(
        new Object[] {(long) id, UTF8String.fromString(date), new GenericArrayData(tokens)});
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
    double u = 1.0 - rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
  }

  /**
   * An {@code nn.MultiheadAttention(E, H)} state_dict: xavier-uniform in_proj_weight as PyTorch
   * initialises it, out_proj.weight uniform(+-1/sqrt(E)), small non-zero biases.
   */
  public static void writeWeights(int e, long seed, Path file) {
    Random rnd = new Random(seed);
    double inBound = Math.sqrt(6.0 / (e + 3 * e));
    double outBound = 1.0 / Math.sqrt(e);
    new SafetensorsWriter("F32")
        .put("in_proj_weight", uniform(rnd, 3 * e * e, inBound), 3L * e, e)
        .put("in_proj_bias", uniform(rnd, 3 * e, 0.1), 3L * e)
        .put("out_proj.weight", uniform(rnd, e * e, outBound), e, e)
        .put("out_proj.bias", uniform(rnd, e, 0.1), e)
        .write(file);
  }

  private static double[] uniform(Random rnd, int n, double bound) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = (rnd.nextDouble() * 2 - 1) * bound;
    }
    return v;
  }
}
