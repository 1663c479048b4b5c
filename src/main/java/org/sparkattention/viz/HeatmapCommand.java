package org.sparkattention.viz;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.errors.UserErrors;
import org.sparkattention.io.OutputRows;

/**
 * {@code jobs/heatmap.sh}: one sequence's maps as a heatmap PNG (a grid of heads, or one head, or
 * the mean), or its per-query statistics from a {@code maps=summary} dataset as line charts.
 */
public final class HeatmapCommand {
  static final String USAGE =
      """
      usage: jobs/heatmap.sh --maps DIR --id ID [--head H] --output FILE.png
             jobs/heatmap.sh --summary DIR --id ID [--head H] --output FILE.png
        --maps DIR       a maps=heads or maps=mean dataset: one heatmap per head (or the mean),
                         long sequences block-averaged to at most 160 cells a side
        --summary DIR    a maps=summary dataset: entropy, key 0's weight and mean distance along
                         the queries, one line per head
        --id ID          the sequence (its id as written, compared as text)
        --head H         only this head (default: every head written)
        --output FILE    the PNG to write (relative to the current directory)
      """;

  private HeatmapCommand() {}

  public static void main(String[] args) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(USAGE);
      return;
    }
    System.setProperty("java.awt.headless", "true");
    SparkSession spark = null;
    try {
      Map<String, String> opts = options(args);
      spark = SparkSession.builder().appName("spark-attention-heatmap").getOrCreate();
      System.out.println("wrote " + run(spark, opts));
    } catch (AttentionException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(e.kind().exitCode());
    } finally {
      if (spark != null) {
        spark.stop();
      }
    }
  }

  /** Draws what {@code opts} ask for; returns the PNG's path. */
  static String run(SparkSession spark, Map<String, String> opts) {
    Integer head = null;
    if (opts.containsKey("--head")) {
      try {
        head = Integer.valueOf(opts.get("--head"));
      } catch (NumberFormatException e) {
        throw UserErrors.heatmapUsage("--head " + opts.get("--head") + " is not a head index");
      }
    }
    boolean summary = opts.containsKey("--summary");
    String dir = summary ? opts.get("--summary") : opts.get("--maps");
    List<Row> rows = rowsOf(spark, dir, opts.get("--id"), head);
    String title = "id " + opts.get("--id");
    Heatmap.write(
        summary ? Heatmap.charts(title, STATISTICS, series(rows)) : heatmap(title, rows),
        opts.get("--output"));
    return opts.get("--output");
  }

  /** The command line's options, checked. */
  static Map<String, String> options(String[] args) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!List.of("--maps", "--summary", "--id", "--head", "--output").contains(args[i])
          || i + 1 == args.length) {
        throw UserErrors.heatmapUsage("'" + args[i] + "' is not an option with a value");
      }
      opts.put(args[i], args[++i]);
    }
    if (opts.containsKey("--maps") == opts.containsKey("--summary")) {
      throw UserErrors.heatmapUsage("give one of --maps DIR and --summary DIR");
    }
    for (String required : List.of("--id", "--output")) {
      if (!opts.containsKey(required)) {
        throw UserErrors.heatmapUsage(required + " is required");
      }
    }
    return opts;
  }

  static final List<String> STATISTICS =
      List.of("entropy (nats)", "first_key_weight", "mean_distance (tokens)");

  private static List<Row> rowsOf(SparkSession spark, String dir, String id, Integer head) {
    Dataset<Row> ds;
    try {
      ds = spark.read().parquet(dir);
    } catch (Exception e) { // AnalysisException is checked in Java
      throw UserErrors.heatmapNothingToDraw(dir, "it cannot be read as Parquet: " + e.getMessage());
    }
    if (!List.of(ds.columns()).contains("id") || !List.of(ds.columns()).contains("head")) {
      throw UserErrors.heatmapNothingToDraw(dir, "it is not a maps dataset (no id and head)");
    }
    ds = ds.filter(functions.col("id").cast("string").equalTo(id));
    if (head != null) {
      ds = ds.filter(functions.col("head").equalTo(head));
    }
    List<Row> rows = new ArrayList<>(ds.collectAsList());
    if (rows.isEmpty()) {
      throw UserErrors.heatmapNothingToDraw(
          dir, "it has no row of id " + id + (head == null ? "" : " and head " + head));
    }
    rows.sort(
        Comparator.comparing(
            r -> r.isNullAt(r.fieldIndex("head")) ? -1 : r.<Integer>getAs("head")));
    return rows;
  }

  private static java.awt.image.BufferedImage heatmap(String title, List<Row> rows) {
    if (!List.of(rows.get(0).schema().fieldNames()).contains("weights")) {
      throw UserErrors.heatmapUsage(
          "--maps needs a maps=heads or maps=mean dataset; use --summary");
    }
    List<Heatmap.Panel> panels = new ArrayList<>();
    for (Row r : rows) {
      float[][] m = OutputRows.readFloatMatrix(r, OutputRows.WEIGHTS);
      boolean mean = r.isNullAt(r.fieldIndex("head"));
      panels.add(new Heatmap.Panel(mean ? "mean over heads" : "head " + r.getAs("head"), m));
    }
    return Heatmap.draw(title, panels);
  }

  private static List<List<Heatmap.Series>> series(List<Row> rows) {
    if (!List.of(rows.get(0).schema().fieldNames()).contains("entropy")) {
      throw UserErrors.heatmapUsage("--summary needs a maps=summary dataset; use --maps");
    }
    List<List<Heatmap.Series>> data = new ArrayList<>();
    for (String column : List.of("entropy", "first_key_weight", "mean_distance")) {
      List<Heatmap.Series> lines = new ArrayList<>();
      for (Row r : rows) {
        List<Float> v = r.getList(r.fieldIndex(column));
        float[] values = new float[v.size()];
        for (int q = 0; q < values.length; q++) {
          values[q] = v.get(q);
        }
        lines.add(new Heatmap.Series("head " + r.getAs("head"), values));
      }
      data.add(lines);
    }
    return data;
  }
}
