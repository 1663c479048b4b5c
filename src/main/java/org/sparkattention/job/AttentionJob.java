package org.sparkattention.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.StructType;
import org.sparkattention.commit.DatasetPaths;
import org.sparkattention.commit.StagedDataset;
import org.sparkattention.config.ConfigKey;
import org.sparkattention.config.ConfigKeys;
import org.sparkattention.config.JobConfig;
import org.sparkattention.errors.AttentionException;
import org.sparkattention.io.InputLayout;
import org.sparkattention.io.MatrixParquetFormat;
import org.sparkattention.io.OutputRows;
import org.sparkattention.io.SequenceCodec;
import org.sparkattention.kernel.AttentionOptions;
import org.sparkattention.kernel.BlockedAttentionKernel;
import org.sparkattention.kernel.MapMode;
import org.sparkattention.model.AttentionWeights;
import scala.Tuple2;

/**
 * The attention job: validate everything on the driver, scan the input once for lengths and bad
 * rows, plan tasks by cost, compute each sequence once, write outputs (and maps, bad rows) to
 * staging, commit, summarise. {@link #main} parses, runs, stops.
 */
public final class AttentionJob {
  /** The summary file written inside the output dataset. */
  public static final String SUMMARY_FILE = "_attention_summary.json";

  private final JobConfig config;
  private final PrintStream log;

  public AttentionJob(JobConfig config, PrintStream log) {
    this.config = config;
    this.log = log;
  }

  public static void main(String[] args) {
    int code = runMain(args, System.out, System.err);
    System.exit(code);
  }

  /** main without the exit: returns the process exit code. */
  public static int runMain(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      out.print(JobConfig.help());
      return 0;
    }
    SparkSession spark = null;
    // A session that already exists (an embedding application, a test) is not ours to stop.
    boolean ownSession = SparkSession.getDefaultSession().isEmpty();
    RunGuard guard = RunGuard.install(err);
    try {
      long t0 = System.nanoTime();
      Map<String, String> sparkConf = new LinkedHashMap<>();
      for (Tuple2<String, String> e : new SparkConf().getAll()) {
        sparkConf.put(e._1(), e._2());
      }
      JobConfig config = JobConfig.load(args, sparkConf);
      AttentionJob job = new AttentionJob(config, err);
      Configuration hadoopConf =
          SparkSession.getDefaultSession().isDefined()
              ? SparkSession.getDefaultSession().get().sparkContext().hadoopConfiguration()
              : hadoopConfiguration(sparkConf);
      Prepared prepared = job.prepare(hadoopConf, guard);
      SparkSession.Builder builder = SparkSession.builder().appName("spark-attention");
      if (!sparkConf.containsKey("spark.shuffle.compress")) {
        // Shuffled rows are float vectors that do not compress: skip the CPU, unless told.
        builder.config("spark.shuffle.compress", "false");
      }
      spark = builder.getOrCreate();
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      Map<String, Object> summary = job.run(spark, prepared, startSeconds, guard);
      out.println(new ObjectMapper().writeValueAsString(summary));
      return 0;
    } catch (Throwable t) {
      guard.abort();
      if (guard.interrupted()) {
        return guard.exitCode(); // the signal handler has said so and is ending the process
      }
      AttentionException user = userError(t);
      if (user != null) {
        err.println("error: " + user.getMessage().replace("\r", " ").replace("\n", " "));
        return user.kind().exitCode();
      }
      err.println("error: internal failure (a bug in spark-attention or Spark; please report it):");
      t.printStackTrace(err);
      return 1;
    } finally {
      guard.close();
      if (spark != null && ownSession && !guard.interrupted()) {
        spark.stop();
      }
    }
  }

  /**
   * The Hadoop configuration Spark's session will use: Hadoop's defaults and site files, with every
   * {@code spark.hadoop.*} entry of the Spark conf applied, as Spark does.
   */
  static Configuration hadoopConfiguration(Map<String, String> sparkConf) {
    Configuration conf = new Configuration();
    sparkConf.forEach(
        (k, v) -> {
          if (k.startsWith("spark.hadoop.")) {
            conf.set(k.substring("spark.hadoop.".length()), v);
          }
        });
    return conf;
  }

  /** The user-facing error in {@code t}'s cause chain (Spark wraps task failures), if any. */
  static AttentionException userError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof AttentionException a) {
        return a;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /** What is checked before any Spark stage: weights, kernel options, output paths. */
  public record Prepared(
      AttentionWeights weights,
      AttentionOptions options,
      StagedDataset output,
      StagedDataset maps,
      StagedDataset badRows) {
    /** The datasets this run writes, output first. */
    List<StagedDataset> datasets() {
      List<StagedDataset> all = new ArrayList<>();
      for (StagedDataset d : new StagedDataset[] {output, maps, badRows}) {
        if (d != null) {
          all.add(d);
        }
      }
      return all;
    }
  }

  /**
   * Checks every path (qualified, connectors present, datasets disjoint), loads and checks the
   * weights against the options, and claims the output paths for {@code guard}'s run.
   *
   * @throws AttentionException naming the key, tensor or path
   */
  public Prepared prepare(Configuration hadoopConf, RunGuard guard) {
    List<DatasetPaths.Named> paths = new ArrayList<>();
    paths.add(named(ConfigKeys.INPUT.name(), config.input(), hadoopConf, 2));
    paths.add(named(ConfigKeys.WEIGHTS.name(), config.get(ConfigKeys.WEIGHTS), hadoopConf, 2));
    DatasetPaths.Named output = named(ConfigKeys.OUTPUT.name(), config.output(), hadoopConf, 5);
    paths.add(output);
    DatasetPaths.Named maps =
        config.maps().equals("none")
            ? null
            : named(ConfigKeys.MAPS_OUTPUT.name(), config.mapsOutput(), hadoopConf, 5);
    DatasetPaths.Named bad =
        config.badRows().equals("quarantine")
            ? named(
                ConfigKeys.BAD_ROWS_OUTPUT.name(),
                config.get(ConfigKeys.BAD_ROWS_OUTPUT),
                hadoopConf,
                5)
            : null;
    for (DatasetPaths.Named n : new DatasetPaths.Named[] {maps, bad}) {
      if (n != null) {
        paths.add(n);
      }
    }
    DatasetPaths.requireDisjoint(paths);
    AttentionWeights weights =
        AttentionWeights.load(
            config.get(ConfigKeys.WEIGHTS), config.get(ConfigKeys.WEIGHTS_PREFIX));
    int heads = config.get(ConfigKeys.HEADS);
    if (weights.embedDim() % heads != 0) {
      throw AttentionException.config(
          "heads = "
              + heads
              + " does not divide the layer's embed_dim E = "
              + weights.embedDim()
              + " (read off "
              + config.get(ConfigKeys.WEIGHTS)
              + "). Set heads to the layer's num_heads.");
    }
    Double scale = config.get(ConfigKeys.SCALE);
    Integer block = config.get(ConfigKeys.BLOCK_SIZE);
    AttentionOptions options =
        new AttentionOptions(
            heads,
            config.get(ConfigKeys.CAUSAL),
            config.get(ConfigKeys.ADD_ZERO_ATTN),
            scale == null ? Double.NaN : scale,
            block == null ? AttentionOptions.DEFAULT_BLOCK_SIZE : block);
    checkInputExists(hadoopConf);
    String mode = config.mode();
    StagedDataset outputSet = guard.claim(output, mode, hadoopConf);
    StagedDataset mapsSet = maps == null ? null : guard.claim(maps, mode, hadoopConf);
    StagedDataset badSet = bad == null ? null : guard.claim(bad, mode, hadoopConf);
    return new Prepared(weights, options, outputSet, mapsSet, badSet);
  }

  private void checkInputExists(Configuration hadoopConf) {
    String input = config.input();
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(hadoopConf);
      FileStatus[] found = fs.globStatus(p);
      if (found == null || found.length == 0) {
        throw AttentionException.config(
            "input '" + input + "' does not exist. Check the 'input' path.");
      }
    } catch (IOException e) {
      throw AttentionException.config("cannot read input '" + input + "': " + e.getMessage());
    }
  }

  private static DatasetPaths.Named named(String key, String path, Configuration conf, int exit) {
    return new DatasetPaths.Named(key, path, DatasetPaths.resolve(key, path, conf, exit));
  }

  /** A sequence's FLOPs as the kernel counts them, from the layer's dimensions alone. */
  record CostModel(int embedDim, int kdim, int vdim, int extraKeys, boolean causal)
      implements java.io.Serializable {
    double flops(int queryLen, int keyLen, boolean withMaps) {
      return BlockedAttentionKernel.flops(
          queryLen, keyLen, embedDim, kdim, vdim, extraKeys, causal, withMaps);
    }
  }

  /**
   * One input partition's scan: each row's cost (negative for a bad row) and its bad rows (id,
   * reason). A class, not a record: task results go through spark.serializer, and Kryo cannot build
   * records.
   */
  static final class PartitionScan implements java.io.Serializable {
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

  /**
   * Runs the job on {@code spark} and returns the summary (also written to the output dataset).
   *
   * @param startSeconds time already spent before the session existed (JVM and Spark start)
   */
  public Map<String, Object> run(
      SparkSession spark, Prepared p, double startSeconds, RunGuard guard) {
    long t0 = System.nanoTime();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> notes = new ArrayList<>();
    JobListener listener = new JobListener(spark.sparkContext(), log);
    spark.sparkContext().addSparkListener(listener);
    try {
      Dataset<Row> df;
      StructType schema;
      String format = config.get(ConfigKeys.INPUT_FORMAT);
      try {
        // The union of the files' schemas: a column that only some files have (a mask) is read,
        // null in the rows of the others, instead of being dropped by a schema taken from one file.
        df = spark.read().format(format).option("mergeSchema", "true").load(config.input());
        schema = df.schema();
      } catch (Exception e) { // AnalysisException and SparkException are checked in Java
        throw AttentionException.input(
            "cannot read input '"
                + config.input()
                + "' as "
                + format
                + ": "
                + firstLine(e)
                + ". Check input.format, and that the files are not corrupt.");
      }
      AttentionWeights w = p.weights();
      requireConfiguredColumns(schema);
      InputLayout layout =
          InputLayout.resolve(
              schema,
              config.get(ConfigKeys.COLUMN_ID),
              config.get(ConfigKeys.COLUMN_X),
              config.get(ConfigKeys.COLUMN_QUERY),
              config.get(ConfigKeys.COLUMN_KEY),
              config.get(ConfigKeys.COLUMN_VALUE),
              config.get(ConfigKeys.COLUMN_KEY_PADDING_MASK),
              config.partitionBy(),
              w.embedDim(),
              w.kdim(),
              w.vdim());
      SequenceCodec codec = new SequenceCodec(layout);
      OutputRows outputRows = new OutputRows(layout);
      if (p.badRows() != null
          && java.util.Arrays.stream(layout.carriedFields())
              .anyMatch(f -> f.name().equalsIgnoreCase(OutputRows.REASON))) {
        throw AttentionException.input(
            "input column 'reason' would be carried into bad.rows.output, which adds a 'reason'"
                + " column (column names compare without case). Rename it, or use"
                + " bad.rows=fail.");
      }
      MapMode mapMode =
          switch (config.maps()) {
            case "heads" -> MapMode.HEADS;
            case "mean" -> MapMode.MEAN;
            default -> null;
          };
      // Before any stage: the datasets this run adds to must have its layout.
      DatasetLayouts.requireCompatible(
          spark, p.output(), outputRows.outputSchema(), config.partitionBy());
      if (p.maps() != null) {
        DatasetLayouts.requireCompatible(
            spark, p.maps(), outputRows.mapSchema(), config.partitionBy());
      }
      if (p.badRows() != null) {
        DatasetLayouts.requireCompatible(
            spark, p.badRows(), outputRows.badRowSchema(), config.partitionBy());
      }
      // Only the dimensions travel to the scan tasks, not the kernel's weights.
      CostModel costModel =
          new CostModel(
              w.embedDim(),
              w.kdim(),
              w.vdim(),
              BlockedAttentionKernel.extraKeys(w.hasBiasKv(), p.options().addZeroAttn()),
              p.options().causal());
      long maxMapBytes = maxMapRowBytes(spark);

      // 1. One scan of the input: every row checked, every good row's cost.
      listener.phase("reading and checking the input");
      long tPlan = System.nanoTime();
      JavaRDD<InternalRow> input = withSqlConf(spark, readSettings(spark), () -> internalRows(df));
      boolean withMaps = mapMode != null;
      List<PartitionScan> scans =
          input
              .mapPartitionsWithIndex(
                  (idx, rows) ->
                      List.of(scan(idx, rows, codec, costModel, withMaps, maxMapBytes)).iterator(),
                  true)
              .collect();
      double planSeconds = (System.nanoTime() - tPlan) / 1e9;
      double[][] costs = new double[scans.size()][];
      long badCount = 0;
      String[] firstBad = null;
      long sequences = 0;
      for (PartitionScan s : scans) {
        costs[s.partition()] = s.costs();
        badCount += s.badRows().size();
        if (firstBad == null && !s.badRows().isEmpty()) {
          firstBad = s.badRows().get(0);
        }
        sequences += s.costs().length;
      }
      if (firstBad != null && p.badRows() == null) {
        throw AttentionException.input(
            "input row with id "
                + firstBad[0]
                + " is bad: "
                + firstBad[1]
                + ". "
                + badCount
                + " bad row(s) in all; nothing was written. Fix the input, or set"
                + " bad.rows=quarantine and bad.rows.output to set bad rows aside.");
      }

      // 2. Tasks balanced by cost.
      Integer userTasks = config.get(ConfigKeys.PARTITIONS);
      long goodRows = sequences - badCount;
      if (userTasks != null && userTasks > Math.max(1, goodRows)) {
        // A task per row at most: more would be empty tasks, each with its own start and file.
        int capped = (int) Math.max(1, goodRows);
        notes.add(
            "partitions = "
                + userTasks
                + " is more than the "
                + goodRows
                + " row(s) to compute; ran "
                + capped
                + " task(s)");
        log.println("note: " + notes.get(notes.size() - 1));
        userTasks = capped;
      }
      CostPlan plan = CostPlan.choose(costs, sc.defaultParallelism(), userTasks);
      Broadcast<int[][]> assignment = sc.broadcast(plan.assignment());
      Broadcast<AttentionWeights> weights = sc.broadcast(w);
      JobMetrics metrics = new JobMetrics(spark.sparkContext());
      int tasks = plan.tasks();
      JavaRDD<InternalRow> balanced =
          plan.inPlace()
              ? input.mapPartitionsWithIndex(
                  (idx, rows) -> inPlace(rows, assignment.value()[idx]), true)
              : JavaPairRDD.fromJavaRDD(
                      input.mapPartitionsWithIndex(
                          (idx, rows) -> assign(rows, assignment.value()[idx], schema), true))
                  .partitionBy(new TaskPartitioner(tasks))
                  .values();
      boolean quarantine = p.badRows() != null;
      AttentionTask task =
          new AttentionTask(weights, p.options(), codec, outputRows, mapMode, quarantine, metrics);
      JavaRDD<InternalRow> computed = balanced.mapPartitions(task);

      // 3. Compute once and write everything to staging.
      long tRun = System.nanoTime();
      List<String> runPhases = new ArrayList<>();
      String[] partitionBy = config.partitionBy().toArray(new String[0]);
      if (mapMode == null && !quarantine) {
        runPhase(listener, runPhases, "computing attention and writing outputs");
        write(spark, computed, outputRows.outputSchema(), p.output(), partitionBy, false);
      } else {
        // Each task writes its outputs, maps and overflowed rows as they are computed, each kind
        // to its own file, committed together by Spark's commit protocol; the map and bad-row
        // files then move to their datasets' staging.
        runPhase(
            listener,
            runPhases,
            mapMode == null
                ? "computing attention and writing outputs"
                : "computing attention and maps, writing outputs and maps");
        write(
            spark,
            computed,
            outputRows.computedSchema(mapMode != null, quarantine),
            p.output(),
            partitionBy,
            true);
        if (mapMode != null) {
          p.maps().takeFiles(p.output(), MatrixParquetFormat.MAPS_PREFIX);
        }
      }
      if (quarantine) {
        runPhase(listener, runPhases, "writing bad rows");
        JavaRDD<InternalRow> bad =
            input.mapPartitionsWithIndex(
                (idx, rows) -> badRows(rows, assignment.value()[idx], codec, outputRows), true);
        write(spark, bad, outputRows.badRowSchema(), p.badRows(), partitionBy, false);
        p.badRows().takeFiles(p.output(), MatrixParquetFormat.BAD_ROWS_PREFIX);
      }
      // A dataset without rows still gets a file: readers need its schema.
      DatasetLayouts.writeEmptyWhereNeeded(
          spark, p.output(), outputRows.outputSchema(), config.partitionBy());
      if (p.maps() != null) {
        DatasetLayouts.writeEmptyWhereNeeded(
            spark, p.maps(), outputRows.mapSchema(), config.partitionBy());
      }
      if (quarantine) {
        DatasetLayouts.writeEmptyWhereNeeded(
            spark, p.badRows(), outputRows.badRowSchema(), config.partitionBy());
      }
      long overflowed = metrics.overflowRows.value();
      badCount += overflowed;
      if (metrics.sequences.value() == 0) {
        notes.add(
            sequences == 0
                ? "the input has no rows: empty datasets were written"
                : "no row could be computed: the output is empty");
        log.println("note: " + notes.get(notes.size() - 1));
      }
      double runSeconds = (System.nanoTime() - tRun) / 1e9;

      // 4. Summary, then commit: everything moves into place only now.
      listener.phase("committing");
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("status", "succeeded");
      summary.put("sequences", sequences);
      summary.put("rows_written", metrics.sequences.value());
      summary.put("map_rows_written", metrics.mapRows.value());
      summary.put("bad_rows", badCount);
      summary.put("fully_masked_queries", metrics.fullyMaskedQueries.value());
      summary.put("tasks", tasks);
      Map<String, Object> balance = new LinkedHashMap<>();
      balance.put("max_task_gflop", round(plan.maxTaskCost() / 1e9));
      balance.put("mean_task_gflop", round(plan.meanTaskCost() / 1e9));
      balance.put("max_over_mean", round(plan.balance()));
      balance.put("goal", CostPlan.BALANCE_GOAL);
      balance.put("tasks_are", plan.inPlace() ? "input partitions" : "cost plan");
      summary.put("task_cost_balance", balance);
      summary.put("executors", listener.executors().size());
      summary.put("failed_task_attempts", listener.failedTasks());
      double flops = metrics.flops.value();
      double decode = metrics.decodeNanos.value() / 1e9;
      double compute = metrics.computeNanos.value() / 1e9;
      double encode = metrics.encodeNanos.value() / 1e9;
      double taskTotal = Math.max(listener.taskRunSeconds(), decode + compute + encode);
      // The run's wall time splits by the share of its own tasks' time spent in the kernel.
      double runTasks = Math.max(listener.taskRunSeconds(runPhases), decode + compute + encode);
      Map<String, Object> taskSeconds = new LinkedHashMap<>();
      taskSeconds.put("decode", round(decode));
      taskSeconds.put("compute", round(compute));
      taskSeconds.put("encode", round(encode));
      taskSeconds.put("all_tasks", round(taskTotal));
      double computeWall = runTasks > 0 ? runSeconds * compute / runTasks : 0;
      Map<String, Object> wall = new LinkedHashMap<>();
      wall.put("spark_start", round(startSeconds));
      wall.put("read", round(planSeconds));
      wall.put("compute", round(computeWall));
      wall.put("write", round(runSeconds - computeWall));
      summary.put("wall_seconds", round(startSeconds + (System.nanoTime() - t0) / 1e9));
      summary.put("wall_split_seconds", wall);
      summary.put("task_seconds", taskSeconds);
      summary.put("attention_gflop", round(flops / 1e9));
      summary.put("attention_gflops_per_second", round(flops / 1e9 / Math.max(runSeconds, 1e-9)));
      summary.put("kernel_gflops_per_core_second", round(flops / 1e9 / Math.max(compute, 1e-9)));
      summary.put("blas", blasOnExecutors(sc));
      summary.put("exp", BlockedAttentionKernel.expImplementation());
      summary.put("maps", config.maps());
      summary.put("mode", config.mode());
      summary.put("notes", notes);
      summary.put("output", p.output().targetPath());
      if (p.maps() != null) {
        summary.put("maps_output", p.maps().targetPath());
      }
      if (p.badRows() != null) {
        summary.put("bad_rows_output", p.badRows().targetPath());
      }
      // The summary travels with the output's data: the commit puts both in place at once.
      p.output().writeStagedFile(SUMMARY_FILE, summaryJson(summary));
      guard.commit(p.datasets());
      return summary;
    } catch (Throwable e) {
      // Spark's job failures are checked exceptions thrown from Scala: catch everything. Tasks
      // of the failed job are being killed; let them stop before their staging is deleted.
      waitForIdle(spark, 10_000);
      guard.abort();
      throw sneaky(e);
    } finally {
      listener.done();
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  /**
   * A column key set by the user (not its default) must name an input column: a mask column set but
   * missing would otherwise compute every row unmasked.
   */
  private void requireConfiguredColumns(StructType schema) {
    List<String> names = List.of(schema.fieldNames());
    for (ConfigKey<String> key :
        List.of(
            ConfigKeys.COLUMN_ID,
            ConfigKeys.COLUMN_X,
            ConfigKeys.COLUMN_QUERY,
            ConfigKeys.COLUMN_KEY,
            ConfigKeys.COLUMN_VALUE,
            ConfigKeys.COLUMN_KEY_PADDING_MASK)) {
      String column = config.get(key);
      if (!"default".equals(config.sourceOf(key)) && !names.contains(column)) {
        throw AttentionException.input(
            key.name()
                + " is '"
                + column
                + "' (from "
                + config.sourceOf(key)
                + "), but the input has no such column; its columns are "
                + names
                + ". Set "
                + key.name()
                + " to one of them, or leave it unset.");
      }
    }
  }

  /** Starts a phase of the run (step 3), whose tasks' time the summary's split divides. */
  private static void runPhase(JobListener listener, List<String> runPhases, String name) {
    listener.phase(name);
    runPhases.add(name);
  }

  private static void waitForIdle(SparkSession spark, long millis) {
    long deadline = System.currentTimeMillis() + millis;
    try {
      while (spark.sparkContext().statusTracker().getActiveStageIds().length > 0
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
    throw (E) e;
  }

  /**
   * The input's rows. A columnar scan (Parquet's and ORC's vectorized readers) is read batch by
   * batch, its rows viewed in place: the plan's ColumnarToRow would copy every float of a sequence
   * into an UnsafeRow first. The rows are reused, valid until the next one is read.
   */
  @SuppressWarnings("unchecked")
  private static JavaRDD<InternalRow> internalRows(Dataset<Row> df) {
    org.apache.spark.sql.execution.QueryExecution qe =
        ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution();
    SparkPlan scan = columnarScan(qe.executedPlan());
    if (scan == null) {
      return qe.toRdd().toJavaRDD();
    }
    return scan.executeColumnar()
        .toJavaRDD()
        .mapPartitions(batches -> new BatchRows(batches), true);
  }

  /**
   * The columnar leaf of a plan that is only a scan converted to rows (whole-stage codegen,
   * ColumnarToRow, input adapter around it), or null for any other plan.
   */
  static SparkPlan columnarScan(SparkPlan plan) {
    SparkPlan p = plan;
    while (true) {
      if (p instanceof org.apache.spark.sql.execution.WholeStageCodegenExec w) {
        p = w.child();
      } else if (p instanceof org.apache.spark.sql.execution.ColumnarToRowExec c) {
        p = c.child();
      } else if (p instanceof org.apache.spark.sql.execution.InputAdapter a) {
        p = a.child();
      } else {
        break;
      }
    }
    return p != plan && p.supportsColumnar() && p.children().isEmpty() ? p : null;
  }

  /** The rows of a partition's column batches, one reused row view at a time. */
  private static final class BatchRows implements Iterator<InternalRow> {
    private final Iterator<org.apache.spark.sql.vectorized.ColumnarBatch> batches;
    private Iterator<InternalRow> rows = java.util.Collections.emptyIterator();

    BatchRows(Iterator<org.apache.spark.sql.vectorized.ColumnarBatch> batches) {
      this.batches = batches;
    }

    @Override
    public boolean hasNext() {
      while (!rows.hasNext() && batches.hasNext()) {
        rows = batches.next().rowIterator();
      }
      return rows.hasNext();
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return rows.next();
    }
  }

  private static PartitionScan scan(
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
        costs = java.util.Arrays.copyOf(costs, n * 2);
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
    return new PartitionScan(partition, java.util.Arrays.copyOf(costs, n), bad);
  }

  /** rows.hasNext(), with a failure to read the input file turned into a clear INPUT error. */
  private static boolean readNext(Iterator<InternalRow> rows) {
    try {
      return rows.hasNext();
    } catch (Exception e) { // Spark throws its (checked) SparkException from Scala code
      String file = org.apache.spark.rdd.InputFileBlockHolder.getInputFilePath().toString();
      throw AttentionException.input(
          "cannot read input file "
              + (file.isEmpty() ? "(unknown)" : "'" + file + "'")
              + ": "
              + firstLine(e)
              + ". The file is corrupt or not in the input format; fix or remove it.");
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
  private static long maxMapRowBytes(SparkSession spark) {
    long executorBytes =
        spark.sparkContext().isLocal()
            ? Runtime.getRuntime().maxMemory()
            : spark.sparkContext().executorMemory() * 1024L * 1024L;
    // An UnsafeArrayData holds at most 2^31 - 1 bytes.
    return Math.min(executorBytes / 6, Integer.MAX_VALUE - 1024);
  }

  /** What went wrong reading a file: Spark's line naming the file, and the root cause. */
  private static String firstLine(Throwable e) {
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

  private static Iterator<Tuple2<Integer, InternalRow>> assign(
      Iterator<InternalRow> rows, int[] taskOf, StructType schema) {
    UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
    return new PlannedRows<>(rows, taskOf, false) {
      @Override
      Tuple2<Integer, InternalRow> emit(InternalRow row, int task) {
        // Scans reuse row objects: the ones that travel are copied, as compact unsafe rows.
        return new Tuple2<>(task, toUnsafe.apply(row).copy());
      }
    };
  }

  private static Iterator<InternalRow> inPlace(Iterator<InternalRow> rows, int[] taskOf) {
    return new PlannedRows<>(rows, taskOf, false) {
      @Override
      InternalRow emit(InternalRow row, int task) {
        // A reused row view: AttentionTask copies a row it holds across pulls.
        return row;
      }
    };
  }

  private static Iterator<InternalRow> badRows(
      Iterator<InternalRow> rows, int[] taskOf, SequenceCodec codec, OutputRows outputRows) {
    return new PlannedRows<>(rows, taskOf, true) {
      @Override
      InternalRow emit(InternalRow row, int task) {
        return outputRows.badRow(row, codec.badRowReason(row)).copy();
      }
    };
  }

  /** Lazily walks one input partition, emitting the planned rows (or only the skipped ones). */
  private abstract static class PlannedRows<T> implements Iterator<T> {
    private final Iterator<InternalRow> rows;
    private final int[] taskOf;
    private final boolean skipped;
    private int index;
    private T next;

    PlannedRows(Iterator<InternalRow> rows, int[] taskOf, boolean skipped) {
      this.rows = rows;
      this.taskOf = taskOf;
      this.skipped = skipped;
    }

    abstract T emit(InternalRow row, int task);

    @Override
    public boolean hasNext() {
      while (next == null && rows.hasNext()) {
        InternalRow row = rows.next();
        int task = taskOf[index++];
        if ((task == CostPlan.SKIP) == skipped) {
          next = emit(row, task);
        }
      }
      return next != null;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      T t = next;
      next = null;
      return t;
    }
  }

  /**
   * Writes {@code rows} to the target's staging; {@code outputAndMaps}: they are {@link
   * OutputRows#outputAndMapSchema} rows (see {@link MatrixParquetFormat#OUTPUT_AND_MAPS}).
   */
  private static void write(
      SparkSession spark,
      JavaRDD<InternalRow> rows,
      StructType schema,
      StagedDataset target,
      String[] partitionBy,
      boolean outputAndMaps) {
    Dataset<Row> df =
        ((org.apache.spark.sql.classic.SparkSession) spark)
            .internalCreateDataFrame(rows.rdd(), schema, false);
    // Float matrices are written a page at a time (README, "Parquet layout").
    df.write()
        .mode(SaveMode.ErrorIfExists)
        .format(MatrixParquetFormat.class.getName())
        .option(MatrixParquetFormat.OUTPUT_AND_MAPS, outputAndMaps)
        .partitionBy(partitionBy)
        .save(target.stagingPath());
  }

  /** Rows per batch of Spark's vectorized Parquet and ORC readers, unless the user sets it. */
  static final int READ_BATCH_ROWS = 16;

  /**
   * The vectorized readers fill batches of 4096 rows by default: with rows of thousands of floats,
   * column vectors of hundreds of MB, grown by copying. Small batches of such rows read faster
   * (README, "How a run works").
   */
  private static Map<String, String> readSettings(SparkSession spark) {
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
  private static <T> T withSqlConf(
      SparkSession spark, Map<String, String> settings, java.util.function.Supplier<T> body) {
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

  private static byte[] summaryJson(Map<String, Object> summary) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(summary);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("writing " + SUMMARY_FILE, e);
    }
  }

  /** The BLAS the executors use, asked of one task (the driver's may differ). */
  private static String blasOnExecutors(JavaSparkContext sc) {
    return sc.parallelize(List.of(0), 1)
        .map(x -> BlockedAttentionKernel.blasImplementation())
        .first();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
